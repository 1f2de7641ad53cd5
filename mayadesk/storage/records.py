"""What the store hands back: plain frozen records, safe to pass from the writer thread.

The store runs on one dedicated thread and the UI reads its answers on another, so nothing
here is live or shared: a record is a copy of rows as they were when read.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from mayadesk.sessions.history import Entry


class StoreError(Exception):
    """A request the store refuses (not a storage failure: those are sqlite3 errors)."""


class UnknownConversationError(StoreError, LookupError):
    """The conversation id is not in the store (deleted, or never saved)."""

    def __init__(self, conversation_id: str) -> None:
        super().__init__(f"no conversation {conversation_id!r} in the store")
        self.conversation_id = conversation_id


@dataclass(frozen=True)
class ConversationRecord:
    """One conversation's metadata: everything of a tab except its entries.

    `phase` and `emotion` are kept as the strings the session's enums use, so that a value a
    newer version wrote cannot make a row unreadable; `restore_session` maps them back.
    `bar_state` is `BarState.to_dict()`. `position`, `is_open`, `is_current` and `closed_at`
    describe the window's tabs and are changed with `set_open_tabs`, `close_conversation`
    and `reopen`, not by `save_conversation`. `entry_count` is filled in on load.
    """

    id: str
    title: str
    profile: str
    phase: str
    emotion: str
    small_talk_turns: int
    bar_state: Mapping[str, Any]
    created: float
    updated: float
    position: int | None = None
    is_open: bool = True
    is_current: bool = False
    closed_at: float | None = None
    entry_count: int = field(default=0, compare=False)


@dataclass(frozen=True)
class StoredEntry:
    """A history entry as stored: its place in the conversation and how it was voiced.

    `pending` marks a reply still being written (a draft the app updates as it streams);
    after a crash, `ConversationStore.stop_interrupted_replies` turns it into a stopped reply.
    """

    seq: int
    entry: Entry
    voice: str | None = None
    pending: bool = False


@dataclass(frozen=True)
class SearchHit:
    """A conversation that matches a search, with the best matching piece of its text.

    `seq` is the matching entry (None when only the title matched); the snippet marks the
    match with « and ».
    """

    conversation_id: str
    title: str
    snippet: str
    seq: int | None
    updated: float
    is_open: bool
