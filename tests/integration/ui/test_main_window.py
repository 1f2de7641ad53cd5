"""The real main window: tabs, keyboard, sending, rename, reorder, screenshots."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QLineEdit
from pytestqt.qtbot import QtBot

from mayadesk.sessions.history import Role
from mayadesk.ui.main_window import MainWindow
from mayadesk.workers.tab_controller import NO_MODEL_NOTICE

Key = Qt.Key
Mod = Qt.KeyboardModifier
CTRL, SHIFT = Mod.ControlModifier, Mod.ShiftModifier


def focused() -> object:
    return QApplication.focusWidget()


def press(qtbot: QtBot, key: Qt.Key, modifier: Qt.KeyboardModifier = Mod.NoModifier) -> None:
    """Type a key into whatever has the keyboard focus, as a user would."""
    target = QApplication.focusWidget()
    assert target is not None, "nothing has the keyboard focus"
    qtbot.keyClick(target, key, modifier)


def test_title_and_first_tab_with_focus_in_its_input(window: MainWindow) -> None:
    assert "MayaDesk" in window.windowTitle()
    assert window.tabs.count() == 1
    assert focused() is window.tabs.conversation(0).composer


def test_three_tabs_close_one_reopen_it_and_screenshot(
    window: MainWindow, qtbot: QtBot, tmp_path: Path
) -> None:
    press(qtbot, Key.Key_T, CTRL)
    press(qtbot, Key.Key_T, CTRL)
    assert window.tabs.count() == 3
    sessions = [tab.controller.session for tab in window.tabs.conversations()]
    assert len({s.id for s in sessions}) == 3
    window.tabs.setCurrentIndex(1)
    window.tabs.setTabText(1, "Second")
    qtbot.keyClicks(window.tabs.conversation(1).composer, "A dry martini")
    press(qtbot, Key.Key_Return)

    with qtbot.waitSignal(window.session_released) as released:
        press(qtbot, Key.Key_W, CTRL)
    assert released.args == [sessions[1]]
    assert window.tabs.count() == 2
    assert sessions[1] not in [t.controller.session for t in window.tabs.conversations()]

    press(qtbot, Key.Key_T, CTRL | SHIFT)
    assert window.tabs.count() == 3
    reopened = window.tabs.current_conversation()
    assert reopened is not None
    assert reopened.controller.session is sessions[1]
    assert window.tabs.tabText(window.tabs.currentIndex()) == "Second"
    assert "A dry martini" in reopened.transcript.toPlainText()
    assert focused() is reopened.composer

    shot = tmp_path / "three-tabs.png"
    assert window.grab().save(str(shot))
    assert shot.stat().st_size > 10_000


def test_reopen_with_nothing_closed_does_nothing(window: MainWindow, qtbot: QtBot) -> None:
    assert not window.reopen_tab_action.isEnabled()
    press(qtbot, Key.Key_T, CTRL | SHIFT)
    assert window.tabs.count() == 1


def test_new_tab_button_opens_a_tab_with_focus(window: MainWindow, qtbot: QtBot) -> None:
    qtbot.mouseClick(window.tabs.new_tab_button, Qt.MouseButton.LeftButton)
    assert window.tabs.count() == 2
    assert window.tabs.currentIndex() == 1
    assert focused() is window.tabs.conversation(1).composer


def test_tab_close_button_closes_that_tab(window: MainWindow, qtbot: QtBot) -> None:
    window.new_tab()
    first = window.tabs.conversation(0).controller.session
    bar = window.tabs.tabBar()
    button = bar.tabButton(0, bar.ButtonPosition.RightSide) or bar.tabButton(
        0, bar.ButtonPosition.LeftSide
    )
    with qtbot.waitSignal(window.session_released) as released:
        qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    assert released.args == [first]
    assert window.tabs.count() == 1


def test_closing_the_last_tab_leaves_a_fresh_one(window: MainWindow, qtbot: QtBot) -> None:
    old = window.tabs.conversation(0).controller.session
    press(qtbot, Key.Key_W, CTRL)
    assert window.tabs.count() == 1
    assert window.tabs.conversation(0).controller.session is not old
    assert focused() is window.tabs.conversation(0).composer


def test_ctrl_tab_cycles_forward_and_back_from_the_input(window: MainWindow, qtbot: QtBot) -> None:
    window.new_tab()
    window.new_tab()
    window.tabs.setCurrentIndex(0)
    assert focused() is window.tabs.conversation(0).composer
    press(qtbot, Key.Key_Tab, CTRL)
    assert window.tabs.currentIndex() == 1
    press(qtbot, Key.Key_Tab, CTRL)
    press(qtbot, Key.Key_Tab, CTRL)
    assert window.tabs.currentIndex() == 0  # wrapped
    press(qtbot, Key.Key_Backtab, CTRL | SHIFT)
    assert window.tabs.currentIndex() == 2
    assert focused() is window.tabs.conversation(2).composer


def test_enter_sends_and_shows_no_model_notice(window: MainWindow, qtbot: QtBot) -> None:
    tab = window.tabs.conversation(0)
    qtbot.keyClicks(tab.composer, "Hello Maya")
    press(qtbot, Key.Key_Return)
    assert tab.composer.toPlainText() == ""
    messages = tab.controller.session.messages()
    assert [(m.role, m.text) for m in messages] == [
        (Role.USER, "Hello Maya"),
        (Role.NOTICE, NO_MODEL_NOTICE),
    ]
    shown = tab.transcript.toPlainText()
    assert "Hello Maya" in shown
    assert "No model configured" in shown


def test_shift_enter_adds_a_line_and_blank_is_not_sent(window: MainWindow, qtbot: QtBot) -> None:
    tab = window.tabs.conversation(0)
    qtbot.keyClicks(tab.composer, "one")
    press(qtbot, Key.Key_Return, SHIFT)
    qtbot.keyClicks(tab.composer, "two")
    assert tab.composer.toPlainText() == "one\ntwo"
    assert tab.controller.session.messages() == ()
    tab.composer.setPlainText("   \n ")
    press(qtbot, Key.Key_Enter)  # the keypad's Enter sends too
    assert tab.controller.session.messages() == ()
    tab.composer.setPlainText("one\ntwo")
    qtbot.mouseClick(tab.send_button, Qt.MouseButton.LeftButton)
    assert tab.controller.session.messages()[0].text == "one\ntwo"


def _rename_editor(window: MainWindow) -> QLineEdit | None:
    return window.tabs.tabBar().findChild(QLineEdit, "tabRenameEditor")


def test_f2_renames_in_place_and_escape_cancels(window: MainWindow, qtbot: QtBot) -> None:
    press(qtbot, Key.Key_F2)
    editor = _rename_editor(window)
    assert editor is not None and focused() is editor
    qtbot.keyClicks(editor, "Alice at the bar")
    with qtbot.waitSignal(window.tabs.renamed):
        press(qtbot, Key.Key_Return)
    assert window.tabs.tabText(0) == "Alice at the bar"
    assert focused() is window.tabs.conversation(0).composer

    press(qtbot, Key.Key_F2)
    editor = _rename_editor(window)
    assert editor is not None
    qtbot.keyClicks(editor, "Nope")
    press(qtbot, Key.Key_Escape)
    qtbot.waitUntil(lambda: _rename_editor(window) is None)
    assert window.tabs.tabText(0) == "Alice at the bar"


def test_double_click_on_a_tab_renames_it(window: MainWindow, qtbot: QtBot) -> None:
    window.new_tab()
    bar = window.tabs.tabBar()
    qtbot.mouseDClick(bar, Qt.MouseButton.LeftButton, pos=bar.tabRect(0).center())
    editor = _rename_editor(window)
    assert editor is not None
    editor.setText("Bob")
    press(qtbot, Key.Key_Return)
    assert window.tabs.tabText(0) == "Bob"


def test_dragging_a_tab_reorders_conversations(window: MainWindow, qtbot: QtBot) -> None:
    window.new_tab()
    window.new_tab()
    for i in range(3):
        window.tabs.setTabText(i, f"T{i}")
    order = [t.controller.session for t in window.tabs.conversations()]
    bar = window.tabs.tabBar()
    assert window.tabs.isMovable()
    start = bar.tabRect(0).center()
    end = bar.tabRect(2).center()
    qtbot.mousePress(bar, Qt.MouseButton.LeftButton, pos=start)
    for step in range(1, 11):
        point = start + (end - start) * (step / 10)
        qtbot.mouseMove(bar, point)
    qtbot.mouseRelease(bar, Qt.MouseButton.LeftButton, pos=end)
    qtbot.waitUntil(lambda: window.tabs.tabText(2) == "T0")
    sessions = [t.controller.session for t in window.tabs.conversations()]
    assert sessions == [order[1], order[2], order[0]]


def test_ctrl_comma_opens_settings_and_ctrl_q_quits(window: MainWindow, qtbot: QtBot) -> None:
    press(qtbot, Key.Key_Comma, CTRL)
    dialog = window.show_settings()
    qtbot.waitExposed(dialog)
    assert dialog.isVisible()
    dialog.close()
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    press(qtbot, Key.Key_Q, CTRL)
    qtbot.waitUntil(lambda: not window.isVisible())


def test_escape_stops_the_current_tab(window: MainWindow, qtbot: QtBot) -> None:
    tab = window.tabs.conversation(0)
    with qtbot.waitSignal(tab.controller.busy_changed) as busy:
        press(qtbot, Key.Key_Escape)
    assert busy.args == [False]


def test_maya_markdown_is_rendered_not_shown_raw(window: MainWindow) -> None:
    from mayadesk.sessions.history import Message

    transcript = window.tabs.conversation(0).transcript
    transcript.add_message(Message(Role.MAYA, "That's **$26.00**, *darling*. Use `tab`. 2 * 3"))
    shown = transcript.toPlainText()
    assert "That's $26.00, darling. Use tab. 2 * 3" in shown
    assert "font-weight:700;\">$26.00</span>" in transcript.toHtml()
