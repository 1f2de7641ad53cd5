"""File → History: every stored conversation, searchable by what was said in it."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)
from qasync import asyncSlot

from mayadesk.storage.records import ConversationRecord, SearchHit
from mayadesk.ui.history_actions import HistoryActions
from mayadesk.workers.conversation_keeper import ConversationKeeper, ExportKind

SEARCH_DELAY_MS = 200
LIST_LIMIT = 300
ID_ROLE = Qt.ItemDataRole.UserRole
NOTHING_FOUND = "No conversation mentions that."
NOTHING_STORED = "No conversations yet."
TITLE_COLUMN, WHEN_COLUMN, STATE_COLUMN, MATCH_COLUMN = range(4)


def last_active(then: float, now: float) -> str:
    """A time a person reads at a glance: "Today 14:05", "Yesterday 09:12", or the date."""
    day = time.localtime(then)
    today = time.localtime(now)
    clock = time.strftime("%H:%M", day)
    if day[:3] == today[:3]:
        return f"Today {clock}"
    if day[:3] == time.localtime(now - 86400)[:3]:
        return f"Yesterday {clock}"
    return time.strftime("%Y-%m-%d %H:%M", day)


@dataclass(frozen=True)
class HistoryRow:
    """One line of the list: a conversation, or a search hit with its matching words."""

    conversation_id: str
    title: str
    updated: float
    snippet: str | None = None

    @classmethod
    def of(cls, found: ConversationRecord | SearchHit) -> HistoryRow:
        if isinstance(found, SearchHit):
            return cls(found.conversation_id, found.title, found.updated, found.snippet)
        return cls(found.id, found.title, found.updated)


class HistoryDialog(QDialog):
    """Lists past conversations; the search box narrows them to those that mention its words.

    The search runs in the store's full-text index on the store's thread, a moment after
    the user stops typing, so typing stays smooth and the store is not asked per keystroke.
    An answer that arrives after a newer question was asked is dropped.

    Signals:
        listed(): the list now shows the store's answer to the latest question.
    """

    listed = Signal()

    def __init__(
        self, keeper: ConversationKeeper, actions: HistoryActions, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("historyDialog")
        self.setWindowTitle("History")
        self.resize(760, 480)
        self._keeper = keeper
        self._actions = actions
        self._question = 0
        self._open_when_listed = False

        self.search = QLineEdit()
        self.search.setObjectName("historySearch")
        self.search.setPlaceholderText("Search what was said…")
        self.search.setClearButtonEnabled(True)
        self.list = QTreeWidget()
        self.list.setObjectName("historyList")
        self.list.setHeaderLabels(["Conversation", "Last active", "Tab", "Match"])
        self.list.setRootIsDecorated(False)
        self.list.setUniformRowHeights(True)
        self.list.setAllColumnsShowFocus(True)
        header = self.list.header()
        header.setStretchLastSection(True)
        header.setSectionResizeMode(TITLE_COLUMN, QHeaderView.ResizeMode.Interactive)
        header.resizeSection(TITLE_COLUMN, 260)
        self.status = QLabel()
        self.status.setObjectName("historyStatus")
        self.status.setWordWrap(True)

        self.open_button = QPushButton("&Open")
        self.markdown_button = QPushButton("Export as &Markdown…")
        self.json_button = QPushButton("Export as &JSON…")
        self.delete_button = QPushButton("&Delete for Good…")
        self.delete_button.setObjectName("historyDeleteButton")
        row = QHBoxLayout()
        for button in (self.open_button, self.markdown_button, self.json_button):
            row.addWidget(button)
        row.addStretch(1)
        row.addWidget(self.delete_button)
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        close.rejected.connect(self.reject)
        for button in (
            self.markdown_button,
            self.json_button,
            self.delete_button,
            close.button(QDialogButtonBox.StandardButton.Close),
        ):
            button.setAutoDefault(False)
        self.open_button.setDefault(True)  # Enter in the search box or the list opens

        layout = QVBoxLayout(self)
        layout.addWidget(self.search)
        layout.addWidget(self.list, 1)
        layout.addWidget(self.status)
        layout.addLayout(row)
        layout.addWidget(close)

        self._delay = QTimer(self)
        self._delay.setSingleShot(True)
        self._delay.setInterval(SEARCH_DELAY_MS)
        self._delay.timeout.connect(self.refresh)
        self.search.textChanged.connect(self._on_search_text_changed)
        self.list.itemDoubleClicked.connect(self._on_list_item_double_clicked)
        self.list.itemSelectionChanged.connect(self._update_buttons)
        self.open_button.clicked.connect(self.open_selected)
        self.markdown_button.clicked.connect(lambda: self.export_selected("markdown"))
        self.json_button.clicked.connect(lambda: self.export_selected("json"))
        self.delete_button.clicked.connect(self.delete_selected)
        actions.deleted.connect(self._on_actions_deleted)
        actions.exported.connect(self._on_actions_exported)
        actions.failed.connect(self.status.setText)
        self._update_buttons()

    def showEvent(self, event: QShowEvent) -> None:
        """The store changes while the dialog is hidden (tabs close, messages arrive)."""
        super().showEvent(event)
        self.search.setFocus()
        self.refresh()

    # Listing and searching --------------------------------------------------------------------
    def _on_search_text_changed(self, _text: str) -> None:
        self._delay.start()  # restarted by every keystroke: one search once typing pauses

    @asyncSlot()
    async def refresh(self) -> None:
        """Ask the store for the list (or the search's hits) and show its answer."""
        self._delay.stop()
        self._question += 1
        question, text = self._question, self.search.text().strip()
        try:
            if text:
                found: list[SearchHit] | list[ConversationRecord] = await asyncio.wrap_future(
                    self._keeper.search(text)
                )
            else:
                found = await asyncio.wrap_future(self._keeper.list_conversations(LIST_LIMIT))
        except Exception:
            if question == self._question:
                self._open_when_listed = False
                self.status.setText("The history could not be read — see the log for why.")
            return  # the keeper logged it
        if question != self._question:
            return  # a newer question is on its way
        self._show_rows([HistoryRow.of(item) for item in found], searching=bool(text))
        self.listed.emit()
        if self._open_when_listed:
            self._open_when_listed = False
            self.open_selected()

    def _show_rows(self, rows: list[HistoryRow], *, searching: bool) -> None:
        selected = self.selected_id()
        self.list.clear()
        now = time.time()
        for row in rows:
            state = "Open" if self._actions.tab_for(row.conversation_id) else "Closed"
            snippet = " ".join((row.snippet or "").split())
            item = QTreeWidgetItem([row.title, last_active(row.updated, now), state, snippet])
            item.setData(TITLE_COLUMN, ID_ROLE, row.conversation_id)
            item.setToolTip(MATCH_COLUMN, snippet)
            self.list.addTopLevelItem(item)
            if row.conversation_id == selected:
                self.list.setCurrentItem(item)
        self.list.setColumnHidden(MATCH_COLUMN, not searching)
        if not rows:
            self.status.setText(NOTHING_FOUND if searching else NOTHING_STORED)
        elif self.status.text() in (NOTHING_FOUND, NOTHING_STORED):
            self.status.clear()
        if self.list.currentItem() is None and (first := self.list.topLevelItem(0)) is not None:
            self.list.setCurrentItem(first)
        self._update_buttons()

    # The selected conversation ----------------------------------------------------------------
    def selected_id(self) -> str | None:
        item = self.list.currentItem()
        return str(item.data(TITLE_COLUMN, ID_ROLE)) if item is not None else None

    def _selected_title(self) -> str:
        item = self.list.currentItem()
        return item.text(TITLE_COLUMN) if item is not None else ""

    def _update_buttons(self) -> None:
        chosen = self.selected_id() is not None
        for button in (
            self.open_button,
            self.markdown_button,
            self.json_button,
            self.delete_button,
        ):
            button.setEnabled(chosen)

    def _on_list_item_double_clicked(self, _item: QTreeWidgetItem, _column: int) -> None:
        self.open_selected()

    def open_selected(self) -> None:
        """Bring the conversation to front in its tab (reopening it if closed) and step aside.

        Enter reaches here through the default button, from the list or the search box; if
        a search is still pending, its first hit is opened once it is listed.
        """
        if self._delay.isActive():
            self._open_when_listed = True
            self.refresh()
            return
        if (conversation_id := self.selected_id()) is not None:
            self._actions.open(conversation_id)
            self.accept()

    def export_selected(self, kind: ExportKind, path: Path | None = None) -> None:
        """Export to `path`, or to a file the user picks when no path is given."""
        if (conversation_id := self.selected_id()) is None:
            return
        if path is None:
            self._actions.ask_export(conversation_id, self._selected_title(), kind, self)
        else:
            self._actions.export(conversation_id, path, kind)

    def delete_selected(self) -> None:
        if (conversation_id := self.selected_id()) is not None:
            self._actions.confirm_delete(conversation_id, self._selected_title(), self)

    def _on_actions_deleted(self, _conversation_id: str) -> None:
        self.status.setText("Conversation deleted.")
        if self.isVisible():
            self.refresh()

    def _on_actions_exported(self, path: str) -> None:
        self.status.setText(f"Saved to {path}")
