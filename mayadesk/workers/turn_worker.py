"""The bridge from a tab's turns on a worker thread to Qt signals on the GUI thread."""

from __future__ import annotations

import logging
import threading

from PySide6.QtCore import QObject, QThread, Signal, Slot

from mayadesk.llm.events import TurnEvent
from mayadesk.sessions.session import Session
from mayadesk.workers.tab_speech import TabSpeech
from mayadesk.workers.turn_services import TurnServices

log = logging.getLogger("mayadesk.turns")


class TurnWorker(QObject):
    """Runs one tab's turns, one at a time, on the tab's own QThread.

    Signals:
        turn_event(TurnEvent): every event of a turn, in order; delivered queued to the GUI thread.
    """

    turn_event = Signal(object)

    def __init__(self, session: Session, services: TurnServices) -> None:
        super().__init__()
        self._session = session
        self._services = services
        self.speech: TabSpeech | None = None
        """The tab's voice; set by the controller before it queues a turn (GUI thread), read
        when the turn runs (so the queued signal orders the write before the read)."""

    @Slot(int, object)
    def run_turn(self, turn_id: int, cancel: threading.Event) -> None:
        self._services.run(self._session, turn_id, cancel, self._emit, self.speech)

    def _emit(self, event: TurnEvent) -> None:
        self.turn_event.emit(event)


class TurnThread(QObject):
    """Owns a `TurnWorker` and its QThread; `start_turn` queues a turn onto that thread.

    Signals:
        start_requested(int, object): internal, carries a turn to the worker's thread.
    """

    start_requested = Signal(int, object)

    def __init__(self, session: Session, services: TurnServices) -> None:
        super().__init__()
        self.qthread = QThread()
        self.qthread.setObjectName(f"turns-{session.id[:8]}")
        self.worker = TurnWorker(session, services)
        self.worker.moveToThread(self.qthread)
        self.start_requested.connect(self.worker.run_turn)
        self.qthread.finished.connect(self.worker.deleteLater)
        self.qthread.start()

    def start_turn(self, turn_id: int, cancel: threading.Event) -> None:
        self.start_requested.emit(turn_id, cancel)

    def shut_down(self, wait_ms: int = 3000) -> bool:
        """Let the running turn end (its Stop flag must be set) and stop the thread."""
        self.qthread.quit()
        finished = self.qthread.wait(wait_ms)
        if not finished:
            log.warning("A turn thread did not stop within %d ms", wait_ms)
        return finished
