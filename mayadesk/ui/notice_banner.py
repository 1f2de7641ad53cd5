"""A one-line notice above the tabs, with an action button and a close button."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QToolButton, QWidget


class NoticeBanner(QFrame):
    """Tells the user something that needs doing (e.g. a missing key), with one action.

    Signals:
        action_clicked(): the action button was clicked.
    """

    action_clicked = Signal()

    def __init__(self, action_text: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("noticeBanner")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.label = QLabel()
        self.label.setWordWrap(True)
        self.action_button = QPushButton(action_text)
        self.close_button = QToolButton()
        self.close_button.setText("×")
        self.close_button.setToolTip("Hide this notice")
        self.close_button.setAutoRaise(True)
        layout = QHBoxLayout(self)
        layout.addWidget(self.label, 1)
        layout.addWidget(self.action_button)
        layout.addWidget(self.close_button)
        self.action_button.clicked.connect(self.action_clicked)
        self.close_button.clicked.connect(self.hide)
        self.hide()

    def show_text(self, text: str | None) -> None:
        """Show `text`, or hide the banner when there is nothing to say."""
        if text:
            self.label.setText(text)
            self.show()
        else:
            self.hide()
