"""Conversations, orders and open tabs survive a restart, and a crash mid-reply."""

from __future__ import annotations

import random
from collections.abc import Iterator
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from mayadesk.sessions.history import Message, Role
from mayadesk.storage.store import ConversationStore
from mayadesk.workers.conversation_keeper import STORE_FILE_NAME
from tests.e2e.app_process import app_env, running_app, set_key
from tests.fakes.gemini import FakeGemini, Text
from tests.helpers.keyring_tools import clear_mayadesk_items

KEY = "AIza" + "SyD_memory-test-key_0123456789abcde"


@pytest.fixture
def gemini() -> Iterator[FakeGemini]:
    clear_mayadesk_items()
    with FakeGemini(accepted_keys={KEY}) as fake:
        yield fake
    clear_mayadesk_items()


def store_path(app_dirs: dict[str, Path]) -> Path:
    return app_dirs["data"] / "mayadesk" / STORE_FILE_NAME


def test_tabs_and_history_come_back_and_maya_remembers(
    gemini: FakeGemini, app_dirs: dict[str, Path], tmp_path: Path, qtbot: QtBot
) -> None:
    gemini.responder = lambda request: f"[STATE: happy] Reply {len(gemini.requests)}."
    env = app_env(gemini.base_url)
    set_key("gemini", KEY, env)
    log_file = app_dirs["state"] / "mayadesk" / "log" / "mayadesk.log"
    out = tmp_path / "app-output.txt"
    with running_app(env, log_file, qtbot, out) as (app, user):
        user.say("A negroni, please")
        gemini.wait_for_requests(1, timeout=20)
        user.key("ctrl+t")
        user.say("Just water for me")
        gemini.wait_for_requests(2, timeout=20)
        qtbot.waitUntil(lambda: "Reply 2." in _stored_texts(store_path(app_dirs)), timeout=10_000)
        user.close_with("ctrl+q")
        assert app.wait(20) == 0

    with running_app(env, log_file, qtbot, out) as (app, user):
        user.say("What did I order?")  # the tab in front when the app quit: the water tab
        [*_, third] = gemini.wait_for_requests(3, timeout=20)
        user.key("ctrl+shift+Tab")
        user.say("And here?")
        [*_, fourth] = gemini.wait_for_requests(4, timeout=20)
        user.close_with("ctrl+q")
        assert app.wait(20) == 0
    assert third.texts() == ["Just water for me", "[STATE: happy] Reply 2.", "What did I order?"]
    assert fourth.texts() == ["A negroni, please", "[STATE: happy] Reply 1.", "And here?"]
    with ConversationStore(store_path(app_dirs)) as store:
        tabs = store.load_open_conversations()
        assert len(tabs) == 2 and tabs[0].is_current  # the negroni tab was in front at the end
        assert store.integrity_check() == []


def _stored_texts(path: Path) -> str:
    if not path.exists():
        return ""
    with ConversationStore(path) as store:
        return " ".join(
            entry.entry.text
            for record in store.load_open_conversations()
            for entry in store.load_entries(record.id)
            if isinstance(entry.entry, Message)
        )


REPLY = [Text("[STATE: happy] ", 0.0)] + [Text(f"word{i} ", 0.03) for i in range(40)]
FULL_REPLY = "".join(t.text for t in REPLY).removeprefix("[STATE: happy] ")
ROUNDS = 20


def test_killed_mid_reply_twenty_times_nothing_is_lost(
    gemini: FakeGemini, app_dirs: dict[str, Path], tmp_path: Path, qtbot: QtBot
) -> None:
    gemini.responder = lambda request: list(REPLY)
    env = app_env(gemini.base_url)
    set_key("gemini", KEY, env)
    log_file = app_dirs["state"] / "mayadesk" / "log" / "mayadesk.log"
    out = tmp_path / "app-output.txt"
    chance = random.Random(20)
    for round_no in range(ROUNDS):
        with running_app(env, log_file, qtbot, out) as (app, user):
            user.say(f"Message {round_no}")
            gemini.wait_for_requests(round_no + 1, timeout=20)
            qtbot.wait(chance.randint(0, 1500))  # a random moment, mostly mid-stream
            app.kill()
            app.wait(10)

    with running_app(env, log_file, qtbot, out) as (app, user):  # recovers the last cut reply
        user.close_with("ctrl+q")
        assert app.wait(20) == 0
    with ConversationStore(store_path(app_dirs)) as store:
        assert store.integrity_check() == []
        [record] = store.load_open_conversations()
        entries = [e for e in store.load_entries(record.id)]
    assert not any(e.pending for e in entries), "a cut reply was left unmarked"
    messages = [e.entry for e in entries if isinstance(e.entry, Message)]
    users = [m.text for m in messages if m.role is Role.USER]
    assert users == [f"Message {n}" for n in range(ROUNDS)]  # every message the user sent
    replies = [m for m in messages if m.role is Role.MAYA][1:]  # after the greeting
    for reply in replies:
        assert reply.text == FULL_REPLY or (reply.stopped and FULL_REPLY.startswith(reply.text))


def test_a_corrupt_store_is_moved_aside_and_the_app_carries_on(
    gemini: FakeGemini, app_dirs: dict[str, Path], tmp_path: Path, qtbot: QtBot
) -> None:
    gemini.responder = lambda request: "[STATE: happy] Fresh start."
    env = app_env(gemini.base_url)
    set_key("gemini", KEY, env)
    damaged = store_path(app_dirs)
    damaged.parent.mkdir(parents=True, exist_ok=True)
    damaged.write_bytes(b"this is not a database" * 500)
    log_file = app_dirs["state"] / "mayadesk" / "log" / "mayadesk.log"
    with running_app(env, log_file, qtbot, tmp_path / "out.txt") as (app, user):
        user.say("Hello again")
        gemini.wait_for_requests(1, timeout=20)
        qtbot.waitUntil(lambda: "Fresh start." in _stored_texts(damaged), timeout=10_000)
        user.close_with("ctrl+q")
        assert app.wait(20) == 0
    assert "started a fresh one" in log_file.read_text()
    [kept] = list(damaged.parent.glob(f"{STORE_FILE_NAME}.corrupt-*"))
    assert kept.read_bytes().startswith(b"this is not a database")
