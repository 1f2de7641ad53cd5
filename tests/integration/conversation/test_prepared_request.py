"""From a tab's second turn on (or its first, once typing built its client), the request is
prepared while the turn's keys are read and held before sending until they allow it: a
changed key, a removed key or Stop sends nothing.

The keyring thread is kept busy (as a change of the user's in flight keeps it) so the turn's
key read waits on it; the request the SDK prepared meanwhile is its reader thread, alive
while the fake Gemini has received nothing.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator

import keyring
import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from mayadesk.app_services import KeyServices
from mayadesk.llm.turn import TOOL_DECLARATIONS
from mayadesk.sessions.session import Session
from mayadesk.ui.conversation_tab import ConversationTab
from mayadesk.ui.main_window import MainWindow
from mayadesk.workers.turn_services import TurnServices
from tests.fakes.gemini import FakeGemini, Reply
from tests.integration.conversation.conftest import GEMINI_KEY, WAIT_MS, send

NEW_KEY = "AIza" + "SyD_conversation-new-key_0123456789"
READER = "mayadesk-gemini-reply"


def readers() -> int:
    return sum(1 for thread in threading.enumerate() if thread.name == READER)


def first_turn(qtbot: QtBot, window: MainWindow, gemini: FakeGemini) -> ConversationTab:
    """A tab that has had one turn, so its Gemini client is cached."""
    gemini.script(Reply.of("[STATE: happy] Evening!"))
    tab = window.tabs.conversation(0)
    send(qtbot, tab, "Hello")
    qtbot.waitUntil(lambda: "Evening!" in tab.transcript.toPlainText(), timeout=WAIT_MS)
    qtbot.waitUntil(lambda: not tab.controller.busy and readers() == 0, timeout=WAIT_MS)
    return tab


class KeyringHold:
    """Keeps the keyring thread busy from `start` until `release`."""

    def __init__(self, keys: KeyServices) -> None:
        self._keys = keys
        self._release = threading.Event()

    def start(self) -> None:
        self._keys.keyring_executor.submit(self._release.wait, 60)

    def release(self) -> None:
        self._release.set()


@pytest.fixture
def busy_keyring(keys: KeyServices) -> Iterator[KeyringHold]:
    hold = KeyringHold(keys)
    yield hold
    hold.release()


def held_second_turn(
    qtbot: QtBot, window: MainWindow, gemini: FakeGemini, hold: KeyringHold, text: str
) -> ConversationTab:
    """After a first turn, `text` is sent while the keyring thread is busy: its request is
    prepared (its reader thread runs) and held, waiting for the keys."""
    tab = first_turn(qtbot, window, gemini)
    hold.start()
    send(qtbot, tab, text)
    qtbot.waitUntil(lambda: readers() == 1, timeout=WAIT_MS)
    return tab


def test_the_second_request_is_prepared_while_its_keys_wait_and_sent_once_they_allow_it(
    app_window: MainWindow, gemini: FakeGemini, qtbot: QtBot, busy_keyring: KeyringHold
) -> None:
    tab = held_second_turn(qtbot, app_window, gemini, busy_keyring, "A beer, please")
    gemini.script(Reply.of("[STATE: happy] One beer, coming up."))
    assert len(gemini.generate_requests) == 1  # held: only the first turn's went out
    busy_keyring.release()
    qtbot.waitUntil(lambda: "coming up." in tab.transcript.toPlainText(), timeout=WAIT_MS)
    second = gemini.generate_requests[1]
    assert (second.api_key, second.last_user_text) == (GEMINI_KEY, "A beer, please")
    assert len(gemini.generate_requests) == 2


def test_a_key_replaced_meanwhile_refuses_the_held_request_and_the_new_key_is_used(
    app_window: MainWindow, gemini: FakeGemini, qtbot: QtBot, busy_keyring: KeyringHold
) -> None:
    tab = held_second_turn(qtbot, app_window, gemini, busy_keyring, "Still there?")
    gemini.accepted_keys = frozenset({GEMINI_KEY, NEW_KEY})
    gemini.script(Reply.of("[STATE: happy] New key, same bar."))
    keyring.set_password("mayadesk", "default/gemini", NEW_KEY)  # another program changes it
    busy_keyring.release()
    qtbot.waitUntil(lambda: "same bar." in tab.transcript.toPlainText(), timeout=WAIT_MS)
    assert [r.api_key for r in gemini.generate_requests] == [GEMINI_KEY, NEW_KEY]


def test_a_key_removed_meanwhile_sends_nothing_and_says_so(
    app_window: MainWindow, gemini: FakeGemini, qtbot: QtBot, busy_keyring: KeyringHold
) -> None:
    tab = held_second_turn(qtbot, app_window, gemini, busy_keyring, "Another one")
    keyring.delete_password("mayadesk", "default/gemini")
    busy_keyring.release()
    qtbot.waitUntil(lambda: not tab.controller.busy and readers() == 0, timeout=WAIT_MS)
    assert "No Gemini key is set for profile default" in tab.transcript.toPlainText()
    assert len(gemini.generate_requests) == 1


def test_stop_while_the_request_is_held_sends_nothing_and_the_next_turn_works(
    app_window: MainWindow, gemini: FakeGemini, qtbot: QtBot, busy_keyring: KeyringHold
) -> None:
    tab = held_second_turn(qtbot, app_window, gemini, busy_keyring, "Actually, wait")
    qtbot.keyClick(tab.composer, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: not tab.controller.busy and readers() == 0, timeout=WAIT_MS)
    busy_keyring.release()
    assert len(gemini.generate_requests) == 1
    gemini.script(Reply.of("[STATE: happy] Take your time."))
    send(qtbot, tab, "OK, a cider")
    qtbot.waitUntil(lambda: "Take your time." in tab.transcript.toPlainText(), timeout=WAIT_MS)
    [after] = gemini.generate_requests[1:]  # the stopped message stays in the history
    assert after.last_user_text.endswith("OK, a cider")


def test_typing_in_a_new_tab_builds_its_client_so_even_its_first_request_is_prepared(
    app_window: MainWindow,
    gemini: FakeGemini,
    qtbot: QtBot,
    busy_keyring: KeyringHold,
    turns: TurnServices,
) -> None:
    tab = app_window.tabs.conversation(0)
    session_id = tab.controller.session.id
    tab.composer.setFocus()
    qtbot.keyClicks(tab.composer, "A beer, please")
    qtbot.waitUntil(
        lambda: turns.registry.peek_llm(session_id, TOOL_DECLARATIONS) is not None,
        timeout=WAIT_MS,
    )
    assert gemini.generate_requests == []  # built while typing; nothing was sent
    gemini.script(Reply.of("[STATE: happy] One beer, coming up."))
    busy_keyring.start()
    qtbot.keyClick(tab.composer, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: readers() == 1, timeout=WAIT_MS)  # prepared, held for the keys
    assert gemini.generate_requests == []
    busy_keyring.release()
    qtbot.waitUntil(lambda: "coming up." in tab.transcript.toPlainText(), timeout=WAIT_MS)
    [request] = gemini.generate_requests
    assert (request.api_key, request.last_user_text) == (GEMINI_KEY, "A beer, please")
    stats = turns.registry.stats()  # the turn used the client built ahead
    assert (stats.creations, stats.discarded_duplicates) == (1, 0)


def test_enter_right_after_typing_waits_for_the_client_being_built_instead_of_a_second(
    app_window: MainWindow, gemini: FakeGemini, qtbot: QtBot, turns: TurnServices
) -> None:
    gemini.script(Reply.of("[STATE: happy] Evening!"))
    tab = app_window.tabs.conversation(0)
    send(qtbot, tab, "Hello")  # typing started a build; the turn begins before it ends
    qtbot.waitUntil(lambda: "Evening!" in tab.transcript.toPlainText(), timeout=WAIT_MS)
    stats = turns.registry.stats()
    assert (stats.creations, stats.discarded_duplicates) == (1, 0)


def test_a_tab_closed_while_its_client_was_to_be_built_leaves_no_client(
    turns: TurnServices, busy_keyring: KeyringHold
) -> None:
    session, tab_open = Session(), [True]
    busy_keyring.start()  # the warm-up's key read queues behind it
    turns.warm_up(session, lambda: tab_open[0])
    tab_open[0] = False
    busy_keyring.release()
    turns.wait_for_warm_up(session, threading.Event())
    assert turns.registry.stats().live_llm == 0  # never built, or closed at once
    assert turns.registry.peek_llm(session.id, TOOL_DECLARATIONS) is None
