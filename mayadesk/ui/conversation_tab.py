"""One conversation's page: transcript, composer and buttons, Maya's face and the order."""

from __future__ import annotations

from PySide6.QtCore import QByteArray, Qt, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from mayadesk.sessions.history import Message
from mayadesk.ui.avatar_view import AvatarView
from mayadesk.ui.composer import Composer
from mayadesk.ui.order_panel import OrderPanel
from mayadesk.ui.transcript_view import TranscriptView
from mayadesk.workers.tab_controller import TabController


class ConversationTab(QWidget):
    """The widgets of one tab, driven by its `TabController`.

    Signals:
        splitter_moved(QByteArray): the user moved the splitter; its new state.
    """

    splitter_moved = Signal(QByteArray)

    def __init__(self, controller: TabController, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.controller = controller
        self.transcript = TranscriptView()
        self.composer = Composer()
        self.send_button = QPushButton("Send")
        self.send_button.setToolTip("Send (Enter)")
        self.stop_button = QPushButton("Stop")
        self.stop_button.setToolTip("Stop Maya (Esc)")
        self.stop_button.setEnabled(False)
        self.avatar = AvatarView()
        self.order_panel = OrderPanel()

        buttons = QVBoxLayout()
        buttons.addWidget(self.send_button)
        buttons.addWidget(self.stop_button)
        composer_row = QHBoxLayout()
        composer_row.addWidget(self.composer, 1)
        composer_row.addLayout(buttons)

        talk = QWidget()
        talk_layout = QVBoxLayout(talk)
        talk_layout.setContentsMargins(0, 0, 0, 0)
        talk_layout.addWidget(self.transcript, 1)
        talk_layout.addLayout(composer_row)

        side = QWidget()
        side.setObjectName("sidePanel")
        side_layout = QVBoxLayout(side)
        side_layout.setContentsMargins(0, 0, 0, 0)
        side_layout.addWidget(self.avatar)
        side_layout.addWidget(self.order_panel, 1)

        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.setObjectName("conversationSplitter")
        self.splitter.setChildrenCollapsible(False)
        self.splitter.addWidget(talk)
        self.splitter.addWidget(side)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 1)
        layout = QVBoxLayout(self)
        layout.addWidget(self.splitter)

        self.setFocusProxy(self.composer)
        self.transcript.show_messages(controller.session.messages())

        self.composer.send_requested.connect(self.send)
        self.send_button.clicked.connect(self.send)
        self.stop_button.clicked.connect(controller.stop)
        self.splitter.splitterMoved.connect(self._on_splitter_moved)
        controller.message_added.connect(self._on_controller_message_added)
        controller.busy_changed.connect(self._on_controller_busy_changed)

    def send(self) -> None:
        """Hand the composer's text to the controller; clear it only when it was taken."""
        if self.controller.submit(self.composer.toPlainText()):
            self.composer.clear()
        self.composer.setFocus()

    def _on_controller_message_added(self, message: Message) -> None:
        self.transcript.add_message(message)

    def _on_controller_busy_changed(self, busy: bool) -> None:
        self.stop_button.setEnabled(busy)

    def _on_splitter_moved(self, _pos: int, _index: int) -> None:
        self.splitter_moved.emit(self.splitter.saveState())
