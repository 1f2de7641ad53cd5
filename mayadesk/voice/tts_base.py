"""What the speech pipeline needs from a voice and from the audio output, as protocols.

The `Speaker` is written against these, not against Cartesia, Piper or Qt, so its logic
(fallback, nothing said twice, stop) is testable with in-memory stand-ins, and a voice can be
replaced without touching it. `CartesiaVoice`, `PiperVoice`, `SystemVoice` and `AudioOutput`
satisfy them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol

from mayadesk.voice.tts_cartesia_stream import StreamListener

__all__ = [
    "AudioSink",
    "LocalVoice",
    "PostedVoice",
    "StreamListener",
    "StreamingVoice",
    "VoiceStream",
]


class AudioSink(Protocol):
    """Where PCM goes (`AudioOutput` is one); called from the speech and reader threads."""

    def play(self, utterance_id: str, pcm: bytes, sample_rate: int, /) -> None: ...
    def end(self, utterance_id: str, /) -> None: ...
    def cancel(self, utterance_id: str, /) -> None: ...


class VoiceStream(Protocol):
    def push(self, text: str) -> None: ...
    def finish(self) -> None: ...
    def cancel(self) -> None: ...


class StreamingVoice(Protocol):
    """A remote voice with one stream per reply (`CartesiaVoice`)."""

    def open_stream(self, listener: StreamListener) -> VoiceStream: ...


class LocalVoice(Protocol):
    """A voice that synthesises a piece on the calling thread (`PiperVoice`)."""

    def available(self) -> bool: ...
    def synthesize(
        self, text: str, on_audio: Callable[[bytes, int], None], cancelled: Callable[[], bool]
    ) -> bool: ...


class PostedVoice(Protocol):
    """A voice that plays by itself on another thread (`SystemVoice`)."""

    def available(self) -> bool: ...
    def post(self, text: str, after: Sequence[str] = ()) -> None: ...
    def post_stop(self) -> None: ...
