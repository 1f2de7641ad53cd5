"""One reply's Cartesia context: pieces pushed in, audio and piece completions routed out.

Split from `tts_cartesia` (the connection) because a context has its own small state
machine: open → pushing → finishing → done, or closed early by cancel or failure — and
exactly one of those endings reaches the listener. All of it is guarded by one lock, so a
cancel from the UI thread, a push from the speech thread and a message on the reader
thread never interleave halfway.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import TYPE_CHECKING, Protocol

from mayadesk.voice.errors import VoiceError, cartesia_status_error, map_cartesia_exception

if TYPE_CHECKING:
    from cartesia.lib._tts import WebSocketContext
    from cartesia.types.websocket_response import WebsocketResponse

log = logging.getLogger("mayadesk.tts")

__all__ = ["CartesiaStream", "StreamListener"]


class _Owner(Protocol):
    """What a stream needs from its voice (kept apart to avoid an import cycle)."""

    sample_rate: int

    def _forget(self, stream: CartesiaStream) -> None: ...
    def _note_refusal(self, error: VoiceError) -> None: ...


class StreamListener(Protocol):
    """Receives one context's results, on the reader thread, in the order they arrived."""

    def on_audio(self, pcm: bytes, sample_rate: int) -> None: ...
    def on_piece_done(self, index: int) -> None: ...
    def on_done(self) -> None: ...
    def on_error(self, error: VoiceError) -> None: ...


class CartesiaStream:
    """One reply's context. Exactly one of `on_done`, `on_error` ends it, unless `cancel()`
    ends it first (then the listener hears nothing more)."""

    def __init__(self, voice: _Owner, context: WebSocketContext, listener: StreamListener) -> None:
        self._voice = voice
        self._context = context
        self._listener = listener
        self._lock = threading.Lock()
        self._closed = False
        self._finishing = False
        self._pushed = 0
        self._done = 0
        self._activity = time.monotonic()

    @property
    def context_id(self) -> str:
        return str(self._context._context_id)

    def push(self, text: str) -> None:
        """Send one piece, exactly as it should be concatenated (separating space included)."""
        error: VoiceError | None = None
        with self._lock:
            if self._closed or self._finishing:
                return
            try:
                self._context.push(text, flush=True)
            except Exception as exc:
                error = map_cartesia_exception(exc)
            else:
                if self._pushed == self._done:
                    self._activity = time.monotonic()
                self._pushed += 1
        if error is not None:
            self._fail(error)

    def finish(self) -> None:
        """No more pieces: the server sends ``done`` after the last one's audio."""
        error: VoiceError | None = None
        with self._lock:
            if self._closed or self._finishing:
                return
            self._finishing = True
            self._activity = time.monotonic()
            try:
                self._context.no_more_inputs()
            except Exception as exc:
                error = map_cartesia_exception(exc)
        if error is not None:
            self._fail(error)

    def cancel(self) -> None:
        """Stop generating now; late audio for this context is dropped. Never raises."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            try:
                self._context.cancel()
            except Exception as exc:  # the connection is gone: nothing left to cancel
                log.debug("Cancel of context %s not sent (%s)", self.context_id, exc)
        self._voice._forget(self)

    # -- reader thread -------------------------------------------------------------------

    def _dispatch(self, event: WebsocketResponse) -> None:
        kind = getattr(event, "type", None)
        with self._lock:
            if self._closed:
                return
            self._activity = time.monotonic()
            if kind == "chunk":
                audio = event.audio  # type: ignore[union-attr]
                if audio:
                    self._listener.on_audio(audio, self._voice.sample_rate)
                return
            if kind == "flush_done":
                self._done += 1
                self._listener.on_piece_done(self._done - 1)
                return
            if kind == "done":
                self._closed = True
                self._listener.on_done()
        if kind == "done":
            self._voice._forget(self)
        elif kind == "error":
            status = getattr(event, "status_code", None)
            code = getattr(event, "error_code", None)
            self._fail(cartesia_status_error(status, code))

    def _stalled(self, now: float, limit: float) -> bool:
        with self._lock:
            waiting = self._pushed > self._done or self._finishing
            return not self._closed and waiting and now - self._activity > limit

    def _fail(self, error: VoiceError, *, cancel: bool = False) -> None:
        """End the context with an error (once); `cancel` also tells the server to stop."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            if cancel:
                try:
                    self._context.cancel()
                except Exception as exc:
                    log.debug("Cancel of stalled context not sent (%s)", exc)
            self._listener.on_error(error)
        self._voice._forget(self)
        self._voice._note_refusal(error)
