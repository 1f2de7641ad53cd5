"""The controller between one conversation tab and its session.

It owns what happens when the user sends a message: messages wait their turn (one turn at a
time per tab), each turn runs on the tab's worker thread, and the turn's events come back
here as signals the tab's widgets display. Without turn services (no model configured) a
message gets a plain notice instead of a made-up reply.
"""

from __future__ import annotations

import functools
import logging
import threading
import time
from collections import deque
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
from mayadesk.sessions.history import Message, Role
from mayadesk.sessions.session import Session
from mayadesk.voice.events import SpeechEvent, VoiceFailed, VoiceName, VoiceUsed
from mayadesk.workers.conversation_keeper import ConversationKeeper
from mayadesk.workers.tab_speech import TabSpeech, badge_text
from mayadesk.workers.turn_services import TurnServices
from mayadesk.workers.turn_worker import TurnThread

log = logging.getLogger("mayadesk.turns")

DRAFT_INTERVAL = 0.5  # seconds between saves of a streaming reply (what a crash may lose)

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
        self._keeper = keeper
        self._live_text = ""
        self._draft_saved_at = 0.0
        self._committed.connect(self._on_committed)
        self._thread: TurnThread | None = None
        self._waiting: deque[str] = deque()
        self._turn_id = 0
        self._cancel: threading.Event | None = None
        self._can_retry = False
        self._speech: TabSpeech | None = None
        self._in_front = False
        self._speaking_reply = ""
        self._reply_voices: list[VoiceName] = []
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
        self._waiting.append(text)
        self.message_added.emit(Message(Role.USER, text))  # shown now; history at its turn
        self._start_next()
        return True

    def retry(self) -> bool:
        """Run the last failed turn again, with the history as it is."""
        if not self.can_retry:
            return False
        self._start_turn()
        return True

    def set_in_front(self, in_front: bool) -> None:
        """The tab became the current one, or went behind another: only the tab in front is
        heard (one voice at a time), so a tab sent back is silenced at once."""
        self._in_front = in_front
        if self._speech is not None:
            self._speech.set_in_front(in_front)

    def stop(self) -> None:
        """Stop Maya: the running turn ends within moments, its partial reply kept; her
        voice (also a reply already complete but still playing) is silenced now."""
        if self._speech is not None:
            self._speech.stop()
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

    def close(self) -> None:
        """The tab is closing: stop the turn, end the thread, free the session's clients."""
        self._waiting.clear()
        if self._cancel is not None:
            self._cancel.set()
        if self._thread is not None:
            self._thread.shut_down()
            self._thread = None
        self._cancel = None
        if self._speech is not None:  # before the registry closes its Cartesia client
            self._speech.close()
            self._speech = None
        if self._services is not None:
            self._services.release(self.session)

    # Turns ----------------------------------------------------------------------------------
    def _start_next(self) -> None:
        if self.busy or not self._waiting:
            return
        self.session.add_message(Message(Role.USER, self._waiting.popleft()))
        self._sync()
        self._start_turn()

    def _start_turn(self) -> None:
        assert self._services is not None
        if self._thread is None:
            self._thread = TurnThread(self.session, self._services)
            self._thread.worker.turn_event.connect(self._on_worker_event)
        self._turn_id += 1
        self._live_text = ""
        self._draft_saved_at = time.monotonic()
        self._cancel = threading.Event()
        self._can_retry = False
        self.busy_changed.emit(True)
        self._thread.worker.speech = speech = self._tab_speech()
        if speech is not None:
            self._speaking_reply = speech.reply_id(self._turn_id)
            self._reply_voices = []
            self.voice_changed.emit("")
        self._thread.start_turn(self._turn_id, self._cancel)

    def _tab_speech(self) -> TabSpeech | None:
        """The tab's voice, made on its first turn once the app's speech is ready."""
        if self._speech is None and self._services is not None and self._services.speech:
            self._speech = TabSpeech(self._services.speech, self._speech_event.emit)
            self._speech.set_in_front(self._in_front)
        return self._speech

    def _on_speech_event(self, event: SpeechEvent) -> None:
        if getattr(event, "reply_id", None) != self._speaking_reply:
            return  # an earlier reply's late news
        if isinstance(event, VoiceUsed) and event.voice not in self._reply_voices:
            self._reply_voices.append(event.voice)
            self.voice_changed.emit(badge_text(self._reply_voices))
        elif isinstance(event, VoiceFailed):
            log.info(
                "Session %s: %s failed (%s); %s takes over", self.session.id[:8],
                event.voice, event.error.category, event.next_voice,
            )

    def _on_worker_event(self, event: TurnEvent) -> None:
        if event.turn_id != self._turn_id or self._cancel is None:
            return  # a turn this tab no longer waits for
        if isinstance(event, TurnStarted):
            self.reply_started.emit()
        elif isinstance(event, TokenDelta):
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
