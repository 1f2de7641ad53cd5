"""Fixtures that open MayaDesk's real main window."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from pytestqt.qtbot import QtBot

from mayadesk.paths import AppPaths, app_paths
from mayadesk.sessions.session import Session
from mayadesk.ui.main_window import MainWindow


@pytest.fixture
def paths(app_dirs: dict[str, object]) -> AppPaths:
    return app_paths().ensure()


@pytest.fixture
def open_window(qtbot: QtBot, paths: AppPaths) -> Iterator[Callable[[], MainWindow]]:
    """Open a main window (as the app does) and wait until it is exposed."""
    opened: list[MainWindow] = []

    def opener() -> MainWindow:
        window = MainWindow(paths, new_session=Session)
        qtbot.addWidget(window)
        window.show()
        qtbot.waitExposed(window)
        window.activateWindow()
        qtbot.waitUntil(window.isActiveWindow)
        opened.append(window)
        return window

    yield opener
    for window in opened:
        window.close()


@pytest.fixture
def window(open_window: Callable[[], MainWindow]) -> MainWindow:
    return open_window()
