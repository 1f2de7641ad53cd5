"""One reply's speech state, and the listener that routes Cartesia's results into it.

Kept apart from `speaker` so that module stays about decisions (which voice, when to fall
over); this one is bookkeeping. Utterance ids name the reply, the piece and the voice
(``<reply>#<index>.<voice>``): the sink plays each piece as its own utterance, so a piece
whose audio was cut off can be cancelled there without touching the pieces before it, and a
piece said again by the next voice gets a fresh id (the sink never reuses one).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Protocol

from mayadesk.voice.errors import VoiceError
from mayadesk.voice.events import VoiceName
from mayadesk.voice.sentences import SentenceSplitter
from mayadesk.voice.tts_base import StreamingVoice, VoiceStream


def utterance_id(reply_id: str, index: int, voice: VoiceName) -> str:
    return f"{reply_id}#{index}.{voice}"


class Reply:
    """One reply's speech state. `stopped`, `stream`, `finished` and `uids` are guarded by
    the speaker's lock; the rest belongs to the speech thread (and, for a Cartesia reply,
    its reader thread, which only runs while the speech thread waits for it)."""

    def __init__(
        self,
        reply_id: str,
        cartesia: StreamingVoice | None,
        *,
        cache_key: str | None = None,
        cartesia_source: Callable[[], StreamingVoice | None] | None = None,
    ) -> None:
        self.id = reply_id
        self.cartesia = cartesia
        # Where its audio is kept for replay (None: not kept, e.g. a replay of kept audio).
        self.cache_key = cache_key
        # Asked on the speech thread when the reply begins (a replay started from the GUI
        # thread must not wait there for the keyring or the registry).
        self.cartesia_source = cartesia_source
        self.splitter = SentenceSplitter()
        self.pieces: list[str] = []
        self.voice: VoiceName = "text"
        self.stream: VoiceStream | None = None
        self.voiced = 0  # pieces fully voiced, in order
        self.uids: list[str] = []
        self.voices: list[VoiceName] = []
        self.ended = self.stopped = self.finished = False


class SpeakerSide(Protocol):
    """What the listener calls back in the speaker (from the reader thread)."""

    def _play(self, reply: Reply, uid: str, voice: VoiceName, pcm: bytes, rate: int) -> None: ...
    def _end_utterance(self, reply: Reply, uid: str) -> None: ...
    def _piece_done(self, reply: Reply, index: int, voice: VoiceName) -> None: ...
    def _post(self, command: Callable[[], None]) -> None: ...
    def _on_stream_done(self, reply: Reply) -> None: ...
    def _on_stream_failed(self, reply: Reply, error: VoiceError) -> None: ...


def uid_index(uid: str) -> int:
    return int(uid.rsplit("#", 1)[1].split(".", 1)[0])


def uid_reply(uid: str) -> str:
    """The reply an utterance belongs to (so a tab can tell its reply's first sound)."""
    return uid.rsplit("#", 1)[0]


class CartesiaListener:
    """Routes one reply's Cartesia results (reader thread) into the speaker."""

    def __init__(self, speaker: SpeakerSide, reply: Reply) -> None:
        self._speaker = speaker
        self._reply = reply

    def on_audio(self, pcm: bytes, sample_rate: int) -> None:
        reply = self._reply
        uid = utterance_id(reply.id, reply.voiced, "cartesia")
        self._speaker._play(reply, uid, "cartesia", pcm, sample_rate)

    def on_piece_done(self, index: int) -> None:
        self._speaker._end_utterance(self._reply, utterance_id(self._reply.id, index, "cartesia"))
        self._speaker._piece_done(self._reply, index, "cartesia")

    def on_done(self) -> None:
        self._speaker._post(partial(self._speaker._on_stream_done, self._reply))

    def on_error(self, error: VoiceError) -> None:
        self._speaker._post(partial(self._speaker._on_stream_failed, self._reply, error))
