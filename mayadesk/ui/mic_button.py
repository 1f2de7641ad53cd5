"""The tab's microphone button: click to talk, click again to send; it shows what the mic does.

A plain `QToolButton` whose text says the state in words (no emoji font on many desktops)
and whose bottom edge is a level meter while it listens, so the user sees that the
microphone hears them before they wonder why Maya does not. The button only shows and
asks; the voice-input glue decides what a click means.
"""

from __future__ import annotations

from enum import StrEnum

from PySide6.QtCore import QRect
from PySide6.QtGui import QPainter, QPaintEvent, QPalette
from PySide6.QtWidgets import QToolButton, QWidget

TALK_SHORTCUT = "Ctrl+Space"
TALK_TIP = f"Talk to Maya: click, speak, click again to send — or hold {TALK_SHORTCUT}"
NO_MICROPHONE_TIP = "No microphone found — connect one to talk to Maya (typing always works)"
METER_HEIGHT = 4


class MicState(StrEnum):
    IDLE = "idle"
    LISTENING = "listening"
    TRANSCRIBING = "transcribing"


_TEXT = {
    MicState.IDLE: "Talk",
    MicState.LISTENING: "Listening",
    MicState.TRANSCRIBING: "Transcribing…",
}
_DESCRIPTION = {
    MicState.IDLE: "Not listening",
    MicState.LISTENING: "Listening — click again to send what you said",
    MicState.TRANSCRIBING: "Turning what you said into text",
}


class MicButton(QToolButton):
    """Talk to Maya by voice; idle / listening (with a level meter) / transcribing."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("micButton")
        self.setAccessibleName("Talk to Maya")
        self.setToolTip(TALK_TIP)
        self._state = MicState.IDLE
        self._level = 0.0
        self._show_state()

    def state(self) -> MicState:
        return self._state

    def level(self) -> float:
        return self._level

    def set_state(self, state: MicState) -> None:
        if state == self._state:
            return
        self._state = state
        if state is not MicState.LISTENING:
            self._level = 0.0
        self._show_state()

    def set_available(self, available: bool) -> None:
        """Off, saying why, while the system lists no microphone."""
        self.setEnabled(available)
        self.setToolTip(TALK_TIP if available else NO_MICROPHONE_TIP)

    def set_level(self, level: float) -> None:
        """The microphone's loudness, 0..1 (drawn only while listening)."""
        level = min(1.0, max(0.0, level))
        if self._state is MicState.LISTENING and abs(level - self._level) > 0.005:
            self._level = level
            self.update()

    def _show_state(self) -> None:
        self.setText(_TEXT[self._state])
        self.setAccessibleDescription(_DESCRIPTION[self._state])
        self.setProperty("micState", str(self._state))
        self.update()

    def paintEvent(self, event: QPaintEvent) -> None:
        super().paintEvent(event)
        if self._state is not MicState.LISTENING:
            return
        painter = QPainter(self)
        rect = self.rect()
        width = int(rect.width() * self._level)
        color = self.palette().color(QPalette.ColorRole.Highlight)
        painter.fillRect(
            QRect(rect.left(), rect.bottom() - METER_HEIGHT + 1, width, METER_HEIGHT), color
        )
        painter.end()
