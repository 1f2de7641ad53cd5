"""The message box: Enter sends, Shift+Enter starts a new line."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QPlainTextEdit, QWidget

# Qt.Key.Key_Return and Key_Enter as plain ints: touching the `Qt.Key` enum builds a
# 500-member Python enum, 15 ms of start-up before the window can appear.
KEY_RETURN, KEY_ENTER = 0x01000004, 0x01000005
SEND_KEYS = (KEY_RETURN, KEY_ENTER)


class Composer(QPlainTextEdit):
    """Where the user types to Maya.

    Signals:
        send_requested(): Enter was pressed without Shift.
    """

    send_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("composer")
        self.setPlaceholderText("Talk to Maya… (Enter to send, Shift+Enter for a new line)")
        self.setTabChangesFocus(True)
        self.setAccessibleName("Message to Maya")
        self.setFixedHeight(self.fontMetrics().lineSpacing() * 3 + 16)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in SEND_KEYS and not (
            event.modifiers() & Qt.KeyboardModifier.ShiftModifier
        ):
            event.accept()
            self.send_requested.emit()
            return
        super().keyPressEvent(event)
