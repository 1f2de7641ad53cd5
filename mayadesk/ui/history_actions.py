"""What the window does with stored conversations: reopen, delete for good, export.

The Recently closed menu, Ctrl+Shift+T, the tab menu and the History dialog all go through
here, so each path reopens, switches to or forgets a conversation in the same way. Store work
runs on the keeper's thread; its futures are awaited on the qasync loop, never waited for.
"""

from __future__ import annotations

import asyncio
import logging
import re
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QStandardPaths, Signal
from PySide6.QtWidgets import QFileDialog, QMessageBox, QWidget
from qasync import asyncSlot

from mayadesk.ui.conversation_tab import ConversationTab
from mayadesk.workers.conversation_keeper import ConversationKeeper, ExportKind

if TYPE_CHECKING:
    from mayadesk.ui.main_window import MainWindow

log = logging.getLogger("mayadesk.ui")

EXPORT_FILTERS: dict[ExportKind, tuple[str, str]] = {
    "markdown": (".md", "Markdown (*.md)"),
    "json": (".json", "JSON (*.json)"),
}
_UNSAFE_IN_FILE_NAME = re.compile(r'[\\/:*?"<>|\x00-\x1f]+')


def export_file_name(title: str, kind: ExportKind) -> str:
    """A file name from the conversation's title that every desktop file system accepts."""
    stem = _UNSAFE_IN_FILE_NAME.sub(" ", title).strip(" .") or "Conversation"
    return stem[:80] + EXPORT_FILTERS[kind][0]


class HistoryActions(QObject):
    """The window's operations on stored conversations, shared by its menus and dialogs.

    Signals:
        opened(ConversationTab): a conversation is in front in its tab (reopened or switched to).
        deleted(str): a conversation (its id) was removed for good.
        exported(str): a conversation was written to this file.
        failed(str): something the user asked for did not work; one sentence saying so.
        closed_available(bool): whether the store has a closed conversation to bring back.
    """

    opened = Signal(object)
    deleted = Signal(str)
    exported = Signal(str)
    failed = Signal(str)
    closed_available = Signal(bool)

    def __init__(self, window: MainWindow, keeper: ConversationKeeper) -> None:
        super().__init__(window)
        self._window = window
        self._keeper = keeper
        self._opening: set[str] = set()  # asked of the store, not back yet: a second ask waits

    def tab_for(self, conversation_id: str) -> ConversationTab | None:
        """The tab showing this conversation, if it is open."""
        for tab in self._window.tabs.conversations():
            if tab.controller.session.id == conversation_id:
                return tab
        return None

    # Opening ----------------------------------------------------------------------------------
    def open(self, conversation_id: str) -> None:
        """Show a conversation: switch to its tab, or bring it back as the last tab.

        A tab closed in this run comes back at once with its live session; an older one is
        read from the store first.
        """
        tab = self.tab_for(conversation_id) or self._window.reopen_closed(conversation_id)
        if tab is not None:
            self._show(tab)
        elif conversation_id not in self._opening:
            self._opening.add(conversation_id)
            self._reopen_stored(conversation_id)

    @asyncSlot()
    async def _reopen_stored(self, conversation_id: str) -> None:
        try:
            restored = await asyncio.wrap_future(self._keeper.reopen_stored(conversation_id))
        except Exception:
            restored = None  # the keeper logged it
        finally:
            self._opening.discard(conversation_id)
        if restored is None:
            self.failed.emit("That conversation could not be opened — it may have been deleted.")
            self.refresh_available()
            return
        self._show(
            self.tab_for(conversation_id)
            or self._window.open_reopened(restored.session, restored.record.title)
        )

    @asyncSlot()
    async def reopen_latest(self) -> None:
        """Ctrl+Shift+T when this run has closed nothing: the store's most recently closed."""
        try:
            restored = await asyncio.wrap_future(self._keeper.reopen_latest())
        except Exception:
            return  # the keeper logged it
        if restored is not None:
            log.info("Reopened conversation %s from the store", restored.session.id[:8])
            self._show(
                self.tab_for(restored.session.id)
                or self._window.open_reopened(restored.session, restored.record.title)
            )
        self.refresh_available()

    def _show(self, tab: ConversationTab) -> None:
        """In front, ready for typing (the pick may come from the History dialog's window)."""
        self._window.tabs.setCurrentWidget(tab)
        self._window.activateWindow()
        tab.composer.setFocus()
        self.opened.emit(tab)

    @asyncSlot()
    async def refresh_available(self) -> None:
        """Ask the store whether Ctrl+Shift+T has anything to bring back; answer in a signal."""
        try:
            closed = await asyncio.wrap_future(self._keeper.recently_closed(1))
        except Exception:
            return  # the keeper logged it
        self.closed_available.emit(bool(closed))

    # Deleting ---------------------------------------------------------------------------------
    def confirm_delete(self, conversation_id: str, title: str, parent: QWidget) -> QMessageBox:
        """Ask before deleting for good (window-modal, so nothing waits in a nested loop)."""
        box = QMessageBox(
            QMessageBox.Icon.Warning,
            "Delete conversation",
            f"Delete “{title}” for good?",
            QMessageBox.StandardButton.Cancel,
            parent,
        )
        box.setObjectName("deleteConfirmation")
        box.setInformativeText(
            "Its messages, order and bill are removed from this computer. This can't be undone."
        )
        delete = box.addButton("Delete", QMessageBox.ButtonRole.DestructiveRole)
        delete.setObjectName("deleteButton")
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)
        box.buttonClicked.connect(
            lambda button: self.delete(conversation_id) if button is delete else None
        )
        box.finished.connect(box.deleteLater)
        box.open()
        return box

    @asyncSlot()
    async def delete(self, conversation_id: str) -> None:
        """Remove a conversation for good; its tab, if open, closes without being kept."""
        self._window.discard_conversation(conversation_id)
        try:
            await asyncio.wrap_future(self._keeper.delete(conversation_id))
        except Exception:
            self.failed.emit("The conversation could not be deleted — see the log for why.")
            return
        log.info("Deleted conversation %s", conversation_id[:8])
        self.deleted.emit(conversation_id)
        self.refresh_available()

    # Exporting --------------------------------------------------------------------------------
    def ask_export(
        self, conversation_id: str, title: str, kind: ExportKind, parent: QWidget
    ) -> None:
        """Ask where to save the conversation, then write it there."""
        suffix, file_filter = EXPORT_FILTERS[kind]
        folder = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation)
        suggested = str(Path(folder) / export_file_name(title, kind))
        path, _chosen = QFileDialog.getSaveFileName(
            parent, "Export conversation", suggested, file_filter
        )
        if path:
            target = Path(path)
            self.export(
                conversation_id, target if target.suffix else target.with_suffix(suffix), kind
            )

    @asyncSlot()
    async def export(self, conversation_id: str, path: Path, kind: ExportKind) -> None:
        """Write the conversation to `path` (on the store's thread); report it in a signal."""
        try:
            written = await asyncio.wrap_future(self._keeper.export(conversation_id, path, kind))
        except OSError as error:
            log.info("Export to %s failed: %s", path, error)
            self.failed.emit(f"Could not write {path.name}: {error.strerror or error}.")
            return
        except LookupError:
            self.failed.emit("That conversation is no longer stored, so it can't be exported.")
            return
        except Exception:
            log.exception("Exporting conversation %s failed", conversation_id[:8])
            self.failed.emit("The conversation could not be exported — see the log for why.")
            return
        log.info("Exported conversation %s as %s", conversation_id[:8], kind)
        self.exported.emit(str(written))
