"""The transcript: what the user said, what Maya answered, and the app's notices.

Each of Maya's finished messages carries Play · Stop links (the `mayadesk:` scheme, with the
message's index) and, on hover, how fast it came (`timing_text`). One message is one text
block, so a message whose state changes (heard at last) is redrawn in place, not the whole
transcript (which would also lose the user's scroll position).
"""

from __future__ import annotations

import html
import re

from PySide6.QtCore import QEvent, QPoint, QTimer, QUrl, Signal
from PySide6.QtGui import (
    QDesktopServices,
    QHelpEvent,
    QPalette,
    QShowEvent,
    QTextBlock,
    QTextCharFormat,
    QTextCursor,
)
from PySide6.QtWidgets import QTextBrowser, QToolTip, QWidget

from mayadesk.sessions.history import Message, MessageKind, ReplyRecord, Role

SPEAKER = {Role.USER: "You", Role.MAYA: "Maya", Role.NOTICE: ""}
TYPING = "Maya is typing…"
ACTION_SCHEME = "mayadesk"
# A hidden tab's transcript takes in its streamed text this often rather than per token:
# nobody sees it, and laying out a growing reply costs as much hidden as shown.
HIDDEN_FLUSH_MS = 250


_BOLD = re.compile(r"\*\*(?=\S)(.+?)(?<=\S)\*\*")
_ITALIC = re.compile(r"(?<![*\w])\*(?=\S)([^*]+?)(?<=\S)\*(?![*\w])")
_CODE = re.compile(r"`([^`]+)`")
_MESSAGE_LINK = re.compile(rf"^{ACTION_SCHEME}:(?:play|stop|message)/(\d+)$")
UNHEARD_MARK = "not heard yet"


def timing_text(record: ReplyRecord | None) -> str | None:
    """What hovering a reply says: how long after Enter its first words and first sound
    came ("First words after 0.42 s · first sound after 0.61 s"), or why it made no sound.
    None when nothing was measured (the greeting, history from an earlier run)."""
    if record is None or (record.first_token is None and record.first_audio is None):
        return None
    words = (
        f"First words after {record.first_token:.2f} s"
        if record.first_token is not None
        else "No words measured"
    )
    if record.first_audio is not None:
        sound = f"first sound after {record.first_audio:.2f} s"
        if record.voices[:1] == ["system"]:
            sound += " (handed to the system voice)"
    elif not record.speech_id or record.voices == ["text"]:
        sound = "text only, not spoken"
    elif record.unheard:
        sound = "not spoken: it finished in a background tab"
    else:
        sound = "no sound"
    return f"{words} · {sound}"


def inline_markdown(escaped: str) -> str:
    """Bold, italics and code spans of Maya's (already HTML-escaped) text, as HTML.

    Gemini writes a little markdown; showing its asterisks would look broken. Only inline
    marks are rendered, so a half-streamed reply never reflows into a different layout.
    """
    escaped = _CODE.sub(r"<code>\1</code>", escaped)
    escaped = _BOLD.sub(r"<b>\1</b>", escaped)
    return _ITALIC.sub(r"<i>\1</i>", escaped)


class TranscriptView(QTextBrowser):
    """A read-only, selectable view of one conversation, with Maya's reply growing live.

    It keeps the messages it shows, so it can redraw them when the colour scheme changes.
    Links with the `mayadesk:` scheme (Retry, Open Keys, Play, Stop) are actions, not web
    pages.

    Signals:
        action_requested(str): an action link was clicked ("retry", "keys").
        play_requested(Message): Play was clicked on one of Maya's messages.
        stop_requested(): Stop was clicked on one of Maya's messages.
    """

    action_requested = Signal(str)
    play_requested = Signal(object)
    stop_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("transcript")
        self.setOpenLinks(False)
        self.setAccessibleName("Conversation")
        self.anchorClicked.connect(self._on_anchor_clicked)
        self._messages: list[Message] = []
        self._live_start: int | None = None
        self._live_text = ""
        # What the live block shows now: the HTML of `_live_text` without `_pending` (None
        # while it says "typing"), and the format of its plain text, so that most deltas are
        # appended instead of redrawn. `_pending` is text not drawn yet (the view is hidden).
        self._live_body: str | None = None
        self._live_format = QTextCharFormat()
        self._pending = ""
        self._flush_timer = QTimer(self)
        self._flush_timer.setSingleShot(True)
        self._flush_timer.timeout.connect(self._draw_pending)
        self._playable = True

    def set_playable(self, playable: bool) -> None:
        """Offer Play · Stop on Maya's messages only when something can play them: without an
        audio output the links would do nothing."""
        if playable != self._playable:
            self._playable = playable
            self._redraw()

    def show_messages(self, messages: tuple[Message, ...] | list[Message]) -> None:
        self._messages = list(messages)
        self._redraw()

    def add_message(self, message: Message) -> None:
        self._messages.append(message)
        self._append_html(self._message_html(message, index=len(self._messages) - 1))

    def messages(self) -> list[Message]:
        return list(self._messages)

    # Maya's reply, as it streams ------------------------------------------------------------
    def begin_reply(self) -> None:
        """Show that Maya is typing; her text replaces this as it arrives."""
        self._live_text = ""
        self._open_live_block()
        self._render_live()

    def append_reply(self, delta: str) -> None:
        """Add `delta` to the live reply.

        Redrawing the whole reply for every token costs in proportion to the reply's length,
        and 8 tabs streaming at 50 tokens/s would keep the GUI thread busy with it. So a
        delta that only adds plain text (it opens or closes no markdown, and no earlier text
        draws differently because of it) is inserted at the end as text; otherwise the live
        block is drawn again from the whole reply. A hidden view gathers deltas and draws
        them every `HIDDEN_FLUSH_MS`, and at once when shown.
        """
        if self._live_start is None:
            self.begin_reply()
        self._live_text += delta
        self._pending += delta
        if self.isVisible():
            self._draw_pending()
        elif not self._flush_timer.isActive():
            self._flush_timer.start(HIDDEN_FLUSH_MS)

    def finish_reply(
        self,
        text: str,
        *,
        stopped: bool = False,
        failed: bool = False,
        record: ReplyRecord | None = None,
    ) -> None:
        """Replace the live block with the reply as kept (or remove it when nothing came).
        `record` (timings, replay) goes with the message, shared, so it can still change."""
        if self._live_start is not None:
            self._clear_live()
        if text:
            message = Message(Role.MAYA, text, stopped=stopped, failed=failed, record=record)
            self.add_message(message)
        elif stopped:
            self.add_message(Message(Role.NOTICE, "Stopped."))

    @property
    def live_text(self) -> str:
        return self._live_text

    def show_error(self, text: str, *, retry: bool, keys: bool) -> None:
        """A failed turn: one sentence, with Retry and Open Keys links where they help."""
        links = []
        if retry:
            links.append(f'<a href="{ACTION_SCHEME}:retry">Retry</a>')
        if keys:
            links.append(f'<a href="{ACTION_SCHEME}:keys">Open Keys…</a>')
        message = Message(Role.NOTICE, text)
        self._messages.append(message)
        extra = (" " + " · ".join(links)) if links else ""
        self._append_html(self._message_html(message, error=True)[: -len("</p>")] + extra + "</p>")

    def restyle(self) -> None:
        """Redraw with the current palette (after a light/dark switch)."""
        self._redraw()

    def refresh_record(self, record: ReplyRecord) -> None:
        """The message with `record` changed how it looks (heard at last): redraw its block."""
        for index, message in enumerate(self._messages):
            if message.record is record:
                block = self._message_block(index)
                if block is not None:
                    self._replace_block(block, self._message_html(message, index=index))
                return

    def message_at(self, pos: QPoint) -> Message | None:
        """The message drawn at `pos` (viewport coordinates), if it is one of Maya's."""
        block = self.cursorForPosition(pos).block()
        index = self._block_index(block)
        return self._messages[index] if index is not None else None

    def tooltip_at(self, pos: QPoint) -> str | None:
        message = self.message_at(pos)
        return timing_text(message.record) if message is not None else None

    def viewportEvent(self, event: QEvent) -> bool:
        """Hovering one of Maya's messages shows its timings, read when asked (the first
        sound may come after the message was drawn)."""
        if event.type() == QEvent.Type.ToolTip and isinstance(event, QHelpEvent):
            text = self.tooltip_at(event.pos())
            if text:
                QToolTip.showText(event.globalPos(), text, self.viewport())
            else:
                QToolTip.hideText()
                event.ignore()
            return True
        return super().viewportEvent(event)

    # Drawing --------------------------------------------------------------------------------
    def showEvent(self, event: QShowEvent) -> None:
        self._draw_pending()
        super().showEvent(event)

    def _draw_pending(self) -> None:
        """Bring the live block up to `_live_text`: append plain text, or redraw it all."""
        self._flush_timer.stop()
        delta, self._pending = self._pending, ""
        if not delta or self._live_start is None:
            return
        shown = self._live_body
        if shown and "\n" not in delta:
            body = self._body_html(Role.MAYA, self._live_text)
            if body == shown + html.escape(delta):
                self._end_cursor().insertText(delta, self._live_format)
                self._live_body = body
                self._scroll_to_end()
                return
        self._render_live()

    def _end_cursor(self) -> QTextCursor:
        cursor = self.textCursor()
        cursor.movePosition(QTextCursor.MoveOperation.End)
        return cursor

    def _append_html(self, fragment: str) -> None:
        """Add a finished message; a live reply stays the last block, below it."""
        live = self._live_start is not None
        if live:
            self._clear_live(keep_text=True)
        cursor = self._end_cursor()
        if not self.document().isEmpty():
            cursor.insertBlock()
        cursor.insertHtml(fragment)
        if live:
            self._open_live_block()
            self._render_live()
        self._scroll_to_end()

    def _open_live_block(self) -> None:
        cursor = self._end_cursor()
        if not self.document().isEmpty():
            cursor.insertBlock()
        self._live_start = cursor.position()

    def _live_selection(self, *, with_separator: bool) -> QTextCursor:
        assert self._live_start is not None
        start = self._live_start
        if with_separator and start > 0:
            start -= 1  # the block break before the live block
        cursor = self.textCursor()
        cursor.setPosition(start)
        cursor.movePosition(QTextCursor.MoveOperation.End, QTextCursor.MoveMode.KeepAnchor)
        return cursor

    def _render_live(self) -> None:
        cursor = self._live_selection(with_separator=False)
        cursor.removeSelectedText()
        if self._live_text:
            fragment = self._message_html(Message(Role.MAYA, self._live_text))
        else:
            muted = self.palette().color(QPalette.ColorRole.PlaceholderText).name()
            fragment = f'<p style="color:{muted}"><i>{TYPING}</i></p>'
        cursor.insertHtml(fragment)
        self._pending = ""
        self._live_body = None
        if self._live_text:
            self._live_body = self._body_html(Role.MAYA, self._live_text)
            # The format of the space after "Maya:", which is plain text.
            assert self._live_start is not None
            cursor.setPosition(self._live_start + len(SPEAKER[Role.MAYA]) + 2)
            self._live_format = cursor.charFormat()
        self._scroll_to_end()

    def _clear_live(self, *, keep_text: bool = False) -> None:
        self._live_selection(with_separator=True).removeSelectedText()
        self._live_start = None
        self._live_body = None
        self._pending = ""
        if not keep_text:
            self._live_text = ""

    def _scroll_to_end(self) -> None:
        bar = self.verticalScrollBar()
        bar.setValue(bar.maximum())

    def _block_index(self, block: QTextBlock) -> int | None:
        """The index of the Maya message drawn in `block`, from its Play/Stop links."""
        it = block.begin()
        while not it.atEnd():
            match = _MESSAGE_LINK.match(it.fragment().charFormat().anchorHref())
            if match is not None:
                index = int(match.group(1))
                return index if index < len(self._messages) else None
            it += 1
        return None

    def _message_block(self, index: int) -> QTextBlock | None:
        block = self.document().lastBlock()
        while block.isValid():  # recent messages change most: search from the end
            if self._block_index(block) == index:
                return block
            block = block.previous()
        return None

    def _replace_block(self, block: QTextBlock, fragment: str) -> None:
        size = self.document().characterCount()
        cursor = QTextCursor(block)
        cursor.movePosition(QTextCursor.MoveOperation.EndOfBlock, QTextCursor.MoveMode.KeepAnchor)
        cursor.insertHtml(fragment)
        if self._live_start is not None and block.position() < self._live_start:
            self._live_start += self.document().characterCount() - size

    def _redraw(self) -> None:
        live = self._live_start is not None
        self.setHtml("".join(self._message_html(m, index=i) for i, m in enumerate(self._messages)))
        if live:
            self._open_live_block()
            self._render_live()
        self._scroll_to_end()

    @staticmethod
    def _body_html(role: Role, text: str) -> str:
        """A message's text as HTML: escaped, Maya's markdown rendered, line breaks kept."""
        body = html.escape(text)
        if role is Role.MAYA:
            body = inline_markdown(body)
        return body.replace("\n", "<br>")

    def _message_html(
        self, message: Message, *, error: bool = False, index: int | None = None
    ) -> str:
        """A message as one paragraph; Maya's finished ones (`index` given) with Play · Stop."""
        palette = self.palette()
        text = self._body_html(message.role, message.text)
        muted = palette.color(QPalette.ColorRole.PlaceholderText).name()
        if message.role is Role.NOTICE:
            color = palette.color(QPalette.ColorRole.BrightText).name() if error else muted
            return f'<p style="color:{color}"><i>{text}</i></p>'
        if message.kind is MessageKind.TIP_NOTE:
            return f'<p style="color:{muted}"><i>{text}</i></p>'
        accent = palette.color(QPalette.ColorRole.Link).name()
        speaker = SPEAKER[message.role]
        mark = ""
        if message.stopped:
            mark = f' <span style="color:{muted}"><i>(stopped)</i></span>'
        elif message.failed:
            mark = f' <span style="color:{muted}"><i>(interrupted)</i></span>'
        if index is not None and message.role is Role.MAYA:
            if message.record is not None and message.record.unheard:
                mark += f' <span style="color:{muted}"><i>({UNHEARD_MARK})</i></span>'
            mark += self._links_html(index, muted)
        return f'<p><b style="color:{accent}">{speaker}:</b> {text}{mark}</p>'

    def _links_html(self, index: int, muted: str) -> str:
        """Play · Stop for Maya's message `index`. Without them the message still carries an
        anchor (on an invisible zero-width space), so `_block_index` finds its block for
        in-place redraws and timing tooltips."""
        if not self._playable:
            return f'<a href="{ACTION_SCHEME}:message/{index}">&#8203;</a>'
        return (
            f' <span style="color:{muted}">'
            f'<a href="{ACTION_SCHEME}:play/{index}">Play</a> · '
            f'<a href="{ACTION_SCHEME}:stop/{index}">Stop</a></span>'
        )

    def _on_anchor_clicked(self, url: QUrl) -> None:
        if url.scheme() == ACTION_SCHEME:
            action, _, number = url.path().partition("/")
            if action == "message":
                return  # the anchor that marks a message without Play · Stop
            if action in ("play", "stop") and number.isdigit():
                index = int(number)
                if action == "stop":
                    self.stop_requested.emit()
                elif index < len(self._messages):
                    self.play_requested.emit(self._messages[index])
                return
            self.action_requested.emit(url.path())
        else:
            QDesktopServices.openUrl(url)
