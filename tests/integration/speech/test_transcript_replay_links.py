"""The transcript's Play / Stop links and timing tooltips, in a real (Xvfb) widget: each of
Maya's finished messages has them, nothing else does, and a message redrawn in place (heard
at last) leaves the live reply below it intact."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QPoint
from PySide6.QtGui import QHelpEvent
from PySide6.QtWidgets import QApplication, QToolTip
from pytestqt.qtbot import QtBot

from mayadesk.sessions.history import Message, ReplyRecord, Role
from mayadesk.ui.transcript_view import UNHEARD_MARK, TranscriptView, timing_text


def anchors(view: TranscriptView) -> list[tuple[int, str, str]]:
    """(block number, text, href) of every link, in order."""
    found = []
    block = view.document().begin()
    while block.isValid():
        it = block.begin()
        while not it.atEnd():
            fragment = it.fragment()
            if href := fragment.charFormat().anchorHref():
                found.append((block.blockNumber(), fragment.text(), href))
            it += 1
        block = block.next()
    return found


def shown_view(qtbot: QtBot) -> TranscriptView:
    view = TranscriptView()
    qtbot.addWidget(view)
    view.resize(600, 400)
    view.show()
    qtbot.waitExposed(view)
    return view


def test_only_mayas_finished_messages_get_play_and_stop(qtbot: QtBot) -> None:
    view = shown_view(qtbot)
    view.show_messages([Message(Role.MAYA, "Welcome in!"), Message(Role.USER, "Hi")])
    view.add_message(Message(Role.NOTICE, "Stopped."))
    view.begin_reply()
    view.append_reply("Coming right up")
    assert anchors(view) == [(0, "Play", "mayadesk:play/0"), (0, "Stop", "mayadesk:stop/0")]
    view.finish_reply("Coming right up.", record=ReplyRecord(speech_id="t.1"))
    view.add_message(Message(Role.USER, "Thanks"))  # typed after a link: not a link itself
    assert [a[1:] for a in anchors(view)] == [
        ("Play", "mayadesk:play/0"),
        ("Stop", "mayadesk:stop/0"),
        ("Play", "mayadesk:play/3"),
        ("Stop", "mayadesk:stop/3"),
    ]
    assert view.document().blockCount() == 5  # one block per message
    played: list[Message] = []
    stops: list[bool] = []
    view.play_requested.connect(played.append)
    view.stop_requested.connect(lambda: stops.append(True))
    view.anchorClicked.emit(view.document().baseUrl().resolved("mayadesk:play/3"))
    view.anchorClicked.emit(view.document().baseUrl().resolved("mayadesk:stop/3"))
    assert [m.text for m in played] == ["Coming right up."] and stops == [True]


def test_a_message_redrawn_in_place_keeps_the_live_reply_whole(qtbot: QtBot) -> None:
    view = shown_view(qtbot)
    record = ReplyRecord(speech_id="t.1", first_token=0.42)
    view.show_messages([Message(Role.USER, "Something strong")])
    view.finish_reply("A Negroni, then.", record=record)
    view.add_message(Message(Role.USER, "And for my friend?"))
    view.begin_reply()
    view.append_reply("Let me think")
    record.unheard = True
    view.refresh_record(record)
    assert f"({UNHEARD_MARK})" in view.toPlainText()
    view.append_reply(" about that.")  # appended at the live block, not inside the old one
    record.unheard = False
    view.refresh_record(record)
    view.finish_reply("Let me think about that.")
    lines = view.toPlainText().splitlines()
    assert lines == [
        "You: Something strong",
        "Maya: A Negroni, then. Play · Stop",
        "You: And for my friend?",
        "Maya: Let me think about that. Play · Stop",
    ]


def test_hover_reads_the_record_when_asked(qtbot: QtBot) -> None:
    """The first sound may come after the message is drawn: the tooltip is not baked in."""
    view = shown_view(qtbot)
    record = ReplyRecord(speech_id="t.1", first_token=0.42)
    view.finish_reply("Cheers!", record=record)
    point = view.cursorRect(view.document().find("Cheers")).center()

    def hover() -> str:
        event = QHelpEvent(QEvent.Type.ToolTip, point, view.viewport().mapToGlobal(point))
        QApplication.sendEvent(view.viewport(), event)
        return QToolTip.text() if QToolTip.isVisible() else ""

    assert hover() == "First words after 0.42 s · no sound"
    record.first_audio = 0.613
    record.voices.append("cartesia")
    assert hover() == "First words after 0.42 s · first sound after 0.61 s"
    QToolTip.hideText()
    assert view.tooltip_at(QPoint(-50, -50)) in (None, timing_text(record))


def test_timing_text_says_why_a_reply_made_no_sound() -> None:
    assert timing_text(None) is None
    assert timing_text(ReplyRecord()) is None  # nothing measured: history, the greeting
    assert timing_text(ReplyRecord(first_token=0.3)) == (
        "First words after 0.30 s · text only, not spoken"
    )
    assert timing_text(ReplyRecord("t.1", 0.3, voices=["text"])).endswith("text only, not spoken")
    assert timing_text(ReplyRecord("t.1", 0.3, unheard=True)).endswith(
        "not spoken: it finished in a background tab"
    )
    system = ReplyRecord("t.1", 0.3, 0.5, voices=["system"])
    assert timing_text(system) == (
        "First words after 0.30 s · first sound after 0.50 s (handed to the system voice)"
    )
