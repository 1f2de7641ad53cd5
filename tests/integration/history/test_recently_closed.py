"""File → Recently Closed and Ctrl+Shift+T, within a run and across a restart."""

from __future__ import annotations

from PySide6.QtCore import QPoint, Qt
from pytestqt.qtbot import QtBot

from mayadesk.paths import AppPaths, app_paths
from mayadesk.sessions.session import Session
from mayadesk.ui.main_window import MainWindow
from mayadesk.ui.recent_menu import time_ago
from tests.fakes.gemini import FakeGemini, Reply
from tests.integration.conversation.conftest import WAIT_MS, send
from tests.integration.history.conftest import Desk, titles

CTRL, SHIFT = Qt.KeyboardModifier.ControlModifier, Qt.KeyboardModifier.ShiftModifier


def menu_entries(qtbot: QtBot, window: MainWindow) -> list[str]:
    """Open the submenu as a user would, wait for the store's list, and read it."""
    menu = window.recent_menu
    with qtbot.waitSignal(menu.filled, timeout=WAIT_MS):
        menu.popup(window.mapToGlobal(QPoint(20, 20)))
    entries = [action.text() for action in menu.actions()]
    menu.hide()
    return entries


def test_menu_lists_closed_tabs_and_reopens_one_with_its_history(desk: Desk, qtbot: QtBot) -> None:
    window = desk.start()
    assert menu_entries(qtbot, window) == ["Nothing closed yet"]
    negroni = desk.chat("Negroni & friends", "A negroni, please", "A negroni, bitter and bright.")
    desk.chat("Water", "Just a glass of water", "Water it is, with ice.")
    window.close_tab(window.tabs.indexOf(negroni))
    desk.press(Qt.Key.Key_W, CTRL)  # the water tab, in front
    assert titles(window) == ["New conversation"]

    assert menu_entries(qtbot, window) == [
        "Water — just now",
        "Negroni && friends — just now",  # "&&" shows as one "&", not a mnemonic
    ]
    [_, negroni_entry] = window.recent_menu.actions()
    negroni_entry.trigger()
    assert titles(window) == ["New conversation", "Negroni & friends"]
    tab = window.tabs.current_conversation()
    assert tab is not None and "A negroni, bitter and bright." in tab.transcript.toPlainText()
    assert menu_entries(qtbot, window) == ["Water — just now"]
    # Ctrl+Shift+T now reopens the water tab: the negroni one left this run's stack too.
    desk.press(Qt.Key.Key_T, CTRL | SHIFT)
    assert titles(window) == ["New conversation", "Negroni & friends", "Water"]
    assert menu_entries(qtbot, window) == ["Nothing closed yet"]


def test_after_a_restart_the_menu_and_ctrl_shift_t_reach_earlier_runs(
    desk: Desk, qtbot: QtBot, gemini: FakeGemini
) -> None:
    window = desk.start()
    desk.chat("Martini", "A dry martini", "One dry martini, stirred.")
    desk.chat("Water", "Just a glass of water", "Water it is, with ice.")
    desk.press(Qt.Key.Key_W, CTRL)  # Water, then Martini
    desk.press(Qt.Key.Key_W, CTRL)
    window = desk.restart()
    assert titles(window) == ["New conversation"]
    assert menu_entries(qtbot, window) == ["Martini — just now", "Water — just now"]
    qtbot.waitUntil(window.reopen_tab_action.isEnabled, timeout=WAIT_MS)

    # Two quick presses bring back two conversations, newest first, not one twice.
    desk.press(Qt.Key.Key_T, CTRL | SHIFT)
    desk.press(Qt.Key.Key_T, CTRL | SHIFT)
    qtbot.waitUntil(lambda: window.tabs.count() == 3, timeout=WAIT_MS)
    assert titles(window) == ["New conversation", "Martini", "Water"]
    qtbot.waitUntil(lambda: not window.reopen_tab_action.isEnabled(), timeout=WAIT_MS)

    water = window.tabs.current_conversation()
    assert water is not None and "Water it is, with ice." in water.transcript.toPlainText()
    gemini.script(Reply.of("[STATE: happy] A lemon slice, coming up."))
    send(qtbot, water, "And a lemon slice?")
    qtbot.waitUntil(lambda: not water.controller.busy, timeout=WAIT_MS)
    # Maya remembers: the reopened history is what the next request carries.
    assert gemini.generate_requests[-1].texts()[-3:] == [
        "Just a glass of water",
        "[STATE: happy] Water it is, with ice.",
        "And a lemon slice?",
    ]

    window = desk.restart()  # the reopened tabs stay open across the next restart
    assert titles(window) == ["New conversation", "Martini", "Water"]
    assert menu_entries(qtbot, window) == ["Nothing closed yet"]


def test_without_a_store_the_history_entries_are_off(qtbot: QtBot, app_dirs: object) -> None:
    paths: AppPaths = app_paths().ensure()
    window = MainWindow(paths, new_session=Session)
    qtbot.addWidget(window)
    assert not window.recent_menu.isEnabled()
    assert [a.text() for a in window.recent_menu.actions()] == ["History is not available"]
    assert not window.history_action.isEnabled()
    assert window.show_history() is None
    menu = window.show_tab_menu(0, QPoint(0, 0))
    delete = next(a for a in menu.actions() if a.objectName() == "deleteConversationAction")
    assert not delete.isEnabled()
    menu.close()


def test_time_ago_reads_like_a_person_says_it() -> None:
    now = 1_750_000_000.0
    assert [time_ago(now - seconds, now) for seconds in (5, 125, 7300, 90_000, 3 * 86400)] == [
        "just now",
        "2 min ago",
        "2 hours ago",
        "yesterday",
        "3 days ago",
    ]
    assert time_ago(now + 30, now) == "just now"  # a clock that stepped back
