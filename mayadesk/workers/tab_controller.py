"""The controller between one conversation tab and its session.

It owns what happens when the user sends a message: messages wait their turn (one turn at a
time per tab), each turn runs on the tab's worker thread, and the turn's events come back
here as signals the tab's widgets display. Without turn services (no model configured) a
message gets a plain notice instead of a made-up reply.

It also keeps each reply's `ReplyRecord` (time to first token and to first sound, measured
from the user's Enter; whether it was heard), and answers Play on a message: one voice at
a time, so Play first silences everything that speaks, then the tab's speech says the
reply again — from its kept audio, or by speaking its text.
"""

from __future__ import annotations

import functools
import logging
import threading
import time
from collections import OrderedDict, deque
from concurrent.futures import Future

from PySide6.QtCore import QObject, Signal, SignalInstance

from mayadesk.llm.events import (
    EmotionChanged,
    OrderChanged,
    TokenDelta,
    TurnEvent,
    TurnFailed,
    TurnFinished,
    TurnRetrying,
    TurnStarted,
)
from mayadesk.sessions.history import Message, ReplyRecord, Role
from mayadesk.sessions.session import Session
from mayadesk.voice.events import SpeechEvent, SpeechFinished, VoiceFailed, VoiceName, VoiceUsed
from mayadesk.voice.tts_reply import uid_reply
from mayadesk.workers.conversation_keeper import ConversationKeeper
from mayadesk.workers.tab_speech import TabSpeech, badge_text
from mayadesk.workers.turn_services import TurnServices
from mayadesk.workers.turn_worker import TurnThread

log = logging.getLogger("mayadesk.turns")

DRAFT_INTERVAL = 0.5  # seconds between saves of a streaming reply (what a crash may lose)
KEPT_RECORDS = 64  # replies whose late speech news (first sound, replay ends) is still awaited

NO_MODEL_NOTICE = (
    "No model configured: Maya can't answer yet. Your message is kept in this conversation."
)


class TabController(QObject):
    """Runs one tab's conversation.

    Signals:
        message_added(Message): a message to show now (the user's, a tip note, a notice).
        reply_started(): Maya is about to answer (show that she is typing).
        reply_delta(str): more of Maya's visible reply.
        reply_finished(TurnFinished): Maya's reply is complete, or was stopped (`.stopped`).
        turn_failed(TurnFailed): the turn failed (`.error`); the user's message is kept.
        status_changed(str): a passing status ("Gemini is busy — trying again…"), "" clears it.
        emotion_changed(str): Maya's mood for the avatar.
        order_changed(object): the tab's order or bill changed (a `BarSnapshot`).
        busy_changed(bool): a turn started (True) or the last queued one ended (False).
        voice_changed(str): which voice(s) spoke the latest reply ("Voice: Cartesia"), "" clears.
        record_changed(ReplyRecord): a reply's timings or heard state changed.
        unheard_changed(int): how many replies of this tab finished unheard (in the
            background) and have not been played since.
    """

    message_added = Signal(object)
    reply_started = Signal()
    reply_delta = Signal(str)
    reply_finished = Signal(object)
    turn_failed = Signal(object)
    status_changed = Signal(str)
    emotion_changed = Signal(str)
    order_changed = Signal(object)
    busy_changed = Signal(bool)
    voice_changed = Signal(str)
    record_changed = Signal(object)
    unheard_changed = Signal(int)
    _speech_event = Signal(object)  # from the speech threads: queued to the GUI thread
    _committed = Signal(object)  # a turn's end, once the store has its entries (any thread)

    def __init__(
        self,
        session: Session,
        services: TurnServices | None = None,
        keeper: ConversationKeeper | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.session = session
        self._services = services
        self._closed = False
        self._keeper = keeper
        self._live_text = ""
        self._draft_saved_at = 0.0
        self._committed.connect(self._on_committed)
        self._thread: TurnThread | None = None
        self._waiting: deque[tuple[str, float]] = deque()  # text, when it was sent
        self._turn_id = 0
        self._cancel: threading.Event | None = None
        self._can_retry = False
        self._speech: TabSpeech | None = None
        self._in_front = False
        self._speaking_reply = ""
        self._reply_voices: list[VoiceName] = []
        self._record: ReplyRecord | None = None  # the running turn's reply
        self._sent_at = 0.0  # when the running turn's message was sent (time.monotonic)
        self._records: OrderedDict[str, tuple[ReplyRecord, float]] = OrderedDict()
        self._replays: OrderedDict[str, ReplyRecord] = OrderedDict()  # replay id → its reply
        self._replays_sent: set[str] = set()  # replays whose audio is all at the output
        self._restored: dict[Message, ReplyRecord] = {}  # messages drawn without a record
        self._unheard: list[ReplyRecord] = []
        self._speech_event.connect(self._on_speech_event)
        if services is not None and not session.messages():
            from mayadesk.llm.persona import GREETING_EMOTION, greeting_text

            # Shown locally: no request is made until the user speaks or types.
            session.add_message(Message(Role.MAYA, greeting_text(), emotion=GREETING_EMOTION))
            self._sync()

    @property
    def busy(self) -> bool:
        return self._cancel is not None

    @property
    def can_retry(self) -> bool:
        return self._can_retry and not self.busy

    @property
    def reply_record(self) -> ReplyRecord | None:
        """The running (or just finished) turn's reply record, for the message that shows it."""
        return self._record

    @property
    def unheard(self) -> int:
        return sum(1 for record in self._unheard if record.unheard)

    def submit(self, text: str) -> bool:
        """Take the user's message; return False (and keep nothing) when it is blank."""
        text = text.strip()
        if not text:
            return False
        if self._services is None:
            self._add(Message(Role.USER, text))
            log.info("Session %s: no model configured, turn not started", self.session.id[:8])
            self._add(Message(Role.NOTICE, NO_MODEL_NOTICE))
            return True
        self._waiting.append((text, time.monotonic()))
        self._start_next()  # first: the request is what the user waits for (see _start_turn)
        self.message_added.emit(Message(Role.USER, text))  # shown now; history at its turn
        return True

    def retry(self) -> bool:
        """Run the last failed turn again, with the history as it is."""
        if not self.can_retry:
            return False
        self._start_turn(time.monotonic())
        return True

    def play(self, message: Message) -> bool:
        """Play / say again one of Maya's messages. Everything else that speaks (any tab)
        falls silent first; then the kept audio plays, or the text is spoken by the voices
        (restored history, the system voice, audio evicted or never made). False when this
        tab cannot speak (no audio output yet)."""
        speech = self._tab_speech()
        if speech is None or message.role is not Role.MAYA or not message.text.strip():
            return False
        record = message.record
        if record is None:
            record = self._restored.setdefault(message, ReplyRecord())
        speech.floor.silence(forget_waiting=True)
        self._replay(record, message.text)
        return True

    def stop_speech(self) -> None:
        """Silence Maya's voice (a reply or a replay, in any tab) without stopping the turn."""
        if self._speech is not None:
            self._speech.floor.silence(forget_waiting=True)

    def set_in_front(self, in_front: bool) -> None:
        """The tab became the current one, or went behind another: only the tab in front is
        heard (one voice at a time), so a tab sent back is silenced at once."""
        self._in_front = in_front
        if self._speech is not None:
            self._speech.set_in_front(in_front)

    def stop(self) -> None:
        """Stop Maya: the running turn ends within moments, its partial reply kept; her
        voice (also a reply already complete but still playing, and a replay or a
        background reply speaking in another tab) is silenced now."""
        if self._speech is not None:
            self._speech.stop()
            self._speech.floor.silence(forget_waiting=True)
        if self._cancel is not None:
            self._cancel.set()
        else:
            self.busy_changed.emit(False)

    def press_tip(self, percent: int) -> str | None:
        """A tip button: same rules as Maya's tool, and Maya hears of it in the next turn."""
        from mayadesk.bar.tools import BarTools

        tools = BarTools(self.session.bar, self.session.lock)
        result = tools.press_tip_preset(percent)
        if not result.get("ok"):
            return str(result.get("error", "The tip could not be changed."))
        self._add(Message.tip_note(str(result["note"])))
        self._sync()
        self.order_changed.emit(tools.snapshot())
        return None

    def warm_up(self) -> None:
        """The user is typing: the tab's Gemini client can be built before Enter."""
        if self._services is not None and not self._closed:
            self._services.warm_up(self.session, lambda: not self._closed)

    def close(self) -> None:
        """The tab is closing: stop the turn, end the thread, free the session's clients."""
        self._closed = True
        self._waiting.clear()
        if self._cancel is not None:
            self._cancel.set()
        if self._thread is not None:
            self._thread.shut_down()
            self._thread = None
        self._cancel = None
        if self._speech is not None:  # before the registry closes its Cartesia client
            floor = self._speech.floor
            floor.utterance_started.disconnect(self._on_floor_utterance_started)
            floor.utterance_finished.disconnect(self._on_floor_utterance_finished)
            floor.utterance_cancelled.disconnect(self._on_floor_utterance_cancelled)
            self._speech.close()
            self._speech = None
        if self._services is not None:
            self._services.release(self.session)

    # Turns ----------------------------------------------------------------------------------
    def _start_next(self) -> None:
        if self.busy or not self._waiting:
            return
        text, sent_at = self._waiting.popleft()
        self.session.add_message(Message(Role.USER, text))
        self._start_turn(sent_at)
        self._sync()

    def _start_turn(self, sent_at: float) -> None:
        assert self._services is not None
        if self._thread is None:
            self._thread = TurnThread(self.session, self._services)
            self._thread.worker.turn_event.connect(self._on_worker_event)
        self._turn_id += 1
        self._live_text = ""
        self._draft_saved_at = time.monotonic()
        self._cancel = threading.Event()
        self._can_retry = False
        self._thread.worker.speech = speech = self._tab_speech()
        self._sent_at = sent_at
        self._record = ReplyRecord()
        if speech is not None:
            self._speaking_reply = speech.reply_id(self._turn_id)
            self._record.speech_id = self._speaking_reply
            self._keep_record(self._speaking_reply, self._record, sent_at)
            self._reply_voices = []
            if self._in_front:  # the new reply is what the user waits for: not a replay
                speech.floor.silence(keep=speech)
        # The worker starts before the window redraws and the history is saved: those take
        # the GIL for milliseconds the request would wait for. Its events arrive queued, so
        # the slots below still run before the first of them.
        self._thread.start_turn(self._turn_id, self._cancel)
        self.busy_changed.emit(True)
        if speech is not None:
            self.voice_changed.emit("")

    def _tab_speech(self) -> TabSpeech | None:
        """The tab's voice, made on its first turn once the app's speech is ready; None while
        the app has no speech ("Speak replies" off, no audio output), even if made before."""
        if self._services is None or self._services.speech is None:
            return None
        if self._speech is None:
            self._speech = TabSpeech(self._services.speech, self._speech_event.emit)
            self._speech.set_in_front(self._in_front)
            floor = self._speech.floor
            floor.utterance_started.connect(self._on_floor_utterance_started)
            floor.utterance_finished.connect(self._on_floor_utterance_finished)
            floor.utterance_cancelled.connect(self._on_floor_utterance_cancelled)
        return self._speech

    # Replay and timings ---------------------------------------------------------------------
    def _replay(self, record: ReplyRecord, text: str) -> None:
        speech = self._speech
        services = self._services
        if speech is None or services is None:
            return
        if not record.speech_id:
            record.speech_id = speech.message_key()
        session = self.session
        replay_id = speech.replay(record.speech_id, text, lambda: services.replay_voice(session))
        self._replays[replay_id] = record
        while len(self._replays) > KEPT_RECORDS:
            self._replays_sent.discard(self._replays.popitem(last=False)[0])

    def _keep_record(self, speech_id: str, record: ReplyRecord, sent_at: float) -> None:
        self._records[speech_id] = (record, sent_at)
        while len(self._records) > KEPT_RECORDS:
            self._records.popitem(last=False)

    def _on_floor_utterance_started(self, uid: str) -> None:
        kept = self._records.get(uid_reply(uid))
        if kept is not None and kept[0].first_audio is None:
            record, sent_at = kept
            record.first_audio = time.monotonic() - sent_at
            self.record_changed.emit(record)

    def _background_mode(self) -> str:
        settings = self._services.settings if self._services is not None else None
        return str(getattr(settings, "background_replies", "silent"))

    def _finished_unheard(self, record: ReplyRecord, text: str) -> None:
        """A reply finished behind another tab without being heard: mark it, and in "queue"
        mode let it speak once nothing else does (never over the tab in front)."""
        speech = self._speech
        if speech is None or record.spoken or not text.strip():
            return
        record.unheard = True
        self._unheard = [r for r in self._unheard if r.unheard] + [record]
        self.record_changed.emit(record)
        self.unheard_changed.emit(self.unheard)
        if self._background_mode() == "queue":
            speech.floor.wait_turn(speech, functools.partial(self._replay, record, text))

    def _on_floor_utterance_finished(self, uid: str) -> None:
        replay_id = uid_reply(uid)
        if replay_id in self._replays_sent:
            self._check_replay_heard(replay_id)

    def _on_floor_utterance_cancelled(self, uid: str) -> None:
        self._forget_replay(uid_reply(uid))  # cut off: what was unheard stays unheard

    def _on_replay_finished(self, event: SpeechFinished) -> None:
        """All of a replay's audio is at the output (or it was stopped). Heard means played
        to its end, so an unheard reply is marked heard only once the output is done."""
        if event.stopped:
            self._forget_replay(event.reply_id)
        elif not {"cartesia", "piper"} & set(event.voices):
            record = self._forget_replay(event.reply_id)
            if record is not None and "system" in event.voices:
                self._mark_heard(record)  # the system voice plays by itself
        else:
            self._replays_sent.add(event.reply_id)
            self._check_replay_heard(event.reply_id)

    def _check_replay_heard(self, replay_id: str) -> None:
        speech = self._speech
        if speech is not None and not speech.floor.still_to_play(replay_id):
            record = self._forget_replay(replay_id)
            if record is not None:
                self._mark_heard(record)

    def _forget_replay(self, replay_id: str) -> ReplyRecord | None:
        self._replays_sent.discard(replay_id)
        return self._replays.pop(replay_id, None)

    def _mark_heard(self, record: ReplyRecord) -> None:
        if record.unheard:
            record.unheard = False
            self.record_changed.emit(record)
            self.unheard_changed.emit(self.unheard)

    def _on_speech_event(self, event: SpeechEvent) -> None:
        if isinstance(event, SpeechFinished) and event.reply_id in self._replays:
            self._on_replay_finished(event)
            return
        kept = self._records.get(event.reply_id)
        if kept is not None:
            self._note_speech(event, *kept)
        if event.reply_id != self._speaking_reply:
            return  # an earlier reply's late news
        if isinstance(event, VoiceUsed) and event.voice not in self._reply_voices:
            self._reply_voices.append(event.voice)
            self.voice_changed.emit(badge_text(self._reply_voices))
        elif isinstance(event, VoiceFailed):
            log.info(
                "Session %s: %s failed (%s); %s takes over", self.session.id[:8],
                event.voice, event.error.category, event.next_voice,
            )

    def _note_speech(self, event: SpeechEvent, record: ReplyRecord, sent_at: float) -> None:
        """What a reply's own speech tells its record: voices, completion, and for the system
        voice (which plays by itself, past the output) the hand-over as its first sound."""
        if isinstance(event, VoiceUsed) and event.voice not in record.voices:
            record.voices.append(event.voice)
            if event.voice == "system" and record.first_audio is None:
                record.first_audio = time.monotonic() - sent_at
            self.record_changed.emit(record)
        elif isinstance(event, SpeechFinished) and not event.stopped:
            record.spoken = True

    def _on_worker_event(self, event: TurnEvent) -> None:
        if event.turn_id != self._turn_id or self._cancel is None:
            return  # a turn this tab no longer waits for
        if isinstance(event, TurnStarted):
            self.reply_started.emit()
        elif isinstance(event, TokenDelta):
            record = self._record
            if record is not None and record.first_token is None and event.text:
                record.first_token = time.monotonic() - self._sent_at
                self.record_changed.emit(record)
            self.reply_delta.emit(event.text)
            self._keep_draft(event.text)
        elif isinstance(event, EmotionChanged):
            self.emotion_changed.emit(str(event.emotion))
        elif isinstance(event, OrderChanged):
            self.order_changed.emit(event.snapshot)
        elif isinstance(event, TurnRetrying):
            self.status_changed.emit("Gemini is busy — trying again…")
        elif isinstance(event, TurnFinished | TurnFailed):
            # A reply is shown as complete only once it is committed to the store.
            future = self._sync()
            if future is None:
                self._on_committed(event)
            else:
                committed = functools.partial(_emit_committed, self._committed, event)
                future.add_done_callback(committed)

    def _on_committed(self, event: TurnFinished | TurnFailed) -> None:
        if event.turn_id != self._turn_id or self._cancel is None:
            return
        if isinstance(event, TurnFinished):
            self.reply_finished.emit(event)
            if not self._in_front and not event.stopped and self._record is not None:
                self._finished_unheard(self._record, event.text)
        else:
            self._can_retry = True
            self.turn_failed.emit(event)
        self._end_turn()

    def _end_turn(self) -> None:
        self._cancel = None
        self.status_changed.emit("")
        if self._waiting:
            self._start_next()
        else:
            self.busy_changed.emit(False)

    def _add(self, message: Message) -> None:
        self.session.add_message(message)
        self.message_added.emit(message)

    def _sync(self) -> Future[None] | None:
        return self._keeper.sync(self.session) if self._keeper is not None else None

    def _keep_draft(self, delta: str) -> None:
        self._live_text += delta
        now = time.monotonic()
        if self._keeper is not None and now - self._draft_saved_at >= DRAFT_INTERVAL:
            self._draft_saved_at = now
            self._keeper.save_draft(self.session, self._live_text)


def _emit_committed(signal: SignalInstance, event: TurnEvent, _future: Future[None]) -> None:
    signal.emit(event)  # from the store's thread: Qt queues it to the controller's thread
