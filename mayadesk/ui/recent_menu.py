"""File → Recently Closed: the last closed conversations, from this run and earlier ones."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QMenu, QWidget
from qasync import asyncSlot

from mayadesk.storage.records import ConversationRecord
from mayadesk.workers.conversation_keeper import ConversationKeeper

RECENT_LIMIT = 10
_MINUTE, _HOUR, _DAY = 60, 3600, 86400


def time_ago(then: float, now: float) -> str:
    """How long ago, in the words a person would use ("5 min ago", "yesterday")."""
    seconds = max(0.0, now - then)
    if seconds < _MINUTE:
        return "just now"
    if seconds < _HOUR:
        return f"{int(seconds // _MINUTE)} min ago"
    if seconds < _DAY:
        hours = int(seconds // _HOUR)
        return f"{hours} hour{'s' if hours > 1 else ''} ago"
    days = int(seconds // _DAY)
    if days == 1:
        return "yesterday"
    if days < 30:
        return f"{days} days ago"
    return time.strftime("%Y-%m-%d", time.localtime(then))


class RecentlyClosedMenu(QMenu):
    """Lists the conversations closed last, newest first; picking one asks to reopen it.

    The list lives in the store (tabs closed in earlier runs are there too), so it is read
    each time the menu is about to show — on the store's thread: the menu opens at once
    with what it showed last and is filled in when the answer arrives, a moment later.

    Signals:
        chosen(str): the user picked a conversation (its id) to bring back.
        filled(): the menu now shows the store's latest list.
    """

    chosen = Signal(str)
    filled = Signal()

    def __init__(
        self,
        keeper: ConversationKeeper | None,
        parent: QWidget | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        super().__init__("Recently C&losed", parent)
        self.setObjectName("recentlyClosedMenu")
        self.setToolTipsVisible(True)  # long titles are shown whole there
        self._keeper = keeper
        self._clock = clock
        self._placeholder("Loading…" if keeper is not None else "History is not available")
        if keeper is None:
            self.setEnabled(False)
        else:
            self.aboutToShow.connect(self.refresh)

    def _placeholder(self, text: str) -> None:
        self.clear()
        self.addAction(text).setEnabled(False)

    @asyncSlot()
    async def refresh(self) -> None:
        """Read the latest list from the store and show it."""
        assert self._keeper is not None
        try:
            records = await asyncio.wrap_future(self._keeper.recently_closed(RECENT_LIMIT))
        except Exception:
            self._placeholder("Could not read the history")  # the keeper logged why
        else:
            self.show_records(records)
        self.filled.emit()

    def show_records(self, records: Sequence[ConversationRecord]) -> None:
        """One entry per conversation: its title and when it was closed."""
        if not records:
            self._placeholder("Nothing closed yet")
            return
        self.clear()
        now = self._clock()
        for record in records:
            closed_at = record.closed_at if record.closed_at is not None else record.updated
            title = record.title.replace("&", "&&")
            action = self.addAction(f"{title} — {time_ago(closed_at, now)}")
            action.setData(record.id)
            action.setToolTip(f"Reopen “{record.title}” with its history")
            action.triggered.connect(lambda _checked=False, cid=record.id: self.chosen.emit(cid))
