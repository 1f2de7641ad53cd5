"""What the speech side of a reply tells the outside world, as small immutable events.

The `Speaker` hands each event to an `emit` callback, from whichever thread learnt it (its
speech thread, a Cartesia receiving thread, or the caller of `stop()`), so `emit` must be
thread-safe — the Qt adapter turns events into queued signals, as it does for turn events.
Every event names its reply, so a late event of a stopped reply can be told apart.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from mayadesk.voice.errors import VoiceError

#: The voices of the fallback chain, in order, and "text" when none of them could speak.
VoiceName = Literal["cartesia", "piper", "system", "text"]
CHAIN: tuple[VoiceName, ...] = ("cartesia", "piper", "system", "text")


@dataclass(frozen=True, slots=True)
class VoiceUsed:
    """A voice started speaking this reply (its first audio arrived, or for the system voice,
    its first sentence was handed over); "text" when the chain ran out. The message badge
    shows these, in order: more than one means the reply fell back mid-way."""

    reply_id: str
    voice: VoiceName


@dataclass(frozen=True, slots=True)
class VoiceFailed:
    """A voice failed; the rest of the reply goes to `next_voice` (the tab may show
    `error.message`, e.g. "Cartesia rejected the key — update it in Settings → Keys.")."""

    reply_id: str
    voice: VoiceName
    error: VoiceError
    next_voice: VoiceName


@dataclass(frozen=True, slots=True)
class PieceVoiced:
    """Piece `index` of the reply (the text as spoken, after cleaning) is fully voiced by
    `voice`: all its audio went to the sink, or the system voice has it. Pieces are voiced
    in order and each exactly once, whatever falls back."""

    reply_id: str
    index: int
    text: str
    voice: VoiceName


@dataclass(frozen=True, slots=True)
class SpeechFinished:
    """Nothing more will be sent for this reply: all its audio is at the sink (it may still
    be playing), or it was stopped. `voices` are those that spoke, in order."""

    reply_id: str
    voices: tuple[VoiceName, ...]
    stopped: bool = False


SpeechEvent = VoiceUsed | VoiceFailed | PieceVoiced | SpeechFinished
