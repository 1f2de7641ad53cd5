"""The tab strip of conversations: new, close, rename in place, reorder by drag."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, QPoint, Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QLineEdit, QTabWidget, QToolButton, QWidget

from mayadesk.ui.conversation_tab import ConversationTab

MAX_TITLE = 60
KEY_ESCAPE = 0x01000000  # Qt.Key.Key_Escape; the Qt.Key enum is slow to build at start-up


class ConversationTabs(QTabWidget):
    """Holds one `ConversationTab` per conversation.

    Signals:
        new_tab_requested(): the "+" button was clicked.
        close_requested(int): a tab's close button was clicked (its index).
        menu_requested(int, QPoint): a tab was right-clicked (its index, global position).
        renamed(ConversationTab, str): the user gave a tab a new title.
    """

    new_tab_requested = Signal()
    close_requested = Signal(int)
    menu_requested = Signal(int, QPoint)
    renamed = Signal(object, str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("conversationTabs")
        self.setTabsClosable(True)
        self.setMovable(True)
        self.setDocumentMode(True)
        self.setUsesScrollButtons(True)
        self.new_tab_button = QToolButton(self)
        self.new_tab_button.setObjectName("newTabButton")
        self.new_tab_button.setText("+")
        self.new_tab_button.setToolTip("New conversation (Ctrl+T)")
        self.new_tab_button.setAccessibleName("New conversation")
        self.new_tab_button.setAutoRaise(True)
        self.setCornerWidget(self.new_tab_button, Qt.Corner.TopRightCorner)
        self.new_tab_button.clicked.connect(self.new_tab_requested)
        self.tabCloseRequested.connect(self.close_requested)
        self.tabBarDoubleClicked.connect(self.start_rename)
        self.tabBar().setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.tabBar().customContextMenuRequested.connect(self._on_tab_bar_menu)
        self._editor: QLineEdit | None = None

    def conversation(self, index: int) -> ConversationTab:
        widget = self.widget(index)
        assert isinstance(widget, ConversationTab)
        return widget

    def conversations(self) -> list[ConversationTab]:
        return [self.conversation(i) for i in range(self.count())]

    def current_conversation(self) -> ConversationTab | None:
        widget = self.currentWidget()
        return widget if isinstance(widget, ConversationTab) else None

    def cycle(self, step: int) -> None:
        """Go to the next (`step` 1) or previous (-1) tab, wrapping around."""
        if self.count():
            self.setCurrentIndex((self.currentIndex() + step) % self.count())
            self.currentWidget().setFocus()

    def _on_tab_bar_menu(self, pos: QPoint) -> None:
        index = self.tabBar().tabAt(pos)
        if index >= 0:
            self.menu_requested.emit(index, self.tabBar().mapToGlobal(pos))

    # Renaming happens in a line edit laid over the tab, like a file manager's rename.
    def start_rename(self, index: int | None = None) -> None:
        index = self.currentIndex() if index is None or index < 0 else index
        if index < 0 or self._editor is not None:
            return
        bar = self.tabBar()
        editor = QLineEdit(bar)
        editor.setObjectName("tabRenameEditor")
        editor.setMaxLength(MAX_TITLE)
        editor.setText(self.tabText(index))
        editor.selectAll()
        editor.setGeometry(bar.tabRect(index).adjusted(2, 2, -2, -2))
        editor.setProperty("tabWidget", self.widget(index))
        editor.editingFinished.connect(self._finish_rename)
        editor.installEventFilter(self)
        self._editor = editor
        editor.show()
        editor.setFocus()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """Esc cancels the rename (and must not reach the window's Stop shortcut)."""
        if (
            watched is self._editor
            and isinstance(event, QKeyEvent)
            and event.key() == KEY_ESCAPE
        ):
            if event.type() == QEvent.Type.ShortcutOverride:
                event.accept()
                return True
            if event.type() == QEvent.Type.KeyPress:
                self._end_rename(commit=False)
                return True
        return super().eventFilter(watched, event)

    def _finish_rename(self) -> None:
        self._end_rename(commit=True)

    def _end_rename(self, *, commit: bool) -> None:
        editor, self._editor = self._editor, None
        if editor is None:
            return
        editor.editingFinished.disconnect(self._finish_rename)
        tab = editor.property("tabWidget")
        title = " ".join(editor.text().split())
        editor.hide()
        editor.deleteLater()
        index = self.indexOf(tab) if isinstance(tab, QWidget) else -1
        if commit and title and index >= 0 and title != self.tabText(index):
            self.setTabText(index, title)
            self.setTabToolTip(index, title)
            self.renamed.emit(tab, title)
        if index >= 0 and (page := self.widget(index)) is not None:
            page.setFocus()
