"""A real window whose tabs talk to the fake Gemini through the app's own turn services."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import keyring
import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from mayadesk.app import build_turn_services
from mayadesk.app_services import KeyServices, build_key_services
from mayadesk.config import Settings
from mayadesk.llm.retry import RetryPolicy
from mayadesk.paths import AppPaths, app_paths
from mayadesk.sessions.session import Session
from mayadesk.ui.conversation_tab import ConversationTab
from mayadesk.ui.main_window import MainWindow
from mayadesk.workers.turn_services import TurnOptions, TurnServices
from tests.fakes.gemini import FakeGemini
from tests.helpers.keyring_tools import clear_mayadesk_items

GEMINI_KEY = "AIza" + "SyD_conversation-test-key_012345678"
WAIT_MS = 15_000
FAST_RETRY = RetryPolicy(attempts=3, initial_wait=0.001, max_wait=0.05, jitter=0)


@pytest.fixture
def gemini(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeGemini]:
    with FakeGemini(accepted_keys={GEMINI_KEY}) as fake:
        monkeypatch.setenv("MAYADESK_GEMINI_BASE_URL", fake.base_url)
        yield fake
    assert fake.problems == []


@pytest.fixture
def keys(app_dirs: dict[str, object]) -> Iterator[KeyServices]:
    clear_mayadesk_items()
    keyring.set_password("mayadesk", "default/gemini", GEMINI_KEY)
    services = build_key_services(app_paths().ensure())
    yield services
    services.close()
    clear_mayadesk_items()


@pytest.fixture
def turns(gemini: FakeGemini, keys: KeyServices) -> Iterator[TurnServices]:
    services = build_turn_services(Settings())
    services.options = TurnOptions(retry=FAST_RETRY)
    services.attach_keys(keys)
    yield services
    services.registry.clear_all()


@pytest.fixture
def app_window(
    qtbot: QtBot, qloop: object, turns: TurnServices, keys: KeyServices
) -> Iterator[MainWindow]:
    paths: AppPaths = app_paths().ensure()
    window = MainWindow(paths, new_session=Session, turns=turns)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=WAIT_MS)  # shortcuts (Esc) need it active
    window.attach_keys(keys)
    yield window
    window.close()


def send(qtbot: QtBot, tab: ConversationTab, text: str) -> None:
    """Type a message and press Enter, as a user does."""
    tab.composer.setFocus()
    qtbot.keyClicks(tab.composer, text)
    qtbot.keyClick(tab.composer, Qt.Key.Key_Return)


TabFactory = Callable[[], ConversationTab]
