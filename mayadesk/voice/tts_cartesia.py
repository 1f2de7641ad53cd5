"""Cartesia over one WebSocket per session: a context per reply, sentences pushed as they come.

Why it is built this way:

- One socket per session, opened on the first reply and kept: a handshake costs a round trip
  (and TLS), which would be paid before every reply's first audio otherwise. This object is
  what the session registry caches per (session, key); `close()` closes the socket.
- One context per reply, each sentence pushed with ``continue: true`` the moment it is
  complete, with the server's text buffering off (``max_buffer_delay_ms=0``: we only ever
  send whole sentences, so buffering would only add up to 3 s of latency).
- Every push also asks for a ``flush``: the server then answers each piece's audio with a
  ``flush_done``, which is how we know exactly which sentences were fully voiced when the
  connection drops mid-reply — the next voice says the rest, and nothing is said twice.
- One thread reads the socket for all contexts and routes by ``context_id``. The SDK's own
  per-context reader hands a cancelled context's late chunks to the next context and stalls
  10 s on close when messages pile up unread; reading continuously avoids both. Events for a
  context we no longer know (cancelled, failed) are dropped.
- Sends (push, cancel) happen on the caller's thread under the stream's lock; a send is a
  small frame written to a socket, so `cancel()` returns in well under a millisecond.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, cast

from mayadesk.keys.online_check import cartesia_base_url
from mayadesk.voice.errors import (
    VoiceError,
    VoiceErrorCategory,
    cartesia_closed,
    map_cartesia_exception,
)
from mayadesk.voice.tts_cartesia_net import cartesia_ws_url, close_quietly, closed_error, no_delay
from mayadesk.voice.tts_cartesia_stream import CartesiaStream, StreamListener

__all__ = ["CartesiaVoice", "cartesia_ws_url", "make_tts_factory"]

if TYPE_CHECKING:
    from cartesia import Cartesia
    from cartesia.lib._tts import TTSResourceConnection
    from cartesia.types.websocket_response import WebsocketResponse

    from mayadesk.voice.stt_cartesia import CartesiaTranscriber

log = logging.getLogger("mayadesk.tts")

DEFAULT_MODEL = "sonic-3"
DEFAULT_VOICE_ID = "6f84f4b8-58a2-430c-8c79-688dad597532"
SAMPLE_RATE = 24000
POLL_SECONDS = 0.25  # how often the reader looks for stalled contexts
QUOTA_MEMORY_SECONDS = 300.0


class CartesiaVoice:
    """A session's Cartesia voice: one WebSocket (opened lazily), one context per reply.

    Thread-safe. `open_stream` blocks for the handshake when no socket is open (call it off
    the UI thread); everything else returns at once. A refused key is remembered, so later
    replies fall back without another handshake (a new key means a new object anyway).

    The model and voice are read when each reply opens its context (from `choice`, when
    given), so a change in Settings is heard on the next reply: the object is cached per
    session by the registry and is not rebuilt for a settings change.
    """

    name = "cartesia"

    def __init__(
        self,
        api_key: str,
        *,
        model_id: str = DEFAULT_MODEL,
        voice_id: str = DEFAULT_VOICE_ID,
        base_url: str | None = None,
        ws_url: str | None = None,
        sample_rate: int = SAMPLE_RATE,
        connect_timeout: float = 5.0,
        stall_timeout: float = 10.0,
        choice: Callable[[], tuple[str, str]] | None = None,
    ) -> None:
        """`choice` returns (model id, voice id) at each reply; without it, the fixed ones."""
        self._key = api_key
        self._choice = choice or (lambda: (model_id, voice_id))
        self.base_url = (base_url or cartesia_base_url()).rstrip("/")
        self.ws_url = (ws_url or cartesia_ws_url(self.base_url)).rstrip("/")
        self.sample_rate = sample_rate
        self._connect_timeout = connect_timeout
        self._stall_timeout = stall_timeout
        self._lock = threading.Lock()
        self._connect_lock = threading.Lock()
        self._client: Cartesia | None = None
        self._conn: TTSResourceConnection | None = None
        self._streams: dict[str, CartesiaStream] = {}
        self._refused: tuple[VoiceError, float] | None = None
        self._closed = False
        self._transcriber: CartesiaTranscriber | None = None

    def __repr__(self) -> str:  # never the key
        return f"<CartesiaVoice {self.ws_url} model={self.model_id} open={self.is_connected}>"

    @property
    def model_id(self) -> str:
        return self._choice()[0]

    @property
    def voice_id(self) -> str:
        return self._choice()[1]

    @property
    def is_connected(self) -> bool:
        return self._conn is not None

    def open_stream(self, listener: StreamListener) -> CartesiaStream:
        """A new context for one reply; connects first if needed. Raises `VoiceError`."""
        refused = self._refused
        if refused is not None and time.monotonic() < refused[1]:
            raise refused[0]
        conn = self._connection()
        model_id, voice_id = self._choice()
        context = conn.context(
            model_id=model_id,
            voice={"id": voice_id},
            output_format=cast(
                Any, {"container": "raw", "encoding": "pcm_s16le", "sample_rate": self.sample_rate}
            ),
            max_buffer_delay_ms=0,
        )
        stream = CartesiaStream(self, context, listener)
        with self._lock:
            if self._conn is not conn:  # it died between the handshake and now
                raise cartesia_closed()
            self._streams[stream.context_id] = stream
        return stream

    def warm_up(self) -> None:
        """Open the socket now (blocking; off the UI thread), so the first reply skips the
        handshake. Raises `VoiceError` like `open_stream`."""
        self._connection()

    def close(self) -> None:
        """Close the socket (in the background: a close handshake may wait on the network)."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            conn, self._conn = self._conn, None
            streams = list(self._streams.values())
            transcriber, self._transcriber = self._transcriber, None
        for stream in streams:
            stream._fail(closed_error())
        if transcriber is not None:
            transcriber.close()
        if conn is not None or self._client is not None:
            threading.Thread(
                target=close_quietly,
                args=(conn, self._client),
                name="mayadesk-tts-close",
                daemon=True,
            ).start()

    def transcriber(self) -> CartesiaTranscriber:
        """Cartesia's speech-to-text with this session's key, made on first use and closed
        with the voice: the registry caches and releases it like the rest of the session's
        Cartesia client (a changed key means a new voice, so a new transcriber)."""
        from mayadesk.voice.stt_cartesia import CartesiaTranscriber

        with self._lock:
            if self._transcriber is None:
                self._transcriber = CartesiaTranscriber(self._key, base_url=self.base_url)
            return self._transcriber

    # -- connection ----------------------------------------------------------------------

    def _connection(self) -> TTSResourceConnection:
        with self._connect_lock:
            with self._lock:
                if self._closed:
                    raise closed_error()
                if self._conn is not None:
                    return self._conn
            try:
                if self._client is None:
                    from cartesia import Cartesia

                    self._client = Cartesia(
                        api_key=self._key,
                        base_url=self.base_url,
                        websocket_base_url=self.ws_url,
                        max_retries=0,
                    )
                options = {"open_timeout": self._connect_timeout, "close_timeout": 1.0}
                conn = self._client.tts.websocket_connect(
                    websocket_connection_options=cast(Any, options)
                ).enter()
            except Exception as exc:
                error = map_cartesia_exception(exc)
                self._note_refusal(error)
                raise error from None
            no_delay(conn)
            with self._lock:
                if self._closed:  # closed during the handshake: close() missed this socket
                    client = self._client
                    threading.Thread(target=close_quietly, args=(conn, client), daemon=True).start()
                    raise closed_error()
                self._conn = conn
            threading.Thread(
                target=self._read, args=(conn,), name="mayadesk-tts-rx", daemon=True
            ).start()
            return conn

    def _read(self, conn: TTSResourceConnection) -> None:
        """Route every message to its context until the socket ends; then fail the rest."""
        from websockets.exceptions import ConnectionClosed

        error = cartesia_closed()
        checked = time.monotonic()
        try:
            while True:
                try:
                    raw = conn.recv_bytes(timeout=POLL_SECONDS)
                except TimeoutError:
                    raw = None
                if raw is not None:
                    self._route(conn.parse_event(raw))
                now = time.monotonic()
                if now - checked >= POLL_SECONDS:
                    checked = now
                    self._fail_stalled(now)
        except ConnectionClosed:
            pass
        except Exception as exc:
            error = map_cartesia_exception(exc)
            log.warning("Cartesia connection failed (%s)", type(exc).__name__)
        with self._lock:
            if self._conn is conn:
                self._conn = None
            streams = list(self._streams.values())
        for stream in streams:
            stream._fail(error)

    def _route(self, event: WebsocketResponse) -> None:
        context_id = getattr(event, "context_id", None)
        with self._lock:
            if context_id is None and getattr(event, "type", None) == "error":
                targets = list(self._streams.values())
            else:
                found = self._streams.get(str(context_id))
                targets = [] if found is None else [found]
        for stream in targets:
            stream._dispatch(event)

    def _fail_stalled(self, now: float) -> None:
        with self._lock:
            streams = list(self._streams.values())
        for stream in streams:
            if stream._stalled(now, self._stall_timeout):
                stream._fail(cartesia_closed("Cartesia stopped sending audio"), cancel=True)

    def _forget(self, stream: CartesiaStream) -> None:
        with self._lock:
            if self._streams.get(stream.context_id) is stream:
                del self._streams[stream.context_id]
            conn = self._conn
        if conn is not None:  # the SDK keeps a queue per context for its own reader; unused here
            cast(dict[str, Any], getattr(conn, "_context_queues", {})).pop(stream.context_id, None)

    def _note_refusal(self, error: VoiceError) -> None:
        """Remember a refused key (for good) or an empty account (for a while)."""
        if error.category is VoiceErrorCategory.AUTH:
            self._refused = (error, math.inf)
        elif error.category is VoiceErrorCategory.QUOTA and not error.retryable:
            self._refused = (error, time.monotonic() + QUOTA_MEMORY_SECONDS)


def voice_choice(settings: object) -> tuple[str, str]:
    """(model id, voice id) as the settings have them now; blank ones give DESIGN.md's
    defaults. Read on a worker thread while the UI may change them: each is one attribute
    read of an immutable string, so a reply sees either the old value or the new one."""
    model = str(getattr(settings, "cartesia_model", "") or "").strip() or DEFAULT_MODEL
    voice = str(getattr(settings, "cartesia_voice_id", "") or "").strip() or DEFAULT_VOICE_ID
    return model, voice


def make_tts_factory(settings: object) -> Callable[[str], CartesiaVoice]:
    """The registry's `tts_factory`: a `CartesiaVoice` per key (no network until first use).

    Each voice reads `cartesia_model` and `cartesia_voice_id` from the live settings object
    at every reply, so a change in Settings → Voice needs no new client and no restart;
    endpoints come from the environment overrides, read when a voice is built.
    """

    def factory(key: str) -> CartesiaVoice:
        return CartesiaVoice(key, choice=lambda: voice_choice(settings))

    return factory
