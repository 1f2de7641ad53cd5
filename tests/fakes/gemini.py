"""A scriptable stand-in for the Gemini Developer API (``generativelanguage`` v1beta).

MayaDesk talks to Gemini through ``langchain-google-genai`` → ``google-genai`` → httpx. The
tests run that real stack against this server, so what it sends back must be exactly what
the SDK parses: camelCase JSON, ``candidates[].content.parts[]`` with ``text`` or
``functionCall`` parts, SSE events ``data: <json>\\r\\n\\r\\n`` with ``finishReason`` only on the
last one, errors as ``{"error": {"code", "message", "status"}}`` with the HTTP status.

A test scripts replies in order (:meth:`FakeGemini.script`); each reply is a list of chunks
(one SSE event each). Besides text and function calls a reply can hold a :class:`Gate`
(hold the stream open until the test sets an event — how streaming is proven without
timing), per-chunk delays (latency injection), a mid-stream :class:`StreamError` or an
abrupt :class:`Disconnect`. Whole-request failures are :class:`ErrorReply` (429 quota, 503
overload, ...). Every request is recorded as a :class:`GeminiRequest`.

Transcription (issue 7): a request whose user content carries an inline audio part
(``{"inlineData": {"mimeType": "audio/wav", "data": <base64>}}``) is answered from its own
queue (:meth:`FakeGemini.script_transcription`, else ``default_transcription``), so turn
scripts are not consumed by it; :attr:`GeminiRequest.audio_parts` and
:meth:`GeminiRequest.audio_pcm` give back what was sent, decoded.
"""

from __future__ import annotations

import base64
import io
import json
import re
import secrets
import threading
import time
import wave
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

from ._server import POLL_INTERVAL, FakeRequestHandler, FakeServer

__all__ = [
    "DEFAULT_MODELS",
    "DEFAULT_REPLY",
    "DEFAULT_TRANSCRIPTION",
    "Call",
    "Disconnect",
    "ErrorReply",
    "FakeGemini",
    "Gate",
    "GeminiRequest",
    "Reply",
    "StreamError",
    "Text",
]

#: What the fake says when nothing was scripted: a valid Maya reply (state tag + sentence).
DEFAULT_REPLY = "[STATE: happy] Welcome to the bar!"

#: What the fake "hears" in an audio request when no transcription was scripted.
DEFAULT_TRANSCRIPTION = "I'd like a gin and tonic, please."

#: Models listed by ``GET /v1beta/models`` (and accepted when ``reject_unknown_models``).
DEFAULT_MODELS: tuple[str, ...] = (
    "gemini-flash-latest",
    "gemini-flash-lite-latest",
    "gemini-2.5-flash",
    "gemini-2.5-pro",
)

_INVALID_KEY_MESSAGE = "API key not valid. Please pass a valid API key."
_MISSING_KEY_MESSAGE = (
    "Method doesn't allow unregistered callers (callers without established identity). "
    "Please use API Key or other form of API consumer identity to call this API."
)


# --------------------------------------------------------------------------------------
# Reply scripting
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Text:
    """A text piece; one SSE event when streaming. ``delay`` is waited before sending it."""

    text: str
    delay: float = 0.0


@dataclass(frozen=True)
class Call:
    """A ``functionCall`` part (a tool call); one SSE event when streaming."""

    name: str
    args: Mapping[str, Any] = field(default_factory=dict)
    delay: float = 0.0
    #: Gemini 3 attaches an opaque signature to the first call of a turn; optional here.
    thought_signature: str | None = None


@dataclass(eq=False)
class Gate:
    """Hold the reply at this point until ``event`` is set.

    Chunks before the gate are already on the wire (the SDK has yielded them), chunks after
    it are not. ``reached`` is set when the fake starts waiting, so a test can wait for
    "first sentence delivered" without sleeping. If ``timeout`` passes first, the fake
    records a problem and cuts the connection, so a forgotten gate fails loudly.
    """

    event: threading.Event = field(default_factory=threading.Event)
    timeout: float = 30.0
    reached: threading.Event = field(default_factory=threading.Event)

    def open(self) -> None:
        self.event.set()


@dataclass(frozen=True)
class StreamError:
    """An error event inside an already started (HTTP 200) stream; ends the reply.

    Real Gemini does this when a stream fails after the first chunk, and google-genai
    raises ``APIError`` from the iterator. In a non-streamed call it becomes the HTTP error.
    """

    code: int = 500
    message: str = (
        "An internal error has occurred. Please retry or report in "
        "https://developers.generativeai.google/guide/troubleshooting"
    )
    status: str = "INTERNAL"


@dataclass(frozen=True)
class Disconnect:
    """Cut the TCP connection at this point (network failure); ends the reply."""


@dataclass(frozen=True)
class ErrorReply:
    """The whole request fails with ``{"error": {...}}`` and HTTP status ``code``."""

    code: int
    message: str
    status: str
    details: tuple[Mapping[str, Any], ...] = ()

    def payload(self) -> dict[str, Any]:
        error: dict[str, Any] = {"code": self.code, "message": self.message, "status": self.status}
        if self.details:
            error["details"] = [dict(d) for d in self.details]
        return {"error": error}

    @classmethod
    def quota(cls) -> ErrorReply:
        """429 as Gemini sends it when a free-tier quota is used up."""
        return cls(
            429,
            "You exceeded your current quota, please check your plan and billing details.",
            "RESOURCE_EXHAUSTED",
            (
                {
                    "@type": "type.googleapis.com/google.rpc.QuotaFailure",
                    "violations": [
                        {
                            "quotaMetric": "generativelanguage.googleapis.com/"
                            "generate_content_free_tier_requests",
                            "quotaId": "GenerateRequestsPerMinutePerProjectPerModel-FreeTier",
                        }
                    ],
                },
                {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "17s"},
            ),
        )

    @classmethod
    def overloaded(cls) -> ErrorReply:
        """503 as Gemini sends it when the model is overloaded."""
        return cls(503, "The model is overloaded. Please try again later.", "UNAVAILABLE")

    @classmethod
    def invalid_key(cls) -> ErrorReply:
        """400 ``API_KEY_INVALID``: what a wrong key gets."""
        return cls(
            400,
            _INVALID_KEY_MESSAGE,
            "INVALID_ARGUMENT",
            (
                {
                    "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                    "reason": "API_KEY_INVALID",
                    "domain": "googleapis.com",
                    "metadata": {"service": "generativelanguage.googleapis.com"},
                },
                {
                    "@type": "type.googleapis.com/google.rpc.LocalizedMessage",
                    "locale": "en-US",
                    "message": _INVALID_KEY_MESSAGE,
                },
            ),
        )

    @classmethod
    def missing_key(cls) -> ErrorReply:
        """403 ``PERMISSION_DENIED``: what a request without any key gets."""
        return cls(403, _MISSING_KEY_MESSAGE, "PERMISSION_DENIED")

    @classmethod
    def model_not_found(cls, model: str, method: str = "generateContent") -> ErrorReply:
        return cls(
            404,
            f"models/{model} is not found for API version v1beta, or is not supported for "
            f"{method}. Call ListModels to see the list of available models and their "
            "supported methods.",
            "NOT_FOUND",
        )


Chunk = Text | Call | Gate | StreamError | Disconnect
ChunkLike = Chunk | str | Mapping[str, Any]


@dataclass(frozen=True)
class Reply:
    """A scripted reply: chunks in order, plus the candidate's ``finishReason``."""

    chunks: tuple[Chunk, ...]
    finish_reason: str = "STOP"

    @classmethod
    def of(cls, *chunks: ChunkLike, finish_reason: str = "STOP") -> Reply:
        return cls(tuple(_to_chunk(c) for c in chunks), finish_reason)


ReplyLike = Reply | ErrorReply | str | Sequence[ChunkLike] | Mapping[str, Any]
Responder = Callable[["GeminiRequest"], ReplyLike | None]


def _to_chunk(item: ChunkLike) -> Chunk:
    if isinstance(item, Text | Call | Gate | StreamError | Disconnect):
        return item
    if isinstance(item, str):
        return Text(item)
    if isinstance(item, Mapping):
        if "text" in item:
            return Text(str(item["text"]))
        if "functionCall" in item:
            call = item["functionCall"]
            return Call(str(call["name"]), dict(call.get("args") or {}))
        if "error" in item:
            err = item["error"]
            return StreamError(int(err["code"]), str(err["message"]), str(err["status"]))
    raise TypeError(f"cannot use {item!r} as a reply chunk")


def to_reply(reply: ReplyLike) -> Reply | ErrorReply:
    """Normalise the shorthand forms a test may script.

    ``"text"`` → one text chunk; a list → chunks; ``{"error": {...}}`` → :class:`ErrorReply`
    (HTTP status = ``code``); ``{"functionCall": ...}`` / ``{"text": ...}`` → one chunk.
    """
    if isinstance(reply, Reply | ErrorReply):
        return reply
    if isinstance(reply, str):
        return Reply((Text(reply),))
    if isinstance(reply, Mapping):
        if "error" in reply:
            err = reply["error"]
            return ErrorReply(
                int(err["code"]),
                str(err["message"]),
                str(err["status"]),
                tuple(err.get("details") or ()),
            )
        return Reply((_to_chunk(reply),))
    return Reply(tuple(_to_chunk(c) for c in reply))


# --------------------------------------------------------------------------------------
# Recorded requests
# --------------------------------------------------------------------------------------


@dataclass(eq=False)
class GeminiRequest:
    """One request as the fake received it."""

    method: str
    path: str
    query: dict[str, str]
    #: Header names lower-cased.
    headers: dict[str, str]
    #: Parsed JSON body (None for GET or an unparsable body).
    body: dict[str, Any] | None
    api_version: str | None
    model: str | None
    #: ``generateContent``, ``streamGenerateContent``, ``models.list``, ``models.get`` or None.
    action: str | None
    received_at: float = field(default_factory=time.monotonic)
    #: HTTP status the fake answered with (set once the status line is sent).
    status: int | None = None
    #: Set when the fake has finished answering (or gave up on) this request.
    finished: threading.Event = field(default_factory=threading.Event)
    #: True when the client hung up before the reply was complete (e.g. the app cancelled).
    client_closed: bool = False
    #: Text chunks actually written to the client, in order.
    sent_texts: list[str] = field(default_factory=list)
    #: When each streamed text chunk was written (time.monotonic), in order.
    sent_at: list[float] = field(default_factory=list)

    @property
    def api_key(self) -> str | None:
        """The key as Gemini reads it: ``x-goog-api-key`` header, else ``?key=``."""
        return self.headers.get("x-goog-api-key") or self.query.get("key")

    @property
    def streaming(self) -> bool:
        return self.action == "streamGenerateContent"

    @property
    def contents(self) -> list[dict[str, Any]]:
        return list((self.body or {}).get("contents") or [])

    @property
    def system_text(self) -> str:
        """All text of ``systemInstruction`` joined with newlines ("" if none)."""
        instruction = (self.body or {}).get("systemInstruction") or {}
        return "\n".join(p["text"] for p in instruction.get("parts", []) if "text" in p)

    @property
    def tools(self) -> list[dict[str, Any]]:
        return list((self.body or {}).get("tools") or [])

    @property
    def function_declarations(self) -> list[dict[str, Any]]:
        return [d for tool in self.tools for d in tool.get("functionDeclarations") or []]

    @property
    def tool_names(self) -> list[str]:
        return [d["name"] for d in self.function_declarations]

    @property
    def generation_config(self) -> dict[str, Any]:
        return dict((self.body or {}).get("generationConfig") or {})

    def texts(self, role: str | None = None) -> list[str]:
        """Text of each content (parts joined), optionally only one ``role``."""
        return [
            "".join(p.get("text", "") for p in c.get("parts", []))
            for c in self.contents
            if role is None or c.get("role") == role
        ]

    @property
    def last_user_text(self) -> str:
        texts = [t for t in self.texts("user") if t]
        return texts[-1] if texts else ""

    @property
    def audio_parts(self) -> list[tuple[str, bytes]]:
        """Every inline audio part of the contents as (MIME type, decoded bytes), in order."""
        found = []
        for content in self.contents:
            for part in content.get("parts", []):
                inline = part.get("inlineData") or part.get("inline_data")
                if not isinstance(inline, dict):
                    continue
                mime = str(inline.get("mimeType") or inline.get("mime_type") or "")
                if mime.startswith("audio/"):
                    found.append((mime, _b64decode(str(inline.get("data") or ""))))
        return found

    @property
    def has_audio(self) -> bool:
        return bool(self.audio_parts)

    def audio_pcm(self, index: int = 0) -> tuple[bytes, int]:
        """The ``index``-th audio part, a WAV file, as (s16le mono PCM, sample rate)."""
        mime, data = self.audio_parts[index]
        if mime not in ("audio/wav", "audio/x-wav", "audio/wave"):
            raise ValueError(f"audio part is {mime}, not WAV")
        with wave.open(io.BytesIO(data)) as reader:
            if reader.getnchannels() != 1 or reader.getsampwidth() != 2:
                raise ValueError("expected 16-bit mono WAV")
            return reader.readframes(reader.getnframes()), reader.getframerate()

    @property
    def function_responses(self) -> list[dict[str, Any]]:
        """Every ``functionResponse`` part sent back to the model, oldest first."""
        return [
            p["functionResponse"]
            for c in self.contents
            for p in c.get("parts", [])
            if "functionResponse" in p
        ]


def _b64decode(data: str) -> bytes:
    """Base64 as Gemini accepts it: standard or URL-safe alphabet, padded or not.

    google-genai sends bytes URL-safe and unpadded; plain ``b64decode`` would silently drop
    the ``-``/``_`` characters and return garbage.
    """
    data = data.strip().replace("+", "-").replace("/", "_")
    return base64.urlsafe_b64decode(data + "=" * (-len(data) % 4))


# --------------------------------------------------------------------------------------
# The server
# --------------------------------------------------------------------------------------

_MODEL_ACTION = re.compile(r"^/(?P<ver>v\d+[a-z0-9]*)/models/(?P<model>[^/:]+):(?P<action>\w+)$")
_MODEL_GET = re.compile(r"^/(?P<ver>v\d+[a-z0-9]*)/models/(?P<model>[^/:]+)$")
_MODEL_LIST = re.compile(r"^/(?P<ver>v\d+[a-z0-9]*)/models/?$")


class _Aborted(Exception):
    """The reply cannot go on (client gone, gate timed out, server stopping)."""


class _GeminiHandler(FakeRequestHandler):
    server_version = "scaffolding on HTTPServer2"

    @property
    def fake(self) -> FakeGemini:
        owner = self.server.owner
        assert isinstance(owner, FakeGemini)
        return owner

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def _dispatch(self, method: str) -> None:
        path = self.url_path
        raw = self.read_body() if method == "POST" else b""
        body: dict[str, Any] | None = None
        bad_json = False
        if raw:
            try:
                parsed = json.loads(raw)
                body = parsed if isinstance(parsed, dict) else None
                bad_json = body is None
            except ValueError:
                bad_json = True
        version = model = action = None
        if m := _MODEL_ACTION.match(path):
            version, model, action = m["ver"], m["model"], m["action"]
        elif m := _MODEL_GET.match(path):
            version, model, action = m["ver"], m["model"], "models.get"
        elif m := _MODEL_LIST.match(path):
            version, action = m["ver"], "models.list"
        request = GeminiRequest(
            method=method,
            path=path,
            query=self.query,
            headers=self.header_dict(),
            body=body,
            api_version=version,
            model=model,
            action=action,
        )
        self.fake._record(request)
        try:
            self._answer(request, method, bad_json)
        finally:
            request.finished.set()
            self.fake._notify()

    def _answer(self, request: GeminiRequest, method: str, bad_json: bool) -> None:
        fake = self.fake
        known = {
            ("GET", "models.list"),
            ("GET", "models.get"),
            ("POST", "generateContent"),
            ("POST", "streamGenerateContent"),
        }
        if (method, request.action) not in known:
            self._error(request, ErrorReply(404, f"Method not found: {request.path}", "NOT_FOUND"))
            return
        key_error = fake._check_key(request.api_key)
        if key_error is not None:
            self._error(request, key_error)
            return
        if request.action == "models.list":
            request.status = 200
            self.send_json(200, {"models": [fake._model_info(m) for m in fake.models]})
            return
        assert request.model is not None
        if request.action == "models.get":
            if request.model not in fake.models:
                self._error(request, ErrorReply.model_not_found(request.model, "get"))
                return
            request.status = 200
            self.send_json(200, fake._model_info(request.model))
            return
        if bad_json or request.body is None:
            self._error(
                request,
                ErrorReply(400, "Invalid JSON payload received.", "INVALID_ARGUMENT"),
            )
            return
        if fake.reject_unknown_models and request.model not in fake.models:
            self._error(request, ErrorReply.model_not_found(request.model, request.action or ""))
            return
        reply = fake._next_reply(request)
        if isinstance(reply, ErrorReply):
            self._error(request, reply)
            return
        try:
            if request.streaming and request.query.get("alt") == "sse":
                self._stream(request, reply)
            else:
                self._whole(request, reply, as_array=request.streaming)
        except _Aborted:
            self.drop_connection()
        except OSError:
            request.client_closed = True
            self.close_connection = True

    def _error(self, request: GeminiRequest, error: ErrorReply) -> None:
        request.status = error.code
        self.send_json(error.code, error.payload())

    # -- pacing ---------------------------------------------------------------------

    def _pause(self, request: GeminiRequest, seconds: float) -> None:
        """Latency injection; ends early (and aborts) if the client or server goes away."""
        deadline = time.monotonic() + seconds
        while (remaining := deadline - time.monotonic()) > 0:
            if self.fake.stopping or self.client_gone():
                request.client_closed = not self.fake.stopping
                raise _Aborted
            time.sleep(min(remaining, POLL_INTERVAL))  # noqa: sleep-ok

    def _wait_gate(self, request: GeminiRequest, gate: Gate) -> None:
        gate.reached.set()
        self.fake._notify()
        deadline = time.monotonic() + gate.timeout
        while not gate.event.wait(POLL_INTERVAL):  # noqa: sleep-ok
            if self.fake.stopping:
                raise _Aborted
            if self.client_gone():
                request.client_closed = True
                self.fake._notify()
                raise _Aborted
            if time.monotonic() > deadline:
                self.fake.add_problem(
                    f"gate not opened within {gate.timeout} s for {request.path}; connection cut"
                )
                raise _Aborted

    # -- replies --------------------------------------------------------------------

    def _stream(self, request: GeminiRequest, reply: Reply) -> None:
        chunks = reply.chunks
        ending = next(
            (i for i, c in enumerate(chunks) if isinstance(c, StreamError | Disconnect)),
            len(chunks),
        )
        content_at = [i for i, c in enumerate(chunks[:ending]) if isinstance(c, Text | Call)]
        last_content = content_at[-1] if content_at else None
        finishes = ending == len(chunks)
        response_id = _response_id()
        produced = ""
        request.status = 200
        self.start_chunked(200, "text/event-stream")

        def emit(payload: dict[str, Any]) -> None:
            self.write_chunk(b"data: " + json.dumps(payload).encode() + b"\r\n\r\n")

        # Delays are kept on a schedule, not slept one after another: a stream of many
        # small delays (60 tokens/s) would otherwise drift by the sleeps' overshoot.
        schedule = time.monotonic()
        for index, chunk in enumerate(chunks):
            if isinstance(chunk, Gate):
                self._wait_gate(request, chunk)
                schedule = time.monotonic()
            elif isinstance(chunk, Disconnect):
                raise _Aborted
            elif isinstance(chunk, StreamError):
                emit(ErrorReply(chunk.code, chunk.message, chunk.status).payload())
                self.end_chunked()
                return
            else:
                if chunk.delay:
                    schedule += chunk.delay
                    self._pause(request, schedule - time.monotonic())
                part = _part(chunk)
                produced += chunk.text if isinstance(chunk, Text) else json.dumps(part)
                final = finishes and index == last_content
                emit(
                    self.fake._response(
                        request,
                        [part],
                        reply.finish_reason if final else None,
                        produced,
                        response_id,
                    )
                )
                if isinstance(chunk, Text):
                    request.sent_texts.append(chunk.text)
                    request.sent_at.append(time.monotonic())
                    self.fake._notify()
        if last_content is None and finishes:
            emit(self.fake._response(request, [{"text": ""}], reply.finish_reason, "", response_id))
        self.end_chunked()

    def _whole(self, request: GeminiRequest, reply: Reply, *, as_array: bool) -> None:
        parts: list[dict[str, Any]] = []
        produced = ""
        for chunk in reply.chunks:
            if isinstance(chunk, Gate):
                self._wait_gate(request, chunk)
            elif isinstance(chunk, Disconnect):
                raise _Aborted
            elif isinstance(chunk, StreamError):
                self._error(request, ErrorReply(chunk.code, chunk.message, chunk.status))
                return
            else:
                if chunk.delay:
                    self._pause(request, chunk.delay)
                part = _part(chunk)
                if isinstance(chunk, Text):
                    produced += chunk.text
                    request.sent_texts.append(chunk.text)
                    # Non-streamed Gemini answers carry the text as one part.
                    if parts and set(parts[-1]) == {"text"}:
                        parts[-1] = {"text": parts[-1]["text"] + chunk.text}
                        continue
                else:
                    produced += json.dumps(part)
                parts.append(part)
        payload = self.fake._response(
            request, parts or [{"text": ""}], reply.finish_reason, produced, _response_id()
        )
        request.status = 200
        self.send_json(200, [payload] if as_array else payload)


def _part(chunk: Text | Call) -> dict[str, Any]:
    if isinstance(chunk, Text):
        return {"text": chunk.text}
    part: dict[str, Any] = {"functionCall": {"name": chunk.name, "args": dict(chunk.args)}}
    if chunk.thought_signature is not None:
        part["thoughtSignature"] = chunk.thought_signature
    return part


def _response_id() -> str:
    return base64.urlsafe_b64encode(secrets.token_bytes(16)).decode().rstrip("=")


def _tokens(text: str) -> int:
    """A rough token count (4 characters a token), enough for plausible usageMetadata."""
    return (len(text) + 3) // 4


class FakeGemini(FakeServer):
    """Fake Gemini API on ``127.0.0.1:<random port>``.

    Use as a context manager (or ``start()``/``stop()``) and point the SDK at it::

        with FakeGemini(accepted_keys={"good-key"}) as gemini:
            gemini.script("[STATE: happy] Hi!", [Text("One. "), gate, Text("Two.")])
            llm = ChatGoogleGenerativeAI(model="gemini-flash-latest",
                                         google_api_key="good-key",
                                         base_url=gemini.base_url, max_retries=0)

    Reply order: scripted replies first (FIFO), then ``responder(request)`` (if it returns
    None, fall through), then ``default_reply``.
    """

    handler_class: ClassVar[type[FakeRequestHandler]] = _GeminiHandler

    def __init__(
        self,
        *,
        accepted_keys: set[str] | frozenset[str] | None = None,
        default_reply: ReplyLike = DEFAULT_REPLY,
        responder: Responder | None = None,
        models: Sequence[str] = DEFAULT_MODELS,
        model_version: str | None = None,
        reject_unknown_models: bool = False,
    ) -> None:
        super().__init__()
        #: None accepts any non-empty key; otherwise only these.
        self.accepted_keys = None if accepted_keys is None else frozenset(accepted_keys)
        self.default_reply: ReplyLike = default_reply
        self.responder: Responder | None = responder
        self.models: list[str] = list(models)
        #: Reported as ``modelVersion``; None reports the requested model name.
        self.model_version = model_version
        self.reject_unknown_models = reject_unknown_models
        self._script: deque[ReplyLike] = deque()
        self._requests: list[GeminiRequest] = []
        #: Answer to an audio request when no transcription is scripted.
        self.default_transcription: ReplyLike = DEFAULT_TRANSCRIPTION
        self._transcriptions: deque[ReplyLike] = deque()

    # -- scripting ------------------------------------------------------------------

    def script(self, *replies: ReplyLike) -> None:
        """Queue replies for the next generate requests, in order."""
        for reply in replies:
            to_reply(reply)  # validate now, so a bad script fails in the test, not the fake
        with self._lock:
            self._script.extend(replies)

    def script_transcription(self, *replies: ReplyLike) -> None:
        """Queue answers for the next requests that carry audio (text, or an ErrorReply)."""
        for reply in replies:
            to_reply(reply)
        with self._lock:
            self._transcriptions.extend(replies)

    @property
    def audio_requests(self) -> list[GeminiRequest]:
        """Generate requests that carried an inline audio part (transcriptions)."""
        return [r for r in self.generate_requests if r.has_audio]

    def wait_for_audio_requests(self, count: int, timeout: float = 10.0) -> list[GeminiRequest]:
        """Wait until at least ``count`` audio requests have been answered; return them."""
        self.wait_until(
            lambda: len([r for r in self.audio_requests if r.finished.is_set()]) >= count,
            timeout,
        )
        return self.audio_requests

    @property
    def pending(self) -> int:
        """Scripted replies not yet used."""
        with self._lock:
            return len(self._script)

    def clear_script(self) -> None:
        with self._lock:
            self._script.clear()

    # -- observation ----------------------------------------------------------------

    @property
    def requests(self) -> list[GeminiRequest]:
        """Every request received, in arrival order (a snapshot)."""
        with self._lock:
            return list(self._requests)

    @property
    def generate_requests(self) -> list[GeminiRequest]:
        """Only ``generateContent``/``streamGenerateContent`` requests."""
        return [
            r for r in self.requests if r.action in ("generateContent", "streamGenerateContent")
        ]

    def wait_for_requests(self, count: int, timeout: float = 10.0) -> list[GeminiRequest]:
        """Wait until at least ``count`` generate requests have arrived; return them."""
        self.wait_until(lambda: len(self.generate_requests) >= count, timeout)
        return self.generate_requests

    # -- internals used by the handler ----------------------------------------------

    def _record(self, request: GeminiRequest) -> None:
        with self._changed:
            self._requests.append(request)
            self._changed.notify_all()

    def _check_key(self, key: str | None) -> ErrorReply | None:
        if not key:
            return ErrorReply.missing_key()
        if self.accepted_keys is not None and key not in self.accepted_keys:
            return ErrorReply.invalid_key()
        return None

    def _next_reply(self, request: GeminiRequest) -> Reply | ErrorReply:
        if request.has_audio:
            with self._lock:
                heard = self._transcriptions.popleft() if self._transcriptions else None
            return to_reply(heard if heard is not None else self.default_transcription)
        with self._lock:
            scripted = self._script.popleft() if self._script else None
        if scripted is not None:
            return to_reply(scripted)
        if self.responder is not None:
            try:
                answered = self.responder(request)
            except Exception as exc:
                self.add_problem(f"responder raised {exc!r} for {request.path}")
                return ErrorReply(500, f"responder failed: {exc!r}", "INTERNAL")
            if answered is not None:
                return to_reply(answered)
        return to_reply(self.default_reply)

    def _response(
        self,
        request: GeminiRequest,
        parts: list[dict[str, Any]],
        finish_reason: str | None,
        produced: str,
        response_id: str,
    ) -> dict[str, Any]:
        prompt = _tokens(json.dumps(request.contents) + request.system_text)
        output = _tokens(produced)
        candidate: dict[str, Any] = {"content": {"role": "model", "parts": parts}, "index": 0}
        if finish_reason is not None:
            candidate["finishReason"] = finish_reason
        return {
            "candidates": [candidate],
            "usageMetadata": {
                "promptTokenCount": prompt,
                "candidatesTokenCount": output,
                "totalTokenCount": prompt + output,
                "promptTokensDetails": [{"modality": "TEXT", "tokenCount": prompt}],
            },
            "modelVersion": self.model_version or request.model,
            "responseId": response_id,
        }

    @staticmethod
    def _model_info(model: str) -> dict[str, Any]:
        return {
            "name": f"models/{model}",
            "version": "001",
            "displayName": model.replace("-", " ").title(),
            "description": "Fake model served by tests/fakes/gemini.py",
            "inputTokenLimit": 1048576,
            "outputTokenLimit": 65536,
            "supportedGenerationMethods": ["generateContent", "countTokens"],
            "temperature": 1,
            "topP": 0.95,
            "topK": 64,
            "maxTemperature": 2,
            "thinking": True,
        }
