"""The bridge from a tab's turns to its voice: one `Speaker` per tab, fed by the turn.

Why it is shaped like this:

- The turn's worker thread feeds the speaker (`tap` wraps the turn's `emit`), so text reaches
  the voice as it streams, without a round trip through the GUI thread, and the Cartesia
  client is fetched from the registry there (`get_tts` may block on its lock).
- One voice at a time: only the tab in front speaks. A tab sent to the background is
  silenced, and a reply it makes meanwhile is not fed to its speaker at all, so two tabs
  replying at once never talk over each other.
- Reply ids are unique in the process (a counter per tab plus the turn), because the audio
  output drops chunks of an utterance id it has already finished: a reopened tab restarts
  its turn numbers, its utterances must not look like old ones.
"""

from __future__ import annotations

import itertools
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass

from mayadesk.llm.events import TokenDelta, TurnEvent, TurnFailed, TurnFinished, TurnStarted
from mayadesk.voice.events import SpeechEvent, VoiceName
from mayadesk.voice.speaker import Speaker, close_all_speakers
from mayadesk.voice.tts_base import AudioSink, LocalVoice, PostedVoice, StreamingVoice

log = logging.getLogger("mayadesk.tts")

_tab_numbers = itertools.count(1)

VOICE_LABELS: dict[VoiceName, str] = {
    "cartesia": "Cartesia",
    "piper": "Piper",
    "system": "System voice",
    "text": "Text only",
}


def badge_text(voices: list[VoiceName]) -> str:
    """What the badge says: the voices that spoke a reply, in order ("Voice: Cartesia → Piper").

    Plain words, not a speaker emoji: many Linux desktops have no emoji font.
    """
    return "Voice: " + " → ".join(VOICE_LABELS[v] for v in voices) if voices else ""


def close_all_speech(timeout: float = 3.0) -> bool:
    """At exit: silence every tab (open or closed) and wait, bounded, for its speech thread."""
    return close_all_speakers(timeout)


@dataclass(frozen=True)
class SpeechServices:
    """What every tab's speaker shares: the one audio output and the local voices."""

    sink: AudioSink
    piper: LocalVoice | None = None
    system: PostedVoice | None = None

    def new_speaker(self, emit: Callable[[SpeechEvent], None]) -> Speaker:
        return Speaker(self.sink, emit, piper=self.piper, system=self.system)


class TabSpeech:
    """A tab's speaker and whether the tab is in front (so may be heard).

    `tap` runs on the worker thread, `set_in_front`/`stop`/`close` on the GUI thread; the
    flag is a `threading.Event`, so both sides see it without a lock.
    """

    def __init__(self, services: SpeechServices, emit: Callable[[SpeechEvent], None]) -> None:
        self._prefix = f"tab{next(_tab_numbers)}"
        self._speaker = services.new_speaker(emit)
        self._in_front = threading.Event()
        self._closed = False

    def reply_id(self, turn_id: int) -> str:
        return f"{self._prefix}.{turn_id}"

    @property
    def in_front(self) -> bool:
        return self._in_front.is_set()

    def set_in_front(self, in_front: bool) -> None:
        """The tab came to the front, or went behind another one (which silences it)."""
        if in_front:
            self._in_front.set()
        else:
            self._in_front.clear()
            self._speaker.stop()

    def stop(self) -> None:
        """Stop/Esc: silence now (the speaker only flips flags and sends a cancel frame)."""
        self._speaker.stop()

    def close(self) -> None:
        """The tab is closing: silence it and let the speech thread end, before the
        registry closes the session's Cartesia client."""
        if not self._closed:
            self._closed = True
            self._speaker.close()

    def join(self, timeout: float) -> bool:
        return self._speaker.join(timeout)

    def tap(
        self,
        turn_id: int,
        cancel: threading.Event,
        cartesia: Callable[[], StreamingVoice | None],
        emit: Callable[[TurnEvent], None],
    ) -> Callable[[TurnEvent], None]:
        """Wrap a turn's `emit` so its visible text also goes to the speaker (worker thread).

        `cartesia` is asked once, when the reply starts and only if the tab may be heard.
        """
        speaking = False

        def speak_and_emit(event: TurnEvent) -> None:
            nonlocal speaking
            if isinstance(event, TurnStarted):
                if self.in_front and not cancel.is_set() and not self._closed:
                    self._speaker.begin_reply(self.reply_id(turn_id), cartesia())
                    speaking = True
            elif isinstance(event, TokenDelta):
                if speaking and self.in_front and not cancel.is_set():
                    self._speaker.feed(event.text)
            elif isinstance(event, TurnFinished | TurnFailed) and speaking:
                speaking = False
                self._speaker.end_reply()
            emit(event)

        return speak_and_emit
