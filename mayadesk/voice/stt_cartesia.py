"""Cartesia speech-to-text: one utterance as WAV to ``POST /stt`` through the cartesia SDK.

The SDK (4.x) has batch transcription, `client.stt.transcribe(file=..., model=...)`: a
multipart upload with ``Authorization: Bearer <key>``, answered with ``{"type":
"transcript", "text": ...}``. The base URL follows ``MAYADESK_CARTESIA_BASE_URL`` like the
voice does, and the SDK never reads a key from the environment. One client per key, kept
for its connection pool (a TLS handshake per utterance would add a round trip); `close()`
releases it.

Errors are mapped here, once, into `TranscriptionError` with a sentence that says what to
do; a message never quotes the server (it could echo a request).
"""

from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING

from mayadesk.keys.online_check import cartesia_base_url
from mayadesk.voice.transcribe import SttCategory, TranscriptionError, clean_transcript, wav_bytes

if TYPE_CHECKING:
    from cartesia import Cartesia

log = logging.getLogger("mayadesk.stt")

DEFAULT_STT_MODEL = "ink-whisper"
TIMEOUT_SECONDS = 20.0
_PROVIDER = "cartesia"


class CartesiaTranscriber:
    """Transcribes with Cartesia for one key. Thread-safe; `transcribe` blocks (network)."""

    def __init__(
        self,
        api_key: str,
        *,
        model: str = DEFAULT_STT_MODEL,
        language: str = "en",
        base_url: str | None = None,
        timeout: float = TIMEOUT_SECONDS,
    ) -> None:
        if not api_key or not api_key.strip():
            raise ValueError("a Cartesia key is required")
        self._key = api_key
        self.model = model
        self.language = language
        self.base_url = (base_url or cartesia_base_url()).rstrip("/")
        self._timeout = timeout
        self._lock = threading.Lock()
        self._client: Cartesia | None = None
        self._closed = False

    def __repr__(self) -> str:  # never the key
        return f"<CartesiaTranscriber {self.base_url} model={self.model}>"

    def transcribe(self, pcm: bytes, sample_rate: int, cancel: threading.Event) -> str:
        """The words of one utterance ("" if none); raises `TranscriptionError`.

        The SDK's request cannot be interrupted; a cancelled transcription finishes in the
        background and its result is dropped by the caller.
        """
        if cancel.is_set():
            raise cancelled()
        try:
            response = self._sdk().stt.transcribe(
                file=("speech.wav", wav_bytes(pcm, sample_rate), "audio/wav"),
                model=self.model,
                language=self.language,
                timeout=self._timeout,
            )
        except TranscriptionError:
            raise
        except Exception as exc:
            error = map_cartesia_stt_error(exc)
            log.info("Cartesia transcription failed: %r (%s)", error, type(exc).__name__)
            raise error from None
        if cancel.is_set():
            raise cancelled()
        return clean_transcript(str(getattr(response, "text", "") or ""))

    def close(self) -> None:
        with self._lock:
            self._closed = True
            client, self._client = self._client, None
        if client is not None:
            try:
                client.close()
            except Exception as exc:  # closing a pool cannot fail in a way worth telling
                log.debug("Closing the Cartesia STT client failed (%s)", type(exc).__name__)

    def _sdk(self) -> Cartesia:
        with self._lock:
            if self._closed:
                raise cancelled()
            if self._client is None:
                from cartesia import Cartesia

                self._client = Cartesia(api_key=self._key, base_url=self.base_url, max_retries=0)
            return self._client


def cancelled() -> TranscriptionError:
    return TranscriptionError(
        SttCategory.CANCELLED, "The transcription was stopped.", retryable=False, provider=_PROVIDER
    )


def map_cartesia_stt_error(exc: BaseException) -> TranscriptionError:
    """Any exception from the SDK's transcription call, as a `TranscriptionError`."""
    import cartesia

    status: int | None = getattr(exc, "status_code", None)
    if isinstance(exc, cartesia.APITimeoutError):
        return _error(
            SttCategory.TIMEOUT,
            "Cartesia took too long to transcribe your words — try again.",
            True,
        )
    if isinstance(exc, cartesia.APIConnectionError):
        return _error(
            SttCategory.NETWORK,
            "MayaDesk could not reach Cartesia to transcribe your words — check your "
            "connection and try again.",
            True,
        )
    if isinstance(exc, cartesia.APIStatusError) and status is not None:
        return _from_status(status)
    return _error(
        SttCategory.BAD_RESPONSE,
        "Cartesia answered in a way MayaDesk does not understand — try again, or choose "
        "Gemini for transcription in Settings.",
        False,
    )


def _from_status(status: int) -> TranscriptionError:
    if status in (401, 403):
        return _error(
            SttCategory.AUTH,
            "Cartesia rejected the key — update it in Settings → Keys, or choose Gemini for "
            "transcription.",
            False,
            status,
        )
    if status == 402:
        return _error(
            SttCategory.QUOTA,
            "Cartesia says the account is out of credits — top it up, or choose Gemini for "
            "transcription in Settings.",
            False,
            status,
        )
    if status == 429:
        return _error(
            SttCategory.RATE_LIMIT,
            "Cartesia is busy with too many requests — wait a moment and try again.",
            True,
            status,
        )
    if status >= 500:
        return _error(
            SttCategory.SERVER,
            "Cartesia had a problem on its side — try again in a moment.",
            True,
            status,
        )
    return _error(
        SttCategory.BAD_RESPONSE,
        f"Cartesia could not transcribe this recording (error {status}) — try again, or "
        "choose Gemini for transcription in Settings.",
        False,
        status,
    )


def _error(
    category: SttCategory, message: str, retryable: bool, status: int | None = None
) -> TranscriptionError:
    return TranscriptionError(
        category, message, retryable=retryable, provider=_PROVIDER, status=status
    )
