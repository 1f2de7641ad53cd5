"""The messages of one conversation, as plain data the UI and the store both read."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from enum import StrEnum


class Role(StrEnum):
    USER = "user"
    MAYA = "maya"
    NOTICE = "notice"
    """Something the app tells the user (not part of what the model sees)."""


@dataclass(frozen=True)
class Message:
    role: Role
    text: str
    created: float = field(default_factory=time.time)


@dataclass
class History:
    """An append-only list of messages; the owning session's lock guards it."""

    messages: list[Message] = field(default_factory=list)

    def append(self, message: Message) -> Message:
        self.messages.append(message)
        return message

    def snapshot(self) -> tuple[Message, ...]:
        return tuple(self.messages)
