"""What the tab strip and the transcript show about Maya's voice: a dot (and a tooltip line)
on a tab whose background replies were not heard, and no Play · Stop without an output."""

from __future__ import annotations

from pytestqt.qtbot import QtBot

from mayadesk.sessions.history import Message, Role
from mayadesk.ui.main_window import MainWindow


def test_unheard_replies_mark_the_tab_until_heard(window: MainWindow, qtbot: QtBot) -> None:
    first = window.tabs.conversation(0)
    window.new_tab()
    index = window.tabs.indexOf(first)
    assert window.tabs.tabIcon(index).isNull()
    first.controller.unheard_changed.emit(2)  # as the controller does for background replies
    assert not window.tabs.tabIcon(index).isNull()
    tip = window.tabs.tabToolTip(index)
    assert "2 replies from Maya not heard yet" in tip
    assert "key profile default" in tip  # the tab's own tooltip stays
    window.set_tab_profile(first, "default")  # the tooltip is rebuilt: the line stays
    assert "not heard yet" in window.tabs.tabToolTip(index)
    first.controller.unheard_changed.emit(0)
    assert window.tabs.tabIcon(index).isNull()
    assert "not heard" not in window.tabs.tabToolTip(index)


def test_without_an_audio_output_mayas_messages_have_no_play_links(
    window: MainWindow, qtbot: QtBot
) -> None:
    tab = window.tabs.conversation(0)
    tab.ensure_drawn()
    tab.transcript.add_message(Message(Role.MAYA, "Welcome in."))
    assert "Play · Stop" in tab.transcript.toPlainText()
    window.set_replies_playable(False)
    assert "Welcome in." in tab.transcript.toPlainText()
    assert "Play" not in tab.transcript.toPlainText()
    later = window.new_tab()
    later.ensure_drawn()
    later.transcript.add_message(Message(Role.MAYA, "And you?"))
    assert "Play" not in later.transcript.toPlainText()
    window.set_replies_playable(True)
    assert "Play · Stop" in tab.transcript.toPlainText()
