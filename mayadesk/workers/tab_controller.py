"""The controller between one conversation tab and its session.

It owns what happens when the user sends a message; the tab widget only displays what the
controller's signals say. Until a model is wired in, a turn answers with a plain notice
rather than a made-up reply.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import QObject, Signal

from mayadesk.sessions.history import Message, Role
from mayadesk.sessions.session import Session

log = logging.getLogger("mayadesk.turns")

NO_MODEL_NOTICE = (
    "No model configured: Maya can't answer yet. Your message is kept in this conversation."
)


class TabController(QObject):
    """Runs one tab's conversation.

    Signals:
        message_added(Message): a message joined the session's history; show it.
        busy_changed(bool): a turn started (True) or ended (False).
    """

    message_added = Signal(object)
    busy_changed = Signal(bool)

    def __init__(self, session: Session, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.session = session

    def submit(self, text: str) -> bool:
        """Take the user's message; return False (and keep nothing) when it is blank."""
        text = text.strip()
        if not text:
            return False
        self._add(Message(Role.USER, text))
        log.info("Session %s: no model configured, turn not started", self.session.id[:8])
        self._add(Message(Role.NOTICE, NO_MODEL_NOTICE))
        return True

    def stop(self) -> None:
        """Stop Maya (generation and speech); nothing runs yet, so nothing to stop."""
        self.busy_changed.emit(False)

    def _add(self, message: Message) -> None:
        self.session.add_message(message)
        self.message_added.emit(message)
