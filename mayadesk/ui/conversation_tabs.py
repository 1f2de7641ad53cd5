"""The tab strip of conversations: new, close, rename in place, reorder by drag."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, QPoint, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QIcon, QKeyEvent, QPainter, QPalette, QPixmap
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
        tab_added(ConversationTab): a conversation joined the strip (new, restored, reopened).

    A tab with replies that finished in the background unheard carries a dot, and its
    tooltip says how many (cleared once they are heard).
    """

    new_tab_requested = Signal()
    close_requested = Signal(int)
    menu_requested = Signal(int, QPoint)
    renamed = Signal(object, str)
    tab_added = Signal(object)

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
        self._tooltips: dict[ConversationTab, str] = {}  # without the unheard line
        self._unheard: dict[ConversationTab, int] = {}
        self._dot: QIcon | None = None

    def tabInserted(self, index: int) -> None:
        super().tabInserted(index)
        tab = self.widget(index)
        if isinstance(tab, ConversationTab):
            tab.unheard_changed.connect(lambda count, t=tab: self.show_unheard(t, count))
            tab.destroyed.connect(lambda _obj=None, t=tab: self._forget(t))
            self.tab_added.emit(tab)

    def set_tooltip(self, tab: ConversationTab, text: str) -> None:
        """The tab's tooltip; a line about unheard replies is added while there are some."""
        self._tooltips[tab] = text
        self._show_marker(tab)

    def show_unheard(self, tab: ConversationTab, count: int) -> None:
        """Mark `tab` while `count` of its replies have not been heard; 0 clears the mark."""
        self._unheard[tab] = count
        self._show_marker(tab)

    def unheard_count(self, tab: ConversationTab) -> int:
        return self._unheard.get(tab, 0)

    def _show_marker(self, tab: ConversationTab) -> None:
        index = self.indexOf(tab)
        if index < 0:
            return
        count = self._unheard.get(tab, 0)
        tip = self._tooltips.get(tab, self.tabText(index))
        if count:
            replies = "reply" if count == 1 else "replies"
            tip += f"\n{count} {replies} from Maya not heard yet"
        self.setTabToolTip(index, tip)
        self.setTabIcon(index, self._dot_icon() if count else QIcon())

    def _dot_icon(self) -> QIcon:
        if self._dot is None:
            size = 12
            pixmap = QPixmap(size, size)
            pixmap.fill(QColor(0, 0, 0, 0))
            painter = QPainter(pixmap)
            painter.setRenderHint(QPainter.RenderHint.Antialiasing)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(self.palette().color(QPalette.ColorRole.Highlight))
            painter.drawEllipse(QRectF(2, 2, size - 4, size - 4))
            painter.end()
            self._dot = QIcon(pixmap)
        return self._dot

    def _forget(self, tab: object) -> None:
        self._tooltips.pop(tab, None)  # type: ignore[call-overload]
        self._unheard.pop(tab, None)  # type: ignore[call-overload]

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
            self.set_tooltip(self.conversation(index), title)
            self.renamed.emit(tab, title)
        if index >= 0 and (page := self.widget(index)) is not None:
            page.setFocus()
