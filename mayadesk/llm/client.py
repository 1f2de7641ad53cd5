"""`GeminiChat`: one session's Gemini client, the only module here that touches the SDK.

Importing this module imports langchain-google-genai (about two seconds), so nothing on the
window's start-up path may import it; the worker does, off the UI thread.

Keys: the SDK falls back to `GOOGLE_API_KEY`/`GEMINI_API_KEY` (and lets other variables
re-route requests) when it is not told otherwise. Users' keys come only from the keyring, so a
missing key is refused here before the SDK can go looking, the endpoint is always given
explicitly, and the built client is checked to be using exactly the key it was given.

Stopping: a blocking read cannot be interrupted from another thread, and Stop must work
within 200 ms even while Gemini holds a stream open. So each reply is read on a short-lived
helper thread, through an httpx transport that can shut the request's socket down: the turn
waits on a queue in small steps, and on cancel it aborts the socket, which ends the read at
once and shows Gemini a closed connection.
"""

from __future__ import annotations

import contextlib
import logging
import os
import queue
import socket
import threading
import uuid
from collections.abc import Callable, Generator, Iterator, Mapping, Sequence
from contextlib import closing
from dataclasses import dataclass
from typing import Any, cast

import httpx

from mayadesk.config import Settings
from mayadesk.llm.context import Context
from mayadesk.llm.errors import GeminiKeyMissing, GeminiSetupError, StreamCancelled
from mayadesk.llm.messages import SIGNATURES_KEY, to_langchain
from mayadesk.llm.send_gate import RequestRefused, SendGate
from mayadesk.llm.stream import ReplyDone, StreamPart, TextPiece
from mayadesk.sessions.history import ToolCall

log = logging.getLogger("mayadesk.llm")

BASE_URL_ENV = "MAYADESK_GEMINI_BASE_URL"
DEFAULT_BASE_URL = "https://generativelanguage.googleapis.com/"
DEFAULT_TIMEOUT_SECONDS = 30.0
"""Per request; for a stream it bounds the silence between two chunks."""
CANCEL_POLL_SECONDS = 0.02
READER_JOIN_SECONDS = 0.15


def gemini_base_url() -> str:
    """The endpoint: `MAYADESK_GEMINI_BASE_URL` if set (proxies, tests), else Google's."""
    return os.environ.get(BASE_URL_ENV) or DEFAULT_BASE_URL


class _Abort:
    """One request's off switch: shuts its socket down, from any thread, once."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._sock: socket.socket | None = None
        self.aborted = False

    def attach(self, response: httpx.Response) -> None:
        stream = response.extensions.get("network_stream")
        sock = stream.get_extra_info("socket") if stream is not None else None
        with self._lock:
            self._sock = sock if isinstance(sock, socket.socket) else None
            aborted = self.aborted
        if aborted:
            self._shutdown()

    def abort(self) -> None:
        with self._lock:
            self.aborted = True
        self._shutdown()

    def _shutdown(self) -> None:
        with self._lock:
            sock, self._sock = self._sock, None
        if sock is None:
            return
        # The base class's shutdown, also for TLS sockets: SSLSocket.shutdown would drop its
        # SSL object under the reading thread's feet. OSError: already closed, nothing to stop.
        with contextlib.suppress(OSError):
            socket.socket.shutdown(sock, socket.SHUT_RDWR)


class _AbortableTransport(httpx.HTTPTransport):
    """Hands each response's socket to the `_Abort` bound to the requesting thread."""

    def __init__(self) -> None:
        super().__init__()
        self._local = threading.local()

    def bind(self, abort: _Abort | None, gate: SendGate | None = None) -> None:
        self._local.abort = abort
        self._local.gate = gate

    async def aclose(self) -> None:
        """The SDK's async client shares this transport (langchain hands the same
        `client_args` to both) and closes it when garbage-collected on a thread that runs an
        event loop, as the GUI thread does under qasync."""
        self.close()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        abort: _Abort | None = getattr(self._local, "abort", None)
        gate: SendGate | None = getattr(self._local, "gate", None)
        if gate is not None:
            self._local.gate = None  # held once: a retry inside the SDK goes straight out
            try:
                gate.wait(lambda: abort is not None and abort.aborted)
            except RequestRefused as refused:
                raise httpx.ReadError(str(refused), request=request) from None
        if abort is not None and abort.aborted:
            raise httpx.ReadError("cancelled before sending", request=request)
        response = super().handle_request(request)
        if abort is not None:
            abort.attach(response)
        return response


@dataclass(frozen=True, slots=True)
class _Failure:
    exc: BaseException


class _ReplyStream:
    """A reply read on a helper thread; see the module docstring for why."""

    def __init__(
        self,
        source: Callable[[], Iterator[Any]],
        transport: _AbortableTransport,
        cancel: threading.Event,
        gate: SendGate | None = None,
    ) -> None:
        self._transport = transport
        self._cancel = cancel
        self._gate = gate
        self._abort = _Abort()
        self._queue: queue.SimpleQueue[StreamPart | _Failure] = queue.SimpleQueue()
        self._finished = False
        self._thread = threading.Thread(
            target=self._read, args=(source,), name="mayadesk-gemini-reply", daemon=True
        )
        self._thread.start()

    def _read(self, source: Callable[[], Iterator[Any]]) -> None:
        self._transport.bind(self._abort, self._gate)
        try:
            total: Any = None
            finish_reason: str | None = None
            # LangChain types stream() as an Iterator; it is a generator, and closing it
            # closes the HTTP response.
            with closing(cast(Generator[Any, None, None], source())) as chunks:
                for chunk in chunks:
                    if self._abort.aborted:
                        return
                    text = chunk.text
                    if text:
                        self._queue.put(TextPiece(text))
                    finish_reason = chunk.response_metadata.get("finish_reason") or finish_reason
                    total = chunk if total is None else total + chunk
            self._queue.put(ReplyDone(_tool_calls(total), finish_reason))
        except Exception as exc:
            self._queue.put(_Failure(exc))
        finally:
            self._transport.bind(None)

    def __iter__(self) -> _ReplyStream:
        return self

    def __next__(self) -> StreamPart:
        while not self._finished:
            if self._cancel.is_set():
                self.close()
                raise StreamCancelled
            try:
                item = self._queue.get(timeout=CANCEL_POLL_SECONDS)
            except queue.Empty:
                continue
            if isinstance(item, _Failure):
                self._end()
                raise item.exc
            if isinstance(item, ReplyDone):
                self._end()
            return item
        raise StopIteration

    def close(self) -> None:
        """Stop reading and end the HTTP request (Gemini sees the connection close)."""
        if not self._finished:
            self._abort.abort()
        if self._gate is not None:
            self._gate.refuse()  # a request still held is never sent
        self._end()

    def _end(self) -> None:
        self._finished = True
        if self._thread is not threading.current_thread():
            self._thread.join(READER_JOIN_SECONDS)


def _tool_calls(total: Any) -> tuple[ToolCall, ...]:
    if total is None:
        return ()
    signatures: Mapping[str, str] = total.additional_kwargs.get(SIGNATURES_KEY) or {}
    calls = []
    for call in total.tool_calls:
        call_id = call.get("id") or uuid.uuid4().hex
        calls.append(ToolCall(call_id, call["name"], call["args"], signatures.get(call_id)))
    for bad in total.invalid_tool_calls:
        log.info("Ignored a tool call with unreadable arguments: %s", bad.get("name"))
    return tuple(calls)


_sdk_lock = threading.Lock()


def load_sdk() -> Any:
    """Import the Gemini SDK once, on one thread at a time, and return its chat model class.

    Importing it takes seconds; tabs starting turns together would otherwise import it from
    many threads at once, and Python's import deadlock detection then hands some of them a
    half-initialised module (AttributeError).
    """
    with _sdk_lock:
        from langchain_google_genai import ChatGoogleGenerativeAI

        return ChatGoogleGenerativeAI


class GeminiChat:
    """A session's chat client for one key and tool set (the registry caches it).

    Thread-safe for one stream at a time per session, which is how turns run.
    """

    holds_requests = True
    """`stream` takes a `SendGate`: a turn may prepare its request before its keys are read."""

    def __init__(
        self,
        *,
        key: str | None,
        tools: Sequence[Mapping[str, Any]],
        model: str,
        temperature: float | None,
        max_output_tokens: int | None,
        timeout: float = DEFAULT_TIMEOUT_SECONDS,
        base_url: str | None = None,
    ) -> None:
        if not key or not key.strip():
            raise GeminiKeyMissing("no Gemini key was given")
        ChatGoogleGenerativeAI = load_sdk()  # a class, imported late

        self._transport = _AbortableTransport()
        try:
            self._model = ChatGoogleGenerativeAI(
                model=model,
                google_api_key=key,
                base_url=base_url or gemini_base_url(),
                vertexai=False,
                max_retries=0,  # our turn loop retries, with backoff and respect for Stop
                timeout=timeout,
                temperature=temperature,
                max_output_tokens=max_output_tokens,
                # Also handed to the SDK's (unused) async client, which never sends with it.
                client_args={"transport": self._transport},
            )
        except ValueError as exc:  # pydantic's ValidationError is one
            self._transport.close()
            raise GeminiSetupError(_first_problem(exc)) from None
        api = getattr(self._model.client, "_api_client", None)
        if api is not None and (getattr(api, "vertexai", False) or api.api_key != key):
            self.close()
            raise GeminiSetupError("the environment redirected Gemini away from the given key")
        self._bound = self._model.bind_tools([dict(t) for t in tools]) if tools else self._model
        self.model = model

    def stream(
        self,
        context: Context,
        cancel: threading.Event | None = None,
        gate: SendGate | None = None,
    ) -> _ReplyStream:
        """Start one streamed request for `context`; see `stream.ReplyStream`. With `gate`,
        the request is prepared at once but held before sending until the gate opens (a
        refused gate fails the stream with nothing sent); see `send_gate`."""
        messages = to_langchain(context)
        return _ReplyStream(
            lambda: self._bound.stream(messages),
            self._transport,
            cancel or threading.Event(),
            gate,
        )

    def ask_once(
        self,
        content: Sequence[Mapping[str, Any]],
        cancel: threading.Event | None = None,
        *,
        system: str | None = None,
    ) -> str:
        """Send one user message of content blocks, without tools or history; return the
        reply's text.

        For requests beside the conversation that should use the same model, key and
        connection pool — transcribing the user's recorded speech (voice/stt_gemini.py) is
        one. Blocks (network): call it from a worker thread. `cancel` ends it as it ends a
        stream (`StreamCancelled`); SDK errors propagate for `map_gemini_error`.
        """
        from langchain_core.messages import HumanMessage, SystemMessage

        messages: list[Any] = [SystemMessage(content=system)] if system else []
        messages.append(HumanMessage(content=[dict(block) for block in content]))
        reply = _ReplyStream(
            lambda: self._model.stream(messages), self._transport, cancel or threading.Event()
        )
        try:
            return "".join(part.text for part in reply if isinstance(part, TextPiece))
        finally:
            reply.close()

    def close(self) -> None:
        """Release the connection pool (left to the garbage collector, sockets would leak)."""
        client = self._model.client if hasattr(self, "_model") else None
        if client is not None:
            client.close()
        else:
            self._transport.close()

    def __repr__(self) -> str:
        return f"GeminiChat(model={getattr(self, 'model', '?')!r})"


def _first_problem(exc: ValueError) -> str:
    errors = getattr(exc, "errors", None)
    if callable(errors):
        found = errors()
        if found:
            return str(found[0].get("msg", "invalid settings")).removeprefix("Value error, ")
    return "invalid settings"


def make_llm_factory(
    settings: Settings, *, timeout: float = DEFAULT_TIMEOUT_SECONDS
) -> Callable[[str, Sequence[Any]], GeminiChat]:
    """The registry's `llm_factory`: a `GeminiChat` for (key, tool declarations).

    Settings are read when a client is built; after changing them, clear the registry's
    sessions so the next turn builds clients with the new values.
    """

    def factory(key: str, tools: Sequence[Any]) -> GeminiChat:
        return GeminiChat(
            key=key,
            tools=tools,
            model=settings.gemini_model,
            temperature=settings.temperature,
            max_output_tokens=settings.max_output_tokens,
            timeout=timeout,
            base_url=gemini_base_url(),
        )

    return factory
