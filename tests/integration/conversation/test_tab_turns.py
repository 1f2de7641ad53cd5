"""Typing to Maya in a real tab: streaming, tools and the order panel, stop, errors."""

from __future__ import annotations

import time

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from mayadesk.ui.main_window import MainWindow
from tests.fakes.gemini import Call, ErrorReply, FakeGemini, Gate, Reply
from tests.integration.conversation.conftest import GEMINI_KEY, WAIT_MS, send


def test_new_tab_greets_locally_without_a_request(
    app_window: MainWindow, gemini: FakeGemini
) -> None:
    tab = app_window.tabs.conversation(0)
    assert "I'm Maya" in tab.transcript.toPlainText()
    assert tab.avatar.emotion == "happy"
    assert gemini.requests == []


def test_reply_streams_into_the_tab_and_the_tag_is_hidden(
    app_window: MainWindow, gemini: FakeGemini, qtbot: QtBot
) -> None:
    gate = Gate()
    gemini.script(Reply.of(*["[STATE: thinking] Let me see. ", gate, "A martini is a classic."]))
    tab = app_window.tabs.conversation(0)
    send(qtbot, tab, "What do you recommend?")
    qtbot.waitUntil(lambda: "Let me see." in tab.transcript.toPlainText(), timeout=WAIT_MS)
    assert tab.stop_button.isEnabled()
    assert tab.avatar.emotion == "thinking"  # the mood arrives with the first words
    assert "A martini" not in tab.transcript.toPlainText()  # held by the server: streaming
    gate.open()
    qtbot.waitUntil(lambda: not tab.controller.busy, timeout=WAIT_MS)
    shown = tab.transcript.toPlainText()
    assert "Maya: Let me see. A martini is a classic." in shown
    assert "STATE" not in shown
    assert "typing" not in shown
    [request] = gemini.generate_requests
    assert request.api_key == GEMINI_KEY
    assert request.last_user_text == "What do you recommend?"


def test_tool_call_updates_the_order_panel(
    app_window: MainWindow, gemini: FakeGemini, qtbot: QtBot
) -> None:
    gemini.script(
        Reply.of(*[Call("add_to_order", {"item": "Martini", "quantity": 2, "modifiers": ["dry"]})]),
        Reply.of(*["[STATE: mixing] Two dry martinis, coming up!"]),
    )
    tab = app_window.tabs.conversation(0)
    send(qtbot, tab, "Two dry martinis please")
    qtbot.waitUntil(lambda: not tab.controller.busy, timeout=WAIT_MS)
    assert "2 × Martini (dry)" in tab.order_panel.summary.text()
    assert tab.avatar.emotion == "mixing"
    assert "Two dry martinis, coming up!" in tab.transcript.toPlainText()


def test_escape_stops_a_held_stream_fast_and_the_next_message_works(
    app_window: MainWindow, gemini: FakeGemini, qtbot: QtBot
) -> None:
    gate = Gate()
    gemini.script(Reply.of(*["[STATE: happy] Well, let me tell you a long story ", gate, "..."]))
    tab = app_window.tabs.conversation(0)
    send(qtbot, tab, "Tell me a story")
    qtbot.waitUntil(lambda: "long story" in tab.transcript.toPlainText(), timeout=WAIT_MS)
    pressed = time.perf_counter()
    qtbot.keyClick(tab.composer, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: not tab.controller.busy, timeout=WAIT_MS)
    stopped_after = time.perf_counter() - pressed
    assert stopped_after < 0.2, f"Stop took {stopped_after * 1000:.0f} ms"
    assert "long story (stopped)" in tab.transcript.toPlainText()
    gate.open()
    gemini.script(Reply.of(*["[STATE: happy] Sure thing."]))
    send(qtbot, tab, "Never mind, a beer")
    qtbot.waitUntil(lambda: "Sure thing." in tab.transcript.toPlainText(), timeout=WAIT_MS)


def test_an_error_keeps_the_message_and_retry_works(
    app_window: MainWindow, gemini: FakeGemini, qtbot: QtBot
) -> None:
    gemini.script(*[ErrorReply.overloaded()] * 3, Reply.of(*["[STATE: happy] Back again!"]))
    tab = app_window.tabs.conversation(0)
    send(qtbot, tab, "Hello?")
    qtbot.waitUntil(lambda: not tab.controller.busy, timeout=WAIT_MS)
    shown = tab.transcript.toPlainText()
    assert "You: Hello?" in shown
    assert "Retry" in shown
    assert tab.controller.can_retry
    tab.transcript.action_requested.emit("retry")
    qtbot.waitUntil(lambda: "Back again!" in tab.transcript.toPlainText(), timeout=WAIT_MS)
    assert gemini.generate_requests[-1].last_user_text == "Hello?"


def test_messages_sent_while_maya_answers_wait_their_turn(
    app_window: MainWindow, gemini: FakeGemini, qtbot: QtBot
) -> None:
    gate = Gate()
    gemini.script(Reply.of(*["[STATE: happy] First. ", gate, "Done."]), Reply.of(*["Second."]))
    tab = app_window.tabs.conversation(0)
    send(qtbot, tab, "one")
    qtbot.waitUntil(lambda: "First." in tab.transcript.toPlainText(), timeout=WAIT_MS)
    send(qtbot, tab, "two")
    assert len(gemini.generate_requests) == 1
    gate.open()
    qtbot.waitUntil(lambda: "Second." in tab.transcript.toPlainText(), timeout=WAIT_MS)
    qtbot.waitUntil(lambda: not tab.controller.busy, timeout=WAIT_MS)
    first, second = gemini.generate_requests
    assert first.last_user_text == "one"
    assert second.last_user_text == "two"
    assert "First. Done." in second.sent_texts[-2] if len(second.sent_texts) > 1 else True
