"""A stand-in for the Cartesia TTS API (HTTP + WebSocket on one port), speaking in tones.

The real ``cartesia`` SDK 4.2 runs against it unchanged:

* HTTP: ``POST /tts/bytes`` (raw/WAV audio body, streamed), ``POST /tts/sse`` (``chunk``
  events then ``done``), ``GET /voices`` (cursor page ``{"data": [...], "has_more"}`` —
  the cheap key check), ``GET /voices/{id}``, ``GET /`` (status).
* WebSocket ``/tts/websocket`` with contexts: generation requests
  ``{"context_id", "transcript", "continue", "model_id", "voice", "output_format", ...}``
  produce ``chunk`` messages (base64 PCM), ``continue: false`` ends the context with
  ``done``, ``flush: true`` answers ``flush_done``, ``{"cancel": true, "context_id"}`` stops
  the context silently (nothing more is sent for it).

Auth is ``Authorization: Bearer <key>`` (what the SDK sends, on the WebSocket handshake too);
a refused key gets HTTP 401 — on the WebSocket that is a refused handshake.

Instead of speech every context gets its own sine tone (:func:`frequency_for_index`, in the
order contexts start), ``ms_per_char`` of audio per transcript character, so a test can tell
replies apart with an FFT. Failure modes: ``first_chunk_latency``, ``chunk_interval``,
``hold_after_chunks`` + ``release`` (structural pause), ``drop_after_chunks`` (cut the
connection) and ``failure`` (reply with an error: 402 quota, 401 auth, ...).

Speech-to-text: ``POST /stt`` (the SDK's ``client.stt.transcribe``, a multipart upload of
``file``, ``model``, ``language``) is recorded as an :class:`STTRequest` (the audio, decoded
from its WAV) and answered ``{"type": "transcript", "text": ...}`` from
:meth:`FakeCartesia.script_transcripts`, else ``default_transcript``; a refused key gets 401
and ``failure`` applies as for TTS.
"""

from __future__ import annotations

import base64
import contextlib
import http
import io
import json
import queue
import socket
import threading
import time
import uuid
import wave
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from email.parser import BytesParser
from email.policy import HTTP as HTTP_POLICY
from typing import Any, ClassVar, Literal
from urllib.parse import parse_qsl

from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response
from websockets.protocol import State
from websockets.server import ServerProtocol
from websockets.sync.server import ServerConnection

from ._server import POLL_INTERVAL, FakeRequestHandler, FakeServer
from .audio import (
    DEFAULT_FREQUENCIES,
    SAMPLE_WIDTH,
    encode_pcm,
    frequency_for_index,
    tone,
    wav_bytes,
)

__all__ = [
    "API_VERSION",
    "DEFAULT_VOICES",
    "MAYA_VOICE_ID",
    "CartesiaFailure",
    "FakeCartesia",
    "HTTPRecord",
    "STTRequest",
    "TTSContext",
    "WSConnection",
]

#: The sample rates the API accepts (the SDK types them as this Literal, too).
SAMPLE_RATES = (8000, 16000, 22050, 24000, 44100, 48000)

#: What the fake reports as its version (the SDK 4.2 sends ``cartesia-version: 2026-08-14``).
API_VERSION = "2026-08-14"
MAYA_VOICE_ID = "6f84f4b8-58a2-430c-8c79-688dad597532"

DEFAULT_VOICES: tuple[dict[str, Any], ...] = (
    {
        "id": MAYA_VOICE_ID,
        "name": "Maya (fake)",
        "description": "The bartender's voice, as a tone.",
        "language": "en",
        "gender": "feminine",
    },
    {
        "id": "6ccbfb76-1fc6-48f7-b71d-91ac6298247b",
        "name": "Tessa (fake)",
        "description": "The SDK's placeholder voice for no_more_inputs().",
        "language": "en",
        "gender": "feminine",
    },
)


@dataclass(frozen=True)
class CartesiaFailure:
    """An error the fake answers generation requests with (``FakeCartesia.failure``).

    On HTTP it is the response status with a JSON body; on the WebSocket it is an
    ``{"type": "error", "context_id", "done": true, "status_code", "title", "message"}``
    message for the context. A 401 failure also refuses new WebSocket handshakes (a
    revoked key), and ``GET /voices`` — the app's key check — fails the same way.
    """

    status_code: int
    title: str
    message: str
    error_code: str | None = None

    @classmethod
    def quota(cls) -> CartesiaFailure:
        return cls(
            402,
            "Payment Required",
            "You have run out of credits. Upgrade your plan to continue generating audio.",
            "insufficient_credits",
        )

    @classmethod
    def unauthorized(cls) -> CartesiaFailure:
        return cls(401, "Unauthorized", "Invalid API key.", "invalid_api_key")

    @classmethod
    def rate_limited(cls) -> CartesiaFailure:
        return cls(429, "Too Many Requests", "Concurrency limit reached.", "rate_limited")

    def body(self, request_id: str) -> dict[str, Any]:
        payload: dict[str, Any] = {
            "title": self.title,
            "message": self.message,
            "status_code": self.status_code,
            "request_id": request_id,
        }
        if self.error_code is not None:
            payload["error_code"] = self.error_code
        return payload

    def ws_event(self, context_id: str | None, request_id: str) -> dict[str, Any]:
        event = {"type": "error", "done": True, **self.body(request_id)}
        if context_id is not None:
            event["context_id"] = context_id
        return event


# --------------------------------------------------------------------------------------
# Records
# --------------------------------------------------------------------------------------

AuthVia = Literal["bearer", "x-api-key", "query"]


def _find_key(
    headers: Mapping[str, str], query: Mapping[str, str]
) -> tuple[str | None, AuthVia | None]:
    """Where Cartesia accepts a key: Bearer header (the SDK), X-API-Key, ``?api_key=``."""
    auth = headers.get("authorization", "")
    if auth.lower().startswith("bearer "):
        return auth[7:].strip(), "bearer"
    if headers.get("x-api-key"):
        return headers["x-api-key"], "x-api-key"
    if query.get("api_key"):
        return query["api_key"], "query"
    return None, None


@dataclass(eq=False)
class HTTPRecord:
    """One HTTP request to the fake."""

    method: str
    path: str
    query: dict[str, str]
    #: Header names lower-cased.
    headers: dict[str, str]
    body: Any
    api_key: str | None
    auth_via: AuthVia | None
    status: int | None = None
    received_at: float = field(default_factory=time.monotonic)


@dataclass(eq=False)
class STTRequest:
    """One ``POST /stt`` transcription request, its multipart fields decoded."""

    api_key: str | None
    fields: dict[str, str]
    filename: str | None
    content_type: str | None
    #: The uploaded file's bytes (a WAV file from MayaDesk).
    audio: bytes
    query: dict[str, str]
    #: The transcript the fake answered with (None if it refused).
    answered: str | None = None
    status: int | None = None

    @property
    def model(self) -> str | None:
        return self.fields.get("model")

    @property
    def language(self) -> str | None:
        return self.fields.get("language")

    def pcm(self) -> tuple[bytes, int]:
        """The uploaded WAV as (s16le mono PCM, sample rate)."""
        with wave.open(io.BytesIO(self.audio)) as reader:
            if reader.getnchannels() != 1 or reader.getsampwidth() != 2:
                raise ValueError("expected 16-bit mono WAV")
            return reader.readframes(reader.getnframes()), reader.getframerate()


def _multipart(content_type: str, body: bytes) -> tuple[dict[str, str], dict[str, Any]]:
    """Form fields (text) and the ``file`` field (filename, content type, bytes)."""
    head = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode()
    message = BytesParser(policy=HTTP_POLICY).parsebytes(head + body)
    fields: dict[str, str] = {}
    upload: dict[str, Any] = {}
    if not message.is_multipart():
        return fields, upload
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        data = part.get_payload(decode=True) or b""
        filename = part.get_filename()
        if filename is not None or name == "file":
            upload = {"filename": filename, "content_type": part.get_content_type(), "data": data}
        elif isinstance(name, str):
            fields[name] = data.decode("utf-8", "replace")
    return fields, upload


@dataclass(eq=False)
class WSConnection:
    """One WebSocket connection (or refused handshake)."""

    index: int
    path: str
    query: dict[str, str]
    #: Handshake headers, names lower-cased.
    headers: dict[str, str]
    api_key: str | None
    auth_via: AuthVia | None
    accepted: bool = False
    #: Every message received on it, parsed, in order.
    messages: list[dict[str, Any]] = field(default_factory=list)
    chunks_sent: int = 0
    #: True if the fake cut it on purpose (``drop_after_chunks``).
    dropped: bool = False
    closed: threading.Event = field(default_factory=threading.Event)
    opened_at: float = field(default_factory=time.monotonic)


@dataclass(eq=False)
class TTSContext:
    """One generation context: a WebSocket context or one HTTP TTS request."""

    context_id: str
    #: Order in which contexts started on this fake (0, 1, ...); picks the tone.
    index: int
    frequency: float
    source: Literal["websocket", "bytes", "sse"]
    connection: WSConnection | None
    #: Requests for this context as received (including a cancel), in order.
    messages: list[dict[str, Any]] = field(default_factory=list)
    #: Transcript pieces in order, exactly as sent.
    pieces: list[str] = field(default_factory=list)
    model_id: str | None = None
    voice: Any = None
    output_format: dict[str, Any] = field(default_factory=dict)
    chunks_sent: int = 0
    #: All audio bytes sent for this context, concatenated.
    audio: bytearray = field(default_factory=bytearray)
    #: Audio sent per transcript piece (in piece order; a piece with no text has none).
    piece_audio: list[bytes] = field(default_factory=list)
    flushes: int = 0
    error: dict[str, Any] | None = None
    started_at: float = field(default_factory=time.monotonic)
    #: When the first piece with words arrived: ``first_chunk_latency`` counts from here.
    first_text_at: float | None = None
    first_chunk_at: float | None = None
    #: ``done`` was sent.
    done: threading.Event = field(default_factory=threading.Event)
    #: A cancel arrived.
    cancelled: threading.Event = field(default_factory=threading.Event)
    #: The fake is holding this context (``hold_after_chunks`` reached).
    held: threading.Event = field(default_factory=threading.Event)
    #: Stop producing: cancelled, failed, connection gone or server stopping.
    halt: threading.Event = field(default_factory=threading.Event)
    _work: queue.SimpleQueue[tuple[str, Any] | None] = field(default_factory=queue.SimpleQueue)
    _sample_cursor: int = 0
    _thread: threading.Thread | None = None

    @property
    def transcript(self) -> str:
        return "".join(self.pieces)

    @property
    def sample_rate(self) -> int:
        return int(self.output_format.get("sample_rate") or 24000)

    @property
    def encoding(self) -> str:
        return str(self.output_format.get("encoding") or "pcm_s16le")

    @property
    def finished(self) -> bool:
        return (
            self.done.is_set()
            or self.cancelled.is_set()
            or self.error is not None
            or self.halt.is_set()
        )


class _Stopped(Exception):
    """Producing audio for a context must stop (cancel, connection gone, fake stopping)."""


# --------------------------------------------------------------------------------------
# HTTP side
# --------------------------------------------------------------------------------------


class _CartesiaHandler(FakeRequestHandler):
    @property
    def fake(self) -> FakeCartesia:
        owner = self.server.owner
        assert isinstance(owner, FakeCartesia)
        return owner

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def do_DELETE(self) -> None:
        self._dispatch("DELETE")

    def do_PATCH(self) -> None:
        self._dispatch("PATCH")

    def _dispatch(self, method: str) -> None:
        raw = self.read_body() if method != "GET" else b""
        body: Any = None
        if raw:
            try:
                body = json.loads(raw)
            except ValueError:
                body = raw
        headers = self.header_dict()
        query = self.query
        key, via = _find_key(headers, query)
        record = HTTPRecord(method, self.url_path, query, headers, body, key, via)
        fake = self.fake
        fake._record_http(record)
        try:
            self._answer(record)
        finally:
            fake._notify()

    def _reply_json(self, record: HTTPRecord, status: int, payload: Any) -> None:
        record.status = status
        self.send_json(status, payload)

    def _fail(self, record: HTTPRecord, status: int, title: str, message: str) -> None:
        self._reply_json(
            record,
            status,
            CartesiaFailure(status, title, message).body(_request_id()),
        )

    def _answer(self, record: HTTPRecord) -> None:
        fake = self.fake
        path, method = record.path.rstrip("/") or "/", record.method
        if path == "/" and method == "GET":
            self._reply_json(record, 200, {"ok": True, "version": API_VERSION})
            return
        routes = {
            ("GET", "/voices"),
            ("POST", "/tts/bytes"),
            ("POST", "/tts/sse"),
            ("POST", "/stt"),
        }
        is_voice = method == "GET" and path.startswith("/voices/")
        if (method, path) not in routes and not is_voice:
            self._fail(record, 404, "Not Found", f"No route for {method} {path}")
            return
        refusal = fake._auth_refusal(record.api_key)
        if refusal is not None:
            self._reply_json(record, refusal.status_code, refusal.body(_request_id()))
            return
        if path == "/voices":
            self._reply_json(record, 200, fake._voice_page(record.query))
            return
        if path == "/stt":
            self._stt(record)
            return
        if is_voice:
            voice = fake._voice(path.removeprefix("/voices/"))
            if voice is None:
                self._fail(record, 404, "Not Found", "Voice not found")
            else:
                self._reply_json(record, 200, voice)
            return
        self._tts(record)

    def _stt(self, record: HTTPRecord) -> None:
        fake = self.fake
        raw = record.body if isinstance(record.body, bytes) else b""
        fields, upload = _multipart(record.headers.get("content-type", ""), raw)
        stt = STTRequest(
            api_key=record.api_key,
            fields=fields,
            filename=upload.get("filename"),
            content_type=upload.get("content_type"),
            audio=bytes(upload.get("data") or b""),
            query=dict(record.query),
        )
        if not stt.audio or not stt.model:
            stt.status = 400
            fake._record_stt(stt)
            self._fail(record, 400, "Invalid request", "file and model are required")
            return
        failure = fake.failure
        if failure is not None:
            stt.status = failure.status_code
            fake._record_stt(stt)
            self._reply_json(record, failure.status_code, failure.body(_request_id()))
            return
        text = fake._next_transcript()
        stt.answered, stt.status = text, 200
        try:
            seconds = len(stt.pcm()[0]) / 2 / stt.pcm()[1]
        except (ValueError, EOFError, wave.Error):
            seconds = 0.0
        fake._record_stt(stt)
        self._reply_json(
            record,
            200,
            {
                "type": "transcript",
                "text": text,
                "language": stt.language or "en",
                "duration": round(seconds, 3),
                "request_id": _request_id(),
            },
        )

    def _tts(self, record: HTTPRecord) -> None:
        fake = self.fake
        body = record.body if isinstance(record.body, dict) else None
        problem = _validate_generation(body, need_transcript=True)
        if problem is None and body is not None:
            fmt = body["output_format"]
            wanted = "raw" if record.path == "/tts/sse" else ("raw", "wav")
            if fmt.get("container") not in wanted:
                problem = f"unsupported container {fmt.get('container')!r} in this fake"
        if problem is not None or body is None:
            self._fail(record, 400, "Invalid request", problem or "body must be a JSON object")
            return
        failure = fake.failure
        if failure is not None:
            self._reply_json(record, failure.status_code, failure.body(_request_id()))
            return
        source: Literal["bytes", "sse"] = "sse" if record.path == "/tts/sse" else "bytes"
        ctx = fake._new_context(str(body.get("context_id") or uuid.uuid4()), source, None)
        fake._note_request(ctx, body)
        text = str(body["transcript"])
        try:
            if source == "sse":
                self._tts_sse(record, ctx, text)
            else:
                self._tts_bytes(record, ctx, text)
        except (_Stopped, OSError):
            ctx.halt.set()
            self.drop_connection()
        finally:
            fake._notify()

    def _tts_bytes(self, record: HTTPRecord, ctx: TTSContext, text: str) -> None:
        fmt = ctx.output_format
        wav = fmt.get("container") == "wav"
        content_type = "audio/wav" if wav else "application/octet-stream"
        if wav:
            # A WAV header needs the length, so render first, then stream the file in chunks.
            pcm = b"".join(self.fake._render(ctx, text, _discard))
            data = wav_bytes(pcm, ctx.sample_rate)
            record.status = 200
            self.start_chunked(200, content_type)
            step = max(1, int(ctx.sample_rate * self.fake.chunk_ms / 1000) * 2)
            for start in range(0, len(data), step):
                self.write_chunk(data[start : start + step])
        else:
            record.status = 200
            self.start_chunked(200, content_type)
            for _ in self.fake._render(ctx, text, self.write_chunk):
                pass
        self.end_chunked()
        ctx.done.set()

    def _tts_sse(self, record: HTTPRecord, ctx: TTSContext, text: str) -> None:
        record.status = 200
        self.start_chunked(200, "text/event-stream")

        def event(name: str, payload: dict[str, Any]) -> None:
            self.write_chunk(f"event: {name}\ndata: {json.dumps(payload)}\n\n".encode())

        def send(audio: bytes) -> None:
            event("chunk", _chunk_event(ctx, audio))

        for _ in self.fake._render(ctx, text, send):
            pass
        event(
            "done",
            {"type": "done", "done": True, "status_code": 200, "context_id": ctx.context_id},
        )
        self.end_chunked()
        ctx.done.set()


def _discard(_: bytes) -> None:
    """A sink for audio rendered without streaming it."""


def _request_id() -> str:
    return uuid.uuid4().hex


def _chunk_event(ctx: TTSContext, audio: bytes) -> dict[str, Any]:
    return {
        "type": "chunk",
        "context_id": ctx.context_id,
        "data": base64.b64encode(audio).decode(),
        "done": False,
        "status_code": 206,
        "step_time": 4.2,
    }


def _validate_generation(body: Mapping[str, Any] | None, *, need_transcript: bool) -> str | None:
    """Check what the real API insists on; return a message or None."""
    if body is None:
        return "request must be a JSON object"
    for name in ("model_id", "voice", "output_format"):
        if not body.get(name):
            return f"missing required field {name!r}"
    if need_transcript and not isinstance(body.get("transcript"), str):
        return "missing required field 'transcript'"
    fmt = body["output_format"]
    if not isinstance(fmt, Mapping):
        return "output_format must be an object"
    if fmt.get("container", "raw") == "raw" and fmt.get("encoding") not in SAMPLE_WIDTH:
        return f"unsupported encoding {fmt.get('encoding')!r} in this fake (pcm_s16le, pcm_f32le)"
    rate = fmt.get("sample_rate")
    if rate not in SAMPLE_RATES:
        return f"unsupported sample_rate {rate!r}"
    return None


# --------------------------------------------------------------------------------------
# The fake
# --------------------------------------------------------------------------------------


class FakeCartesia(FakeServer):
    """Fake Cartesia TTS on ``127.0.0.1:<random port>``; HTTP and WebSocket share the port.

    ::

        with FakeCartesia(accepted_keys={"sk_car_ok"}) as tts:
            client = Cartesia(api_key="sk_car_ok", base_url=tts.base_url,
                              websocket_base_url=tts.ws_url, max_retries=0)

    Settings are plain attributes, read when used, so a test may change them mid-run
    (e.g. set ``failure`` after the first reply).
    """

    handler_class: ClassVar[type[FakeRequestHandler]] = _CartesiaHandler

    def __init__(
        self,
        *,
        accepted_keys: set[str] | frozenset[str] | None = None,
        ms_per_char: float = 60.0,
        max_piece_seconds: float = 4.0,
        chunk_ms: float = 40.0,
        first_chunk_latency: float = 0.0,
        chunk_interval: float = 0.0,
        hold_after_chunks: int | None = None,
        drop_after_chunks: int | None = None,
        failure: CartesiaFailure | None = None,
        frequencies: Sequence[float] = DEFAULT_FREQUENCIES,
        amplitude: float = 0.3,
        fade_ms: float = 5.0,
        voices: Sequence[Mapping[str, Any]] = DEFAULT_VOICES,
    ) -> None:
        super().__init__()
        #: None accepts any non-empty key; otherwise only these.
        self.accepted_keys = None if accepted_keys is None else frozenset(accepted_keys)
        #: Audio length per transcript character, capped at ``max_piece_seconds`` a piece.
        self.ms_per_char = ms_per_char
        self.max_piece_seconds = max_piece_seconds
        #: Audio per chunk message.
        self.chunk_ms = chunk_ms
        #: Wait before a context's first chunk (time to first audio).
        self.first_chunk_latency = first_chunk_latency
        #: Wait between chunks (0 = as fast as possible).
        self.chunk_interval = chunk_interval
        #: Per context, after this many chunks wait for ``release`` (or a cancel).
        self.hold_after_chunks = hold_after_chunks
        self.release = threading.Event()
        #: Per WebSocket connection, cut the TCP connection after this many chunks.
        self.drop_after_chunks = drop_after_chunks
        self.failure = failure
        self.frequencies = tuple(frequencies)
        self.amplitude = amplitude
        self.fade_ms = fade_ms
        self.voices = [_voice_json(v) for v in voices]
        self._http: list[HTTPRecord] = []
        self._connections: list[WSConnection] = []
        self._contexts: list[TTSContext] = []
        self._by_id: dict[str, TTSContext] = {}
        self._messages: list[dict[str, Any]] = []
        self._halt_all = threading.Event()
        #: The answer to a transcription when none is scripted.
        self.default_transcript = "Two gin and tonics, please."
        self._transcripts: deque[str] = deque()
        self._stt: list[STTRequest] = []

    # -- URLs -------------------------------------------------------------------------

    @property
    def ws_url(self) -> str:
        """``ws://127.0.0.1:PORT`` — the SDK's ``websocket_base_url`` (same port as HTTP)."""
        return f"ws://127.0.0.1:{self.port}"

    # -- observation ------------------------------------------------------------------

    @property
    def requests(self) -> list[HTTPRecord]:
        """HTTP requests received (WebSocket handshakes are in ``connections``)."""
        with self._lock:
            return list(self._http)

    @property
    def connections(self) -> list[WSConnection]:
        with self._lock:
            return list(self._connections)

    @property
    def contexts(self) -> list[TTSContext]:
        """Every context in start order (WebSocket contexts and HTTP TTS requests)."""
        with self._lock:
            return list(self._contexts)

    @property
    def messages(self) -> list[dict[str, Any]]:
        """Every WebSocket message received on any connection, parsed, in order."""
        with self._lock:
            return list(self._messages)

    @property
    def stt_requests(self) -> list[STTRequest]:
        """Transcription requests received (refused ones too), in order."""
        with self._lock:
            return list(self._stt)

    def script_transcripts(self, *texts: str) -> None:
        """Queue the texts the next transcriptions answer with, in order."""
        with self._lock:
            self._transcripts.extend(texts)

    def wait_for_stt(self, count: int, timeout: float = 10.0) -> list[STTRequest]:
        self.wait_until(lambda: len(self._stt) >= count, timeout)
        return self.stt_requests

    def _next_transcript(self) -> str:
        with self._lock:
            return self._transcripts.popleft() if self._transcripts else self.default_transcript

    def _record_stt(self, request: STTRequest) -> None:
        with self._changed:
            self._stt.append(request)
            self._changed.notify_all()

    def context(self, context_id: str) -> TTSContext:
        """The latest context with this id (KeyError if none)."""
        with self._lock:
            return self._by_id[context_id]

    def frequency_for(self, context_id: str) -> float:
        """The tone of a context: what an FFT of its audio will find."""
        return self.context(context_id).frequency

    def wait_for_context(self, context_id: str, timeout: float = 10.0) -> TTSContext:
        self.wait_until(lambda: context_id in self._by_id, timeout)
        return self.context(context_id)

    # -- lifecycle hooks ----------------------------------------------------------------

    def _connection_handler(self) -> Callable[[socket.socket, Any], bool]:
        return self._maybe_websocket

    def _before_stop(self) -> None:
        self._halt_all.set()
        with self._lock:
            contexts = list(self._contexts)
        for ctx in contexts:
            _halt(ctx)

    # -- shared bookkeeping -------------------------------------------------------------

    def _record_http(self, record: HTTPRecord) -> None:
        with self._changed:
            self._http.append(record)
            self._changed.notify_all()

    def _auth_refusal(self, key: str | None) -> CartesiaFailure | None:
        if not key or (self.accepted_keys is not None and key not in self.accepted_keys):
            return CartesiaFailure.unauthorized()
        if self.failure is not None and self.failure.status_code == 401:
            return self.failure
        return None

    def _new_context(
        self,
        context_id: str,
        source: Literal["websocket", "bytes", "sse"],
        connection: WSConnection | None,
    ) -> TTSContext:
        with self._changed:
            index = len(self._contexts)
            ctx = TTSContext(
                context_id=context_id,
                index=index,
                frequency=frequency_for_index(index, self.frequencies),
                source=source,
                connection=connection,
            )
            self._contexts.append(ctx)
            self._by_id[context_id] = ctx
            self._changed.notify_all()
        return ctx

    def _note_request(self, ctx: TTSContext, body: Mapping[str, Any]) -> None:
        with self._changed:
            ctx.messages.append(dict(body))
            if ctx.model_id is None:
                ctx.model_id = body.get("model_id")
                ctx.voice = body.get("voice")
                ctx.output_format = dict(body.get("output_format") or {})
            transcript = body.get("transcript")
            if isinstance(transcript, str) and transcript:
                ctx.pieces.append(transcript)
                if ctx.first_text_at is None and transcript.strip():
                    ctx.first_text_at = time.monotonic()
            self._changed.notify_all()

    def _voice_page(self, query: Mapping[str, str]) -> dict[str, Any]:
        voices = self.voices
        ids = [v["id"] for v in voices]
        if query.get("starting_after") in ids:
            voices = voices[ids.index(query["starting_after"]) + 1 :]
        elif query.get("ending_before") in ids:
            voices = voices[: ids.index(query["ending_before"])]
        limit = int(query.get("limit") or 10)
        page = voices[:limit]
        return {"data": page, "has_more": len(voices) > limit}

    def _voice(self, voice_id: str) -> dict[str, Any] | None:
        return next((v for v in self.voices if v["id"] == voice_id), None)

    # -- audio ----------------------------------------------------------------------------

    def _render(self, ctx: TTSContext, text: str, send: Callable[[bytes], None]) -> list[bytes]:
        """Produce the tone for one transcript piece and hand it to ``send`` chunk by chunk,
        applying latency, hold, drop and cancel. Returns the chunks sent."""
        if not text.strip():
            return []
        rate = ctx.sample_rate
        seconds = min(len(text) * self.ms_per_char / 1000.0, self.max_piece_seconds)
        n_samples = max(1, round(seconds * rate))
        samples = tone(
            ctx.frequency,
            n_samples,
            rate,
            start_sample=ctx._sample_cursor,
            amplitude=self.amplitude,
            fade_samples=int(rate * self.fade_ms / 1000.0),
        )
        ctx._sample_cursor += n_samples
        per_chunk = max(1, int(rate * self.chunk_ms / 1000.0))
        sent: list[bytes] = []
        for start in range(0, n_samples, per_chunk):
            if ctx.first_chunk_at is None and self.first_chunk_latency > 0:
                # On the clock, from the words' arrival: the tone's rendering and the
                # thread hop must not add to the latency a benchmark injects.
                since = time.monotonic() - (ctx.first_text_at or ctx.started_at)
                self._pause(ctx, max(0.0, self.first_chunk_latency - since))
            hold = self.hold_after_chunks
            if hold is not None and ctx.chunks_sent >= hold:
                self._hold(ctx)
            if ctx.halt.is_set():
                raise _Stopped
            audio = encode_pcm(samples[start : start + per_chunk], ctx.encoding)
            send(audio)
            with self._changed:
                if ctx.first_chunk_at is None:
                    ctx.first_chunk_at = time.monotonic()
                ctx.chunks_sent += 1
                ctx.audio.extend(audio)
                self._changed.notify_all()
            sent.append(audio)
            if self.chunk_interval > 0:
                self._pause(ctx, self.chunk_interval)
        with self._changed:
            ctx.piece_audio.append(b"".join(sent))
        return sent

    def _pause(self, ctx: TTSContext, seconds: float) -> None:
        if ctx.halt.wait(seconds):  # noqa: sleep-ok  (latency injection, cut short by halt)
            raise _Stopped

    def _hold(self, ctx: TTSContext) -> None:
        ctx.held.set()
        self._notify()
        while not self.release.wait(POLL_INTERVAL):  # noqa: sleep-ok
            if ctx.halt.is_set():
                raise _Stopped

    # -- WebSocket side ---------------------------------------------------------------

    def _maybe_websocket(self, sock: socket.socket, _address: Any) -> bool:
        """Take the connection over if it is a WebSocket handshake for /tts/websocket.

        The HTTP request handler would consume the request line and headers, so peek at
        them first and hand the untouched socket to the websockets library, which does
        the real RFC 6455 handshake.
        """
        head = _peek_head(sock, self)
        if not head.startswith(b"GET /tts/websocket"):
            return False
        self._serve_websocket(sock)
        return True

    def _serve_websocket(self, sock: socket.socket) -> None:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, True)
        conn = ServerConnection(
            sock, ServerProtocol(max_size=2**22), ping_interval=None, close_timeout=2
        )
        record: WSConnection | None = None

        def check(connection: ServerConnection, request: Request) -> Response | None:
            nonlocal record
            record = self._record_handshake(request)
            refusal = self._auth_refusal(record.api_key)
            if refusal is None:
                if not request.path.split("?")[0].rstrip("/").endswith("/tts/websocket"):
                    return _json_response(connection, 404, {"message": "Not Found"})
                record.accepted = True
                return None
            return _json_response(connection, refusal.status_code, refusal.body(_request_id()))

        try:
            conn.handshake(check, timeout=5)
        except Exception:
            conn.close_socket()
            conn.recv_events_thread.join()
            return
        if conn.protocol.state is not State.OPEN or record is None:
            conn.close_socket()
            conn.recv_events_thread.join()
            if record is not None:
                record.closed.set()
            return
        try:
            self._websocket_session(conn, record)
        finally:
            conn.close()
            conn.recv_events_thread.join()

    def _record_handshake(self, request: Request) -> WSConnection:
        path, _, raw_query = request.path.partition("?")
        query = dict(parse_qsl(raw_query, keep_blank_values=True))
        headers = {name.lower(): value for name, value in request.headers.raw_items()}
        key, via = _find_key(headers, query)
        with self._changed:
            record = WSConnection(len(self._connections), path, query, headers, key, via)
            self._connections.append(record)
            self._changed.notify_all()
        return record

    def _websocket_session(self, conn: ServerConnection, record: WSConnection) -> None:
        live: dict[str, TTSContext] = {}
        send_lock = threading.Lock()

        def send(payload: dict[str, Any]) -> None:
            with send_lock:
                conn.send(json.dumps(payload))

        def send_chunk(ctx: TTSContext, audio: bytes) -> None:
            send(_chunk_event(ctx, audio))
            with self._changed:
                record.chunks_sent += 1
                limit = self.drop_after_chunks
                drop = limit is not None and record.chunks_sent >= limit and not record.dropped
                if drop:
                    record.dropped = True
            if drop:
                # An abrupt TCP close (no close frame), as a network failure looks.
                with contextlib.suppress(OSError):
                    conn.socket.shutdown(socket.SHUT_RDWR)
                raise _Stopped

        try:
            for raw in conn:
                self._on_message(raw, record, live, send, send_chunk)
        except ConnectionClosed:
            pass
        finally:
            record.closed.set()
            for ctx in live.values():
                _halt(ctx)
            for ctx in live.values():
                if ctx._thread is not None:
                    ctx._thread.join(5.0)
            self._notify()

    def _on_message(
        self,
        raw: str | bytes,
        record: WSConnection,
        live: dict[str, TTSContext],
        send: Callable[[dict[str, Any]], None],
        send_chunk: Callable[[TTSContext, bytes], None],
    ) -> None:
        try:
            message = json.loads(raw)
            if not isinstance(message, dict):
                raise ValueError("not an object")
        except ValueError:
            self.add_problem(f"websocket message is not a JSON object: {raw!r:.200}")
            send(CartesiaFailure(400, "Invalid request", "Invalid JSON.").ws_event(None, "-"))
            return
        with self._changed:
            record.messages.append(message)
            self._messages.append(message)
            self._changed.notify_all()
        context_id = message.get("context_id")
        if message.get("cancel"):
            ctx = live.get(str(context_id))
            if ctx is not None:
                with self._changed:
                    ctx.messages.append(message)
                    ctx.cancelled.set()
                    self._changed.notify_all()
                _halt(ctx)
            return
        context_id = str(context_id or uuid.uuid4())
        ctx = live.get(context_id)
        if ctx is None or ctx.finished:
            ctx = self._new_context(context_id, "websocket", record)
            live[context_id] = ctx
            ctx._thread = threading.Thread(
                target=self._produce,
                args=(ctx, send, send_chunk),
                name=f"FakeCartesia-ctx-{ctx.index}",
                daemon=True,
            )
            ctx._thread.start()
        self._note_request(ctx, message)
        ctx._work.put(("request", message))

    def _produce(
        self,
        ctx: TTSContext,
        send: Callable[[dict[str, Any]], None],
        send_chunk: Callable[[TTSContext, bytes], None],
    ) -> None:
        """One thread per context, so contexts on a connection interleave like the real
        service and a cancel or hold affects only its own context."""
        try:
            while True:
                item = ctx._work.get()
                if item is None or ctx.halt.is_set():
                    return
                message: dict[str, Any] = item[1]
                problem = _validate_generation(message, need_transcript=True)
                if problem is None and message["output_format"].get("container", "raw") != "raw":
                    problem = "the WebSocket sends raw audio only"
                failure = self.failure
                if problem is not None:
                    failure = CartesiaFailure(400, "Invalid request", problem)
                if failure is not None:
                    event = failure.ws_event(ctx.context_id, _request_id())
                    with self._changed:
                        ctx.error = event
                        self._changed.notify_all()
                    send(event)
                    return
                self._render(ctx, str(message["transcript"]), lambda a: send_chunk(ctx, a))
                if message.get("add_timestamps") and message["transcript"].strip():
                    send(_timestamps_event(ctx, message["transcript"], self.ms_per_char))
                if message.get("flush"):
                    with self._changed:
                        ctx.flushes += 1
                    send(
                        {
                            "type": "flush_done",
                            "context_id": ctx.context_id,
                            "done": False,
                            "flush_done": True,
                            "flush_id": ctx.flushes,
                            "status_code": 206,
                        }
                    )
                if not message.get("continue", False):
                    send(
                        {
                            "type": "done",
                            "context_id": ctx.context_id,
                            "done": True,
                            "status_code": 200,
                        }
                    )
                    with self._changed:
                        ctx.done.set()
                        self._changed.notify_all()
                    return
        except (_Stopped, ConnectionClosed, OSError):
            return
        finally:
            self._notify()


def _halt(ctx: TTSContext) -> None:
    ctx.halt.set()
    ctx._work.put(None)


def _peek_head(sock: socket.socket, fake: FakeCartesia) -> bytes:
    """Read the start of the first request without consuming it."""
    deadline = time.monotonic() + 5.0
    while True:
        try:
            data = sock.recv(256, socket.MSG_PEEK)
        except OSError:
            return b""
        if not data or b"\r\n" in data or len(data) >= 256:
            return data
        if time.monotonic() > deadline or fake.stopping:
            return data
        time.sleep(POLL_INTERVAL)  # noqa: sleep-ok  (the request line arrived in pieces)


def _json_response(connection: ServerConnection, status: int, payload: Any) -> Response:
    response = connection.respond(http.HTTPStatus(status), json.dumps(payload))
    del response.headers["Content-Type"]
    response.headers["Content-Type"] = "application/json"
    return response


def _timestamps_event(ctx: TTSContext, text: str, ms_per_char: float) -> dict[str, Any]:
    """Word timestamps spread over the piece in proportion to word length."""
    words, starts, ends = [], [], []
    position = 0.0
    offset = sum(len(p) for p in ctx.pieces[:-1]) * ms_per_char / 1000.0
    for word in text.split():
        start = text.index(word, int(position))
        words.append(word)
        starts.append(round(offset + start * ms_per_char / 1000.0, 3))
        ends.append(round(offset + (start + len(word)) * ms_per_char / 1000.0, 3))
        position = start + len(word)
    return {
        "type": "timestamps",
        "context_id": ctx.context_id,
        "done": False,
        "status_code": 206,
        "word_timestamps": {"words": words, "start": starts, "end": ends},
    }


def _voice_json(voice: Mapping[str, Any]) -> dict[str, Any]:
    """A full Voice object as ``GET /voices`` returns it, from a few given fields."""
    language = str(voice.get("language") or "en")
    full: dict[str, Any] = {
        "id": voice["id"],
        "name": voice.get("name", "Fake voice"),
        "description": voice.get("description", ""),
        "tagline": voice.get("tagline", ""),
        "language": language,
        "locales": [{"locale": f"{language}-US", "is_native": True}],
        "access": "public",
        "visibility": "all",
        "is_owner": False,
        "created_at": "2025-01-01T00:00:00Z",
    }
    if voice.get("gender"):
        full["gender"] = voice["gender"]
    return full
