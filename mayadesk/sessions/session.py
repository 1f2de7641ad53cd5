"""The state of one conversation tab, kept apart from any widget."""

from __future__ import annotations

import threading
import uuid
from dataclasses import dataclass, field

from mayadesk.sessions.history import History, Message

DEFAULT_PROFILE = "default"


@dataclass
class Session:
    """One tab's conversation: its identity, key profile, history and the lock over them.

    Workers on other threads read and change a session's state, so every change goes
    through `lock`; the id is unique for the life of the process and names the session's
    clients in the registry.
    """

    profile: str = DEFAULT_PROFILE
    id: str = field(default_factory=lambda: uuid.uuid4().hex)
    history: History = field(default_factory=History)
    lock: threading.RLock = field(default_factory=threading.RLock, repr=False, compare=False)

    def add_message(self, message: Message) -> Message:
        with self.lock:
            return self.history.append(message)

    def messages(self) -> tuple[Message, ...]:
        with self.lock:
            return self.history.snapshot()
