"""Every tab is its own customer: requests, transcripts and orders never cross tabs."""

from __future__ import annotations

import re
from typing import Any

from pytestqt.qtbot import QtBot

from mayadesk.bar.menu import load_menu
from mayadesk.ui.main_window import MainWindow
from tests.fakes.gemini import Call, FakeGemini, GeminiRequest
from tests.integration.conversation.conftest import WAIT_MS

MARK = re.compile(r"T(\d\d)m(\d)")
TABS, TURNS = 20, 5


def barman(drinks: list[str]) -> Any:
    """Plays Gemini: orders the tab's own drink on its first message, then echoes the marks."""

    def respond(request: GeminiRequest) -> Any:
        last = request.contents[-1]
        asked = MARK.search(request.last_user_text)
        assert asked is not None
        tab, turn = int(asked.group(1)), int(asked.group(2))
        if any("functionResponse" in part for part in last.get("parts", [])):
            return f"[STATE: mixing] One {drinks[tab]} for T{tab:02d}m{turn}."
        if turn == 0:
            return [Call("add_to_order", {"item": drinks[tab], "quantity": 1})]
        return f"[STATE: happy] Heard T{tab:02d}m{turn}."

    return respond


def test_twenty_tabs_with_five_queued_turns_each_never_mix(
    app_window: MainWindow, gemini: FakeGemini, qtbot: QtBot
) -> None:
    drinks = [d.name for d in load_menu().drinks][:TABS]
    gemini.responder = barman(drinks)
    for _ in range(TABS - 1):
        app_window.new_tab()
    tabs = app_window.tabs.conversations()
    for turn in range(TURNS):  # all tabs at once, each with its turns queued
        for index, tab in enumerate(tabs):
            assert tab.controller.submit(f"T{index:02d}m{turn} hello")
    qtbot.waitUntil(lambda: not any(t.controller.busy for t in tabs), timeout=120_000)

    # no turn failed, and every request carried only its own tab's words
    assert [t for t in tabs if t.controller.can_retry] == []
    assert len(gemini.generate_requests) == TABS * (TURNS + 1)
    for request in gemini.generate_requests:
        tabs_seen = {int(m.group(1)) for m in MARK.finditer(str(request.contents))}
        assert len(tabs_seen) == 1, f"a request mixed tabs {sorted(tabs_seen)}"
    # each transcript shows only its own conversation, complete and in order
    for index, tab in enumerate(tabs):
        shown = tab.transcript.toPlainText()
        assert {int(m.group(1)) for m in MARK.finditer(shown)} == {index}
        for turn in range(1, TURNS):
            assert f"Heard T{index:02d}m{turn}." in shown
        assert shown.index(f"Heard T{index:02d}m1.") < shown.index(f"Heard T{index:02d}m4.")
        # and each order panel only its own drink
        summary = tab.order_panel.summary.text()
        assert f"1 × {drinks[index]}" in summary
        others = [d for i, d in enumerate(drinks) if i != index and d not in drinks[index]]
        assert not any(f"× {d}<" in summary or summary.endswith(f"× {d}") for d in others)
    assert gemini.problems == []


def test_two_tabs_order_different_drinks(
    app_window: MainWindow, gemini: FakeGemini, qtbot: QtBot
) -> None:
    drinks = ["Negroni", "Lemonade"]
    gemini.responder = barman(drinks)
    first = app_window.tabs.conversation(0)
    second = app_window.new_tab()
    first.controller.submit("T00m0 a Negroni please")
    second.controller.submit("T01m0 a lemonade please")
    qtbot.waitUntil(lambda: not first.controller.busy and not second.controller.busy,
                    timeout=WAIT_MS)
    assert "Negroni" in first.order_panel.summary.text()
    assert "Lemonade" not in first.order_panel.summary.text()
    assert "Lemonade" in second.order_panel.summary.text()
    assert "Negroni" not in second.order_panel.summary.text()
    with first.controller.session.lock:
        assert [line.name for line in first.controller.session.bar.snapshot().order] == [
            "Negroni"
        ]
