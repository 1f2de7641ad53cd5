"""The state of one conversation tab, kept apart from any widget."""

from __future__ import annotations

import threading
import uuid
from dataclasses import dataclass, field

DEFAULT_PROFILE = "default"


@dataclass
class Session:
    """One tab's conversation: its identity, key profile and a lock that guards its state.

    Workers on other threads read and change a session's state, so every change goes
    through `lock`; the id is unique for the life of the process and names the session's
    clients in the registry.
    """

    profile: str = DEFAULT_PROFILE
    id: str = field(default_factory=lambda: uuid.uuid4().hex)
    lock: threading.RLock = field(default_factory=threading.RLock, repr=False, compare=False)
