"""What the window remembers between starts, and how it follows the OS colour scheme."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QGuiApplication, QPalette
from pytestqt.qtbot import QtBot

from mayadesk.ui.main_window import MainWindow
from tests.helpers.portal import PREFER_DARK, PREFER_LIGHT, FakeSettingsPortal


def test_geometry_and_splitter_are_restored_on_next_start(
    open_window: Callable[[], MainWindow], qtbot: QtBot
) -> None:
    first = open_window()
    first.resize(900, 640)
    qtbot.waitUntil(lambda: first.size().width() == 900)
    splitter = first.tabs.conversation(0).splitter
    handle = splitter.handle(1)
    before = splitter.sizes()
    center = handle.rect().center()
    qtbot.mousePress(handle, Qt.MouseButton.LeftButton, pos=center)
    qtbot.mouseMove(handle, center - QPoint(120, 0))
    qtbot.mouseRelease(handle, Qt.MouseButton.LeftButton, pos=center - QPoint(120, 0))
    moved = splitter.sizes()
    assert moved[0] < before[0] - 60
    first.close()

    second = open_window()
    assert (second.width(), second.height()) == (900, 640)
    assert second.tabs.conversation(0).splitter.sizes() == moved
    second.new_tab()  # later tabs take the same layout
    qtbot.waitUntil(lambda: second.tabs.conversation(1).splitter.sizes() == moved)


@pytest.fixture
def scheme_reset(desktop_portal: FakeSettingsPortal, qtbot: QtBot) -> Iterator[None]:
    yield
    hints = QGuiApplication.styleHints()
    hints.setColorScheme(Qt.ColorScheme.Light)
    desktop_portal.color_scheme = 0


def window_is_dark(window: MainWindow) -> bool:
    return window.palette().color(QPalette.ColorRole.Window).lightness() < 100


@pytest.mark.usefixtures("scheme_reset")
def test_app_forced_to_each_scheme_repaints(window: MainWindow, qtbot: QtBot) -> None:
    hints = QGuiApplication.styleHints()
    tab = window.tabs.conversation(0)
    tab.controller.submit("Hi")
    hints.setColorScheme(Qt.ColorScheme.Dark)
    qtbot.waitUntil(lambda: window_is_dark(window))
    dark_text = tab.transcript.palette().color(QPalette.ColorRole.Text)
    assert dark_text.lightness() > 150
    hints.setColorScheme(Qt.ColorScheme.Light)
    qtbot.waitUntil(lambda: not window_is_dark(window))
    assert tab.transcript.palette().color(QPalette.ColorRole.Base).lightness() > 200


@pytest.mark.usefixtures("scheme_reset")
def test_window_follows_the_desktop_switching_scheme(
    window: MainWindow, qtbot: QtBot, desktop_portal: FakeSettingsPortal
) -> None:
    hints = QGuiApplication.styleHints()
    hints.unsetColorScheme()
    desktop_portal.set_color_scheme(PREFER_DARK)
    qtbot.waitUntil(lambda: window_is_dark(window))
    desktop_portal.set_color_scheme(PREFER_LIGHT)
    qtbot.waitUntil(lambda: not window_is_dark(window))
