"""A real window over a real conversation store in the test's data dir, restartable.

`Desk` composes the window and the store as `app.run_gui` does (the keeper on its own
thread, open tabs restored), so "restart" means: the window closes, the store closes, and a
new window over a newly opened store brings back what the first one left.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from mayadesk.app_services import KeyServices
from mayadesk.paths import AppPaths, app_paths
from mayadesk.sessions.session import Session
from mayadesk.ui.conversation_tab import ConversationTab
from mayadesk.ui.main_window import MainWindow
from mayadesk.workers.conversation_keeper import STORE_FILE_NAME, ConversationKeeper
from mayadesk.workers.turn_services import TurnServices
from tests.fakes.gemini import FakeGemini, Reply
from tests.integration.conversation import conftest as conversation
from tests.integration.conversation.conftest import WAIT_MS, send

# The fake Gemini, the keyring's keys and the turn services, as the conversation tests have them.
gemini = conversation.gemini
keys = conversation.keys
turns = conversation.turns


@dataclass
class Desk:
    """MayaDesk's window and store, started, stopped and restarted like the app."""

    qtbot: QtBot
    paths: AppPaths
    turns: TurnServices
    keys: KeyServices
    gemini: FakeGemini
    window: MainWindow | None = None
    keeper: ConversationKeeper | None = None
    _windows: list[MainWindow] = field(default_factory=list)

    def start(self) -> MainWindow:
        self.keeper = ConversationKeeper.open(self.paths.data)
        window = MainWindow(
            self.paths,
            new_session=Session,
            turns=self.turns,
            keeper=self.keeper,
            open_first_tab=False,
        )
        window.restore_tabs(
            [(t.session, t.record.title, t.record.is_current) for t in self.keeper.load_open_tabs()]
        )
        self.qtbot.addWidget(window)
        window.show()
        self.qtbot.waitExposed(window)
        window.activateWindow()
        self.qtbot.waitUntil(window.isActiveWindow, timeout=WAIT_MS)
        with self.qtbot.waitSignal(window.key_notice_checked, timeout=WAIT_MS):
            window.attach_keys(self.keys)
        self.window = window
        self._windows.append(window)
        return window

    def stop(self) -> None:
        if self.window is not None:
            self.window.close()
            self.window = None
        if self.keeper is not None:
            self.keeper.close()
            self.keeper = None

    def restart(self) -> MainWindow:
        self.stop()
        return self.start()

    @property
    def store_file(self) -> str:
        return str(self.paths.data / STORE_FILE_NAME)

    def stored_rows(self, conversation_id: str) -> tuple[int, int]:
        """(conversations, entries) rows for an id, read through a connection of our own."""
        with sqlite3.connect(self.store_file) as conn:
            conversations = conn.execute(
                "SELECT COUNT(*) FROM conversations WHERE id = ?", (conversation_id,)
            ).fetchone()[0]
            entries = conn.execute(
                "SELECT COUNT(*) FROM entries WHERE conversation_id = ?", (conversation_id,)
            ).fetchone()[0]
        conn.close()
        return conversations, entries

    def chat(self, title: str, said: str, reply: str) -> ConversationTab:
        """A new tab called `title` where the user says `said` and Maya answers `reply`."""
        assert self.window is not None
        tab = self.window.new_tab(title=title)
        self.gemini.script(Reply.of(f"[STATE: happy] {reply}"))
        send(self.qtbot, tab, said)
        self.qtbot.waitUntil(lambda: reply in tab.transcript.toPlainText(), timeout=WAIT_MS)
        self.qtbot.waitUntil(lambda: not tab.controller.busy, timeout=WAIT_MS)  # committed
        return tab

    def press(self, key: Qt.Key, modifiers: Qt.KeyboardModifier) -> None:
        """A key combination typed into whatever has the focus, as a user would."""
        target = QApplication.focusWidget()
        assert target is not None, "nothing has the keyboard focus"
        self.qtbot.keyClick(target, key, modifiers)


@pytest.fixture
def desk(
    qtbot: QtBot, qloop: object, turns: TurnServices, keys: KeyServices, gemini: FakeGemini
) -> Iterator[Desk]:
    started = Desk(qtbot, app_paths().ensure(), turns, keys, gemini)
    try:
        yield started
    finally:
        started.stop()


def titles(window: MainWindow) -> list[str]:
    return [window.tabs.tabText(i) for i in range(window.tabs.count())]
