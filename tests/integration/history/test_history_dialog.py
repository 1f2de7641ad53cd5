"""File → History: the list, search over what was said, opening, export and deletion."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QFileDialog, QMessageBox, QPushButton, QWidget
from pytestqt.qtbot import QtBot

from mayadesk.keys.redaction import redact
from mayadesk.ui.history_dialog import MATCH_COLUMN, NOTHING_FOUND, STATE_COLUMN, HistoryDialog
from tests.integration.conversation.conftest import GEMINI_KEY, WAIT_MS
from tests.integration.history.conftest import Desk, titles

CTRL = Qt.KeyboardModifier.ControlModifier
KEY_SHAPED = re.compile(r"AIza[0-9A-Za-z_\-]{20,}|sk_car_")


def open_history(desk: Desk, qtbot: QtBot) -> HistoryDialog:
    """Ctrl+H, and wait until the list shows the store's conversations."""
    assert desk.window is not None
    desk.press(Qt.Key.Key_H, CTRL)
    dialog = desk.window.findChild(HistoryDialog)
    assert dialog is not None and dialog.isVisible()
    qtbot.waitUntil(lambda: dialog.list.topLevelItemCount() > 0, timeout=WAIT_MS)
    return dialog


def search(qtbot: QtBot, dialog: HistoryDialog, text: str) -> list[tuple[str, str, str]]:
    """Type into the search box as a user does; the (title, state, match) rows it finds."""
    dialog.search.clear()
    with qtbot.waitSignal(dialog.listed, timeout=WAIT_MS):
        qtbot.keyClicks(dialog.search, text)
    return rows(dialog)


def rows(dialog: HistoryDialog) -> list[tuple[str, str, str]]:
    items = [dialog.list.topLevelItem(i) for i in range(dialog.list.topLevelItemCount())]
    return [(i.text(0), i.text(STATE_COLUMN), i.text(MATCH_COLUMN)) for i in items if i]


def select(dialog: HistoryDialog, title: str) -> None:
    found = dialog.list.findItems(title, Qt.MatchFlag.MatchExactly, 0)
    assert len(found) == 1, f"{title!r} listed {len(found)} times"
    dialog.list.setCurrentItem(found[0])


def confirm_delete(qtbot: QtBot, window: QWidget, *, answer: str) -> None:
    """Answer the open "Delete for good?" question by clicking one of its buttons."""

    def question() -> QMessageBox | None:
        boxes = window.findChildren(QMessageBox, "deleteConfirmation")
        return next((box for box in boxes if box.isVisible()), None)  # an answered one may linger

    qtbot.waitUntil(lambda: question() is not None, timeout=WAIT_MS)
    box = question()
    assert box is not None
    button = (
        box.findChild(QPushButton, "deleteButton")
        if answer == "delete"
        else (box.button(QMessageBox.StandardButton.Cancel))
    )
    assert button is not None
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def test_lists_conversations_and_search_finds_a_message_and_opens_it(
    desk: Desk, qtbot: QtBot
) -> None:
    window = desk.start()
    desk.chat("Garden party", "Do you have elderflower cordial?", "Elderflower, sure thing.")
    desk.chat("Nightcap", "Something smoky to end the night", "A smoky mezcal, then.")
    window.close_tab(1)  # the garden party
    window = desk.restart()  # so it comes back from the store, not this run's memory

    dialog = open_history(desk, qtbot)
    assert [(title, state) for title, state, _ in rows(dialog)] == [
        ("Nightcap", "Open"),
        ("Garden party", "Closed"),
        ("New conversation", "Open"),
    ]
    assert dialog.list.isColumnHidden(MATCH_COLUMN)
    [(title, state, match)] = search(qtbot, dialog, "elderflower cordial")
    assert (title, state) == ("Garden party", "Closed")
    assert "«elderflower»" in match.lower() or "«cordial»" in match.lower(), match
    assert not dialog.list.isColumnHidden(MATCH_COLUMN)
    assert search(qtbot, dialog, "absinthe") == []
    assert dialog.status.text() == NOTHING_FOUND

    search(qtbot, dialog, "elderflower")
    qtbot.keyClick(dialog.list, Qt.Key.Key_Return)  # Enter opens it
    qtbot.waitUntil(lambda: window.tabs.count() == 3, timeout=WAIT_MS)
    assert not dialog.isVisible()
    assert titles(window)[-1] == "Garden party"
    garden = window.tabs.current_conversation()
    assert garden is not None and "Elderflower, sure thing." in garden.transcript.toPlainText()

    qtbot.waitUntil(window.isActiveWindow, timeout=WAIT_MS)  # ready for typing
    assert window.focusWidget() is garden.composer

    # An open conversation is switched to, not opened twice; a double-click works too.
    window.tabs.setCurrentIndex(0)
    dialog = open_history(desk, qtbot)
    search(qtbot, dialog, "smoky")
    item = dialog.list.topLevelItem(0)
    assert item is not None and item.text(STATE_COLUMN) == "Open"
    rect = dialog.list.visualItemRect(item)
    # A double-click is a click and then a second, quick one (QTest's alone sends no press).
    qtbot.mouseClick(dialog.list.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.mouseDClick(dialog.list.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert window.tabs.count() == 3
    assert window.tabs.tabText(window.tabs.currentIndex()) == "Nightcap"


def test_export_markdown_and_json_hold_the_conversation_and_no_key(
    desk: Desk, qtbot: QtBot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    desk.start()
    desk.chat("Martini", "A dry martini, with a twist", "One dry martini with a twist, stirred.")
    dialog = open_history(desk, qtbot)
    select(dialog, "Martini")
    folder = tmp_path / "exports"
    folder.mkdir()
    markdown, as_json = folder / "martini.md", folder / "martini.json"
    with qtbot.waitSignal(dialog._actions.exported, timeout=WAIT_MS) as done:
        dialog.export_selected("markdown", markdown)
    assert done.args == [str(markdown)]
    assert dialog.status.text() == f"Saved to {markdown}"
    with qtbot.waitSignal(dialog._actions.exported, timeout=WAIT_MS):
        dialog.export_selected("json", as_json)

    text = markdown.read_text(encoding="utf-8")
    assert text.startswith("# Martini\n")
    assert "A dry martini, with a twist" in text
    assert "One dry martini with a twist, stirred." in text
    document = json.loads(as_json.read_text(encoding="utf-8"))
    assert document["conversation"]["title"] == "Martini"
    said = [e["text"] for e in document["entries"] if e["type"] == "message"]
    assert said[-2:] == ["A dry martini, with a twist", "One dry martini with a twist, stirred."]
    for exported in (text, as_json.read_text(encoding="utf-8")):
        assert GEMINI_KEY not in exported
        assert not KEY_SHAPED.search(exported), KEY_SHAPED.search(exported)
        assert redact(exported) == exported  # nothing the log redaction would mask either
    assert sorted(p.name for p in folder.iterdir()) == ["martini.json", "martini.md"]  # no .part

    # Through the Save dialog: it suggests the title as the name; a name without an
    # extension gets the format's.
    asked: list[str] = []

    def pick(_parent: object, _caption: str, suggested: str, _filter: str) -> tuple[str, str]:
        asked.append(suggested)
        return str(folder / "picked"), _filter

    monkeypatch.setattr(QFileDialog, "getSaveFileName", pick)
    with qtbot.waitSignal(dialog._actions.exported, timeout=WAIT_MS) as done:
        qtbot.mouseClick(dialog.markdown_button, Qt.MouseButton.LeftButton)
    assert [Path(p).name for p in asked] == ["Martini.md"]
    assert done.args == [str(folder / "picked.md")]
    assert (folder / "picked.md").read_text(encoding="utf-8") == text

    # A folder that isn't there: the user reads why, and nothing is half-written.
    with qtbot.waitSignal(dialog._actions.failed, timeout=WAIT_MS):
        dialog.export_selected("json", folder / "missing" / "martini.json")
    assert dialog.status.text().startswith("Could not write martini.json")


def test_delete_from_the_tab_menu_removes_it_for_good(desk: Desk, qtbot: QtBot) -> None:
    window = desk.start()
    tab = desk.chat("Secret plans", "Meet me in zanzibar at noon", "Zanzibar it is.")
    conversation_id = tab.controller.session.id
    index = window.tabs.indexOf(tab)

    menu = window.show_tab_menu(index, window.mapToGlobal(QPoint(30, 30)))
    [delete] = [a for a in menu.actions() if a.objectName() == "deleteConversationAction"]
    delete.trigger()
    confirm_delete(qtbot, window, answer="cancel")
    assert titles(window) == ["New conversation", "Secret plans"]

    menu = window.show_tab_menu(index, window.mapToGlobal(QPoint(30, 30)))
    [delete] = [a for a in menu.actions() if a.objectName() == "deleteConversationAction"]
    assert window.history is not None
    with qtbot.waitSignal(window.history.deleted, timeout=WAIT_MS) as deleted:
        delete.trigger()
        confirm_delete(qtbot, window, answer="delete")
    assert deleted.args == [conversation_id]
    assert titles(window) == ["New conversation"]
    assert window.closed_tabs() == []  # not kept for Ctrl+Shift+T
    assert desk.stored_rows(conversation_id) == (0, 0)
    qtbot.waitUntil(lambda: not window.reopen_tab_action.isEnabled(), timeout=WAIT_MS)
    dialog = open_history(desk, qtbot)
    assert search(qtbot, dialog, "zanzibar") == []
    assert [title for title, _, _ in rows(dialog)] == []
    desk.stop()  # the file itself no longer holds the words
    data = b"".join(p.read_bytes() for p in desk.paths.data.glob("conversations.sqlite3*"))
    assert b"zanzibar" not in data.lower()


def test_delete_from_history_forgets_a_closed_tab_and_keeps_the_rest(
    desk: Desk, qtbot: QtBot
) -> None:
    window = desk.start()
    desk.chat("Keep me", "A pale ale", "One pale ale.")
    gone = desk.chat("Forget me", "A mojito, extra mint", "Mojito with extra mint.")
    gone_id = gone.controller.session.id
    window.close_tab(window.tabs.indexOf(gone))
    assert [c.title for c in window.closed_tabs()] == ["Forget me"]

    dialog = open_history(desk, qtbot)
    select(dialog, "Forget me")
    assert window.history is not None
    with qtbot.waitSignal(window.history.deleted, timeout=WAIT_MS):
        qtbot.mouseClick(dialog.delete_button, Qt.MouseButton.LeftButton)
        confirm_delete(qtbot, dialog, answer="delete")
    qtbot.waitUntil(lambda: "Forget me" not in [t for t, _, _ in rows(dialog)], timeout=WAIT_MS)
    assert [t for t, _, _ in rows(dialog)] == ["Keep me", "New conversation"]
    assert dialog.status.text() == "Conversation deleted."
    assert window.closed_tabs() == []
    assert desk.stored_rows(gone_id) == (0, 0)
    dialog.reject()
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=WAIT_MS)
    desk.press(Qt.Key.Key_T, CTRL | Qt.KeyboardModifier.ShiftModifier)
    assert titles(window) == ["New conversation", "Keep me"]  # nothing came back
