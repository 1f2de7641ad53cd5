"""The transcript: what the user said, what Maya answered, and the app's notices."""

from __future__ import annotations

import html

from PySide6.QtGui import QPalette, QTextCursor
from PySide6.QtWidgets import QTextBrowser, QWidget

from mayadesk.sessions.history import Message, Role

SPEAKER = {Role.USER: "You", Role.MAYA: "Maya", Role.NOTICE: ""}


class TranscriptView(QTextBrowser):
    """A read-only, selectable view of one conversation's messages.

    It keeps the messages it shows, so it can redraw them when the colour scheme changes.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("transcript")
        self.setOpenExternalLinks(True)
        self.setAccessibleName("Conversation")
        self._messages: list[Message] = []

    def show_messages(self, messages: tuple[Message, ...] | list[Message]) -> None:
        self._messages = list(messages)
        self._redraw()

    def add_message(self, message: Message) -> None:
        self._messages.append(message)
        self.moveCursor(QTextCursor.MoveOperation.End)
        self.insertHtml(self._message_html(message))
        self.moveCursor(QTextCursor.MoveOperation.End)
        self.ensureCursorVisible()

    def messages(self) -> list[Message]:
        return list(self._messages)

    def restyle(self) -> None:
        """Redraw with the current palette (after a light/dark switch)."""
        self._redraw()

    def _redraw(self) -> None:
        self.setHtml("".join(self._message_html(m) for m in self._messages))
        self.moveCursor(QTextCursor.MoveOperation.End)

    def _message_html(self, message: Message) -> str:
        palette = self.palette()
        text = html.escape(message.text).replace("\n", "<br>")
        if message.role is Role.NOTICE:
            muted = palette.color(QPalette.ColorRole.PlaceholderText).name()
            return f'<p style="color:{muted}"><i>{text}</i></p>'
        accent = palette.color(QPalette.ColorRole.Link).name()
        speaker = SPEAKER[message.role]
        return f'<p><b style="color:{accent}">{speaker}:</b> {text}</p>'
