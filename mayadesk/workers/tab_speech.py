"""The bridge from a tab's turns to its voice: one `Speaker` per tab, fed by the turn.

Why it is shaped like this:

- The turn's worker thread feeds the speaker (`tap` wraps the turn's `emit`), so text reaches
  the voice as it streams, without a round trip through the GUI thread, and the Cartesia
  client is fetched from the registry there (`get_tts` may block on its lock).
- One voice at a time: only the tab in front speaks. A tab sent to the background is
  silenced, and a reply it makes meanwhile is not fed to its speaker at all, so two tabs
  replying at once never talk over each other.
- One voice at a time across tabs, and replay: the app's `VoiceFloor` knows every tab's
  speech. Play (or Esc) silences all of it first; a background reply in "queue" mode waits
  on the floor until nothing is speaking. The floor also relays the output's `started`
  signal, which is how a tab learns when its reply was first heard.
- Reply ids are unique in the process (a counter per tab plus the turn), because the audio
  output drops chunks of an utterance id it has already finished: a reopened tab restarts
  its turn numbers, its utterances must not look like old ones.
"""

from __future__ import annotations

import itertools
import logging
import threading
import weakref
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

from PySide6.QtCore import QObject, QTimer, Signal

from mayadesk.llm.events import TokenDelta, TurnEvent, TurnFailed, TurnFinished, TurnStarted
from mayadesk.voice.events import SpeechEvent, VoiceName
from mayadesk.voice.replay import ReplayCache
from mayadesk.voice.speaker import Speaker
from mayadesk.voice.tts_base import AudioSink, LocalVoice, PostedVoice, StreamingVoice
from mayadesk.voice.tts_reply import uid_reply

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


FLOOR_POLL_MS = 50  # how often a waiting background reply looks whether the floor is free


class VoiceFloor(QObject):
    """Who may be heard: one voice at a time across the app's tabs (GUI thread only).

    Tabs join it when their speech is made. `silence()` stops every tab's speech (Play and
    Esc use it, so a replay never talks over anything); `wait_turn()` holds a background
    reply ("queue" mode) until nothing is speaking — no tab voicing a reply, the output
    quiet, the system voice idle — polling only while something waits.

    Signals:
        utterance_started(str): the output began playing an utterance (its id).
        utterance_finished(str): an utterance was played to its end.
        utterance_cancelled(str): an utterance was dropped (stopped, cut off).
        (Relayed from `AudioOutput`'s signals when the sink has them.)
    """

    utterance_started = Signal(str)
    utterance_finished = Signal(str)
    utterance_cancelled = Signal(str)

    def __init__(self, sink: AudioSink, system: PostedVoice | None = None) -> None:
        super().__init__()
        self._sink = sink
        self._system = system
        self._tabs: weakref.WeakSet[TabSpeech] = weakref.WeakSet()
        self._waiting: deque[tuple[TabSpeech, Callable[[], None]]] = deque()
        self._timer = QTimer(self)
        self._timer.setInterval(FLOOR_POLL_MS)
        self._timer.timeout.connect(self._on_timer_timeout)
        for name, relay in (
            ("started", self.utterance_started),
            ("finished", self.utterance_finished),
            ("cancelled", self.utterance_cancelled),
        ):
            signal = getattr(sink, name, None)
            if signal is not None:
                signal.connect(relay)

    def join(self, tab: TabSpeech) -> None:
        self._tabs.add(tab)

    def leave(self, tab: TabSpeech) -> None:
        self._tabs.discard(tab)
        self._waiting = deque(item for item in self._waiting if item[0] is not tab)

    def silence(self, *, keep: TabSpeech | None = None, forget_waiting: bool = False) -> None:
        """Stop the speech of every tab but `keep`. With `forget_waiting` (Play, Esc),
        background replies waiting their turn are dropped too (they stay marked unheard,
        with Play); otherwise they wait for the next quiet moment."""
        if forget_waiting:
            self._waiting.clear()
            self._timer.stop()
        for tab in list(self._tabs):
            if tab is not keep:
                tab.stop()

    def wait_turn(self, tab: TabSpeech, speak: Callable[[], None]) -> None:
        """Run `speak` once nothing is speaking (at once if nothing is)."""
        self._waiting.append((tab, speak))
        self._on_timer_timeout()

    def waiting(self) -> int:
        return len(self._waiting)

    def still_to_play(self, reply_id: str) -> bool:
        """Whether the output still holds audio of `reply_id` (playing or queued). Once a
        reply's speech has finished, all its audio is at the output, so False then means
        it has been heard to the end, or dropped."""
        current = getattr(self._sink, "current_utterance", None)
        queued = getattr(self._sink, "queued_utterances", None)
        uids = [current()] if current is not None else []
        uids += queued() if queued is not None else []
        return any(uid is not None and uid_reply(uid) == reply_id for uid in uids)

    def idle(self) -> bool:
        """Whether nothing is heard or about to be: a reply still being voiced counts, so a
        waiting reply does not slip into the pause between two sentences."""
        if any(tab.busy for tab in list(self._tabs)):
            return False
        is_playing = getattr(self._sink, "is_playing", None)
        if is_playing is not None and is_playing():
            return False
        state = getattr(self._system, "state", None)
        return state is None or getattr(state(), "name", "") != "Speaking"

    def _on_timer_timeout(self) -> None:
        if self._waiting and self.idle():
            _tab, speak = self._waiting.popleft()
            speak()
        if self._waiting and not self._timer.isActive():
            self._timer.start()
        elif not self._waiting:
            self._timer.stop()


@dataclass
class SpeechServices:
    """What every tab's speaker shares: the one audio output, the local voices, the audio
    kept for replay, and the floor (one voice at a time). Made on the GUI thread."""

    sink: AudioSink
    piper: LocalVoice | None = None
    system: PostedVoice | None = None
    replay: ReplayCache = field(default_factory=ReplayCache)
    floor: VoiceFloor = field(init=False)

    def __post_init__(self) -> None:
        self.floor = VoiceFloor(self.sink, self.system)

    def new_speaker(self, emit: Callable[[SpeechEvent], None]) -> Speaker:
        return Speaker(self.sink, emit, piper=self.piper, system=self.system, replay=self.replay)


class TabSpeech:
    """A tab's speaker and whether the tab is in front (so may be heard).

    `tap` runs on the worker thread, `set_in_front`/`stop`/`close` on the GUI thread; the
    flag is a `threading.Event`, so both sides see it without a lock.
    """

    def __init__(self, services: SpeechServices, emit: Callable[[SpeechEvent], None]) -> None:
        self._prefix = f"tab{next(_tab_numbers)}"
        self._speaker = services.new_speaker(emit)
        self._replay = services.replay
        self._floor = services.floor
        self._in_front = threading.Event()
        self._closed = False
        self._replays = itertools.count(1)
        self._floor.join(self)

    @property
    def floor(self) -> VoiceFloor:
        return self._floor

    def reply_id(self, turn_id: int) -> str:
        return f"{self._prefix}.{turn_id}"

    def message_key(self) -> str:
        """A speech id for a message that has none (restored history): its replays keep
        their audio under it."""
        return f"{self._prefix}.m{next(self._replays)}"

    @property
    def busy(self) -> bool:
        return self._speaker.busy

    def has_audio(self, key: str) -> bool:
        return key in self._replay

    def replay(
        self, key: str, text: str, cartesia: Callable[[], StreamingVoice | None]
    ) -> str:
        """Say reply `key` again: its kept audio if there is some, else `text` through the
        voices (whose audio is then kept under `key`). Returns the replay's reply id.

        Callers silence the floor first (one voice at a time); this only starts speaking.
        """
        replay_id = f"{key}.r{next(self._replays)}"
        pieces = self._replay.get(key)
        if pieces:
            log.info("Replay %s: %d kept pieces", replay_id, len(pieces))
            self._speaker.replay_audio(replay_id, pieces)
        else:
            log.info("Replay %s: no kept audio, speaking the text", replay_id)
            self._speaker.speak_text(replay_id, text, cache_key=key, cartesia=cartesia)
        return replay_id

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
            self._floor.leave(self)
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
