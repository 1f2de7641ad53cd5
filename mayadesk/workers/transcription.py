"""A tab's transcriber: its profile's keys, its session's clients, the chosen service.

Plain Python (no Qt), called on the voice-input controller's worker thread. It sits in
`workers` because it joins layers that do not know each other: the key store (which key),
the session registry (the tab's cached Gemini client, the same one its turns use — a cache
hit, so transcription costs no new client or connection), `llm` (sending the audio, mapping
Gemini's errors) and `voice` (the WAV, Cartesia's speech-to-text).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from mayadesk.config import Settings
from mayadesk.voice.stt_cartesia import CartesiaTranscriber
from mayadesk.voice.transcribe import TranscriptionError, transcribe_with_gemini

if TYPE_CHECKING:
    from mayadesk.keys.store import ProfileKeys
    from mayadesk.sessions.registry import SessionRegistry
    from mayadesk.sessions.session import Session
    from mayadesk.workers.turn_services import TurnServices

log = logging.getLogger("mayadesk.stt")

KeySource = Callable[[str, threading.Event], "ProfileKeys | None"]


class SessionTranscriber:
    """Transcribes for one tab (a `voice.transcribe.Transcriber`).

    Which service is read from `settings.transcriber` at each utterance ("gemini" or
    "cartesia"), and the keys from the tab's profile at each utterance, so a key or choice
    changed in Settings applies to the next thing the user says. `target` is the session id:
    the controller reports it with the text, so the words reach the tab they were said to.
    """

    def __init__(
        self,
        session: Session,
        registry: SessionRegistry[Any, Any],
        keys: KeySource,
        settings: Settings,
    ) -> None:
        self._session = session
        self._registry = registry
        self._keys = keys
        self._settings = settings
        self.target: object = session.id

    @classmethod
    def for_tab(
        cls, services: TurnServices, session: Session, settings: Settings
    ) -> SessionTranscriber:
        """The usual wiring: the turn services' registry and key snapshots."""
        return cls(session, services.registry, services.key_snapshot, settings)

    @property
    def provider(self) -> str:
        return "cartesia" if self._settings.transcriber == "cartesia" else "gemini"

    def transcribe(self, pcm: bytes, sample_rate: int, cancel: threading.Event) -> str:
        provider = self.provider
        profile = self._session.profile
        keys = self._keys(profile, cancel)
        if keys is None:
            raise TranscriptionError(
                "cancelled", "The transcription was stopped.", retryable=False, provider=provider
            )
        if provider == "cartesia":
            return self._cartesia_for(keys, profile).transcribe(pcm, sample_rate, cancel)
        return self._gemini(keys, profile, pcm, sample_rate, cancel)

    def close(self) -> None:
        """Nothing to release: the registry owns both clients and closes them with the tab."""

    # -- services ---------------------------------------------------------------------

    def _gemini(
        self,
        keys: ProfileKeys,
        profile: str,
        pcm: bytes,
        sample_rate: int,
        cancel: threading.Event,
    ) -> str:
        from mayadesk.llm.errors import GeminiKeyMissing, map_gemini_error
        from mayadesk.llm.turn import TOOL_DECLARATIONS

        try:
            if not keys.gemini:
                if keys.problem:
                    raise TranscriptionError(
                        "auth", keys.problem, retryable=False, provider="gemini"
                    )
                raise GeminiKeyMissing("no Gemini key")
            chat = self._registry.get_llm(self._session.id, keys.gemini, TOOL_DECLARATIONS)
            return transcribe_with_gemini(chat, pcm, sample_rate, cancel)
        except TranscriptionError:
            raise
        except Exception as exc:
            error = map_gemini_error(exc, profile)
            log.info(
                "Session %s: Gemini transcription failed (%s, %s)",
                self._session.id[:8],
                error.category.value,
                type(exc).__name__,
            )
            raise TranscriptionError(
                error.category.value,
                error.message,
                retryable=error.retryable,
                provider="gemini",
                status=error.status,
            ) from None

    def _cartesia_for(self, keys: ProfileKeys, profile: str) -> CartesiaTranscriber:
        """The session's Cartesia client from the registry (the one its voice uses), so it
        is cached, replaced on a key change and closed with the tab like the voice."""
        if not keys.cartesia:
            raise TranscriptionError(
                "auth",
                keys.problem
                or f"No Cartesia key is set for profile {profile} — add one in Settings → Keys, "
                "or choose Gemini for transcription.",
                retryable=False,
                provider="cartesia",
            )
        try:
            voice = self._registry.get_tts(self._session.id, keys.cartesia)
        except Exception as exc:
            log.info("Session %s: no Cartesia client (%s)", self._session.id[:8],
                     type(exc).__name__)
            raise TranscriptionError(
                "bad_response", "Cartesia could not be reached for transcription.",
                retryable=True, provider="cartesia",
            ) from None
        transcriber: CartesiaTranscriber = voice.transcriber()
        return transcriber
