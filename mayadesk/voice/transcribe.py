"""Speech to text: what every transcriber shares, and the Gemini request.

Two services can turn the user's recorded words into text (issue 7): Gemini itself — the
audio goes to the same model as an inline ``audio/wav`` part, so no other key is needed —
or Cartesia's speech-to-text (`stt_cartesia`). Either way the caller (the voice-input
controller) sees one interface, `Transcriber`, and one error type, `TranscriptionError`,
with the category, `retryable` and one plain sentence that the rest of the app uses for
turns (llm/errors.py's `ErrorCategory`).

This module stays below `llm` in the layers: it builds the Gemini request's content blocks
and reads the reply, but the client that sends them (a session's `GeminiChat`, from the
registry) is handed in through the small `OneShotModel` protocol, and its errors are mapped
by the caller, which knows the tab's profile (workers/voice_input.py).
"""

from __future__ import annotations

import io
import threading
import wave
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Protocol

from mayadesk.keys.redaction import redact

__all__ = [
    "GEMINI_INSTRUCTION",
    "OneShotModel",
    "SttCategory",
    "Transcriber",
    "TranscriptionError",
    "clean_transcript",
    "gemini_audio_content",
    "transcribe_with_gemini",
    "wav_bytes",
]

GEMINI_INSTRUCTION = (
    "Transcribe exactly what is said in this recording, word for word, in the language "
    "spoken. Reply with the spoken words only: no quotation marks, labels, timestamps or "
    "descriptions of sounds. If nobody speaks, reply with nothing."
)


class SttCategory(StrEnum):
    """The same categories as a turn's errors (llm/errors.py `ErrorCategory`), by value."""

    AUTH = "auth"
    RATE_LIMIT = "rate_limit"
    QUOTA = "quota"
    NETWORK = "network"
    TIMEOUT = "timeout"
    BAD_RESPONSE = "bad_response"
    SERVER = "server"
    CANCELLED = "cancelled"


class TranscriptionError(Exception):
    """Speech could not be turned into text: a category, whether trying again can help, and
    a sentence for the user (redacted: no key can reach the screen or the log through it).

    `provider` is "gemini" or "cartesia"; `status` the HTTP status when there was one.
    """

    def __init__(
        self,
        category: SttCategory | str,
        message: str,
        *,
        retryable: bool,
        provider: str,
        status: int | None = None,
    ) -> None:
        self.message = redact(message)
        super().__init__(self.message)
        self.category = SttCategory(str(category))
        self.retryable = retryable
        self.provider = provider
        self.status = status

    def __repr__(self) -> str:
        return (
            f"TranscriptionError({self.category.value}, provider={self.provider!r}, "
            f"retryable={self.retryable}, status={self.status})"
        )


class Transcriber(Protocol):
    """Turns one utterance into text. Blocking (network): call it on a worker thread.

    Raises `TranscriptionError`; returns "" when nothing was said. `cancel` set from another
    thread ends the request as soon as it can (then the result is ignored anyway).
    """

    def transcribe(self, pcm: bytes, sample_rate: int, cancel: threading.Event) -> str: ...


class OneShotModel(Protocol):
    """What transcription needs of a chat client: `GeminiChat.ask_once` (llm/client.py)."""

    def ask_once(
        self,
        content: Any,
        cancel: threading.Event | None = None,
        *,
        system: str | None = None,
    ) -> str: ...


def wav_bytes(pcm: bytes, sample_rate: int) -> bytes:
    """s16le mono PCM wrapped as a WAV file (both services want a container, not raw PCM)."""
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as writer:
        writer.setnchannels(1)
        writer.setsampwidth(2)
        writer.setframerate(sample_rate)
        writer.writeframes(pcm)
    return buffer.getvalue()


def gemini_audio_content(wav: bytes, instruction: str = GEMINI_INSTRUCTION) -> list[dict[str, Any]]:
    """The user message's content blocks: the instruction, then the audio as inline data.

    langchain-google-genai turns a ``media`` block with raw bytes and a MIME type into a
    ``Part(inline_data=Blob(...))`` — on the wire ``{"inlineData": {"mimeType": "audio/wav",
    "data": <base64>}}`` (chat_models.py `_convert_to_parts`).
    """
    return [
        {"type": "text", "text": instruction},
        {"type": "media", "mime_type": "audio/wav", "data": wav},
    ]


_QUOTES = "\"'“”‘’«»"


def clean_transcript(text: str) -> str:
    """The words only: whitespace collapsed and wrapping quotation marks removed."""
    words = " ".join(text.split())
    while len(words) >= 2 and words[0] in _QUOTES and words[-1] in _QUOTES:
        words = words[1:-1].strip()
    return words


def transcribe_with_gemini(
    model: OneShotModel, pcm: bytes, sample_rate: int, cancel: threading.Event
) -> str:
    """One Gemini request with the utterance as WAV; the cleaned transcript ("" if none).

    Exceptions are the client's own (SDK, transport, `StreamCancelled`): the caller maps
    them with the tab's profile in hand.
    """
    content = gemini_audio_content(wav_bytes(pcm, sample_rate))
    return clean_transcript(model.ask_once(content, cancel))


@dataclass(frozen=True, slots=True)
class Transcript:
    """A finished transcription, as the voice-input controller reports it."""

    text: str
    provider: str
    audio_ms: int
    target: object = None
    """Whatever the transcriber was set up for (a session id): where the text belongs."""
