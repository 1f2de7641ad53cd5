"""The app as a process with no sound server at all: it says so once, and text keeps working."""

from __future__ import annotations

import contextlib
import os
import sqlite3
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from mayadesk.paths import app_paths
from mayadesk.storage import STORE_FILE_NAME
from mayadesk.voice.audio_output import UNAVAILABLE_TEXT
from mayadesk.workers.conversation_keeper import ConversationKeeper
from tests.e2e.app_process import running_app, set_key
from tests.fakes.gemini import FakeGemini
from tests.helpers.keyring_tools import clear_mayadesk_items
from tests.helpers.leaks import make_sentinel

WAIT_MS = 20_000
REPLY = "Here's your gin and tonic, with a slice of lime."


@pytest.fixture
def clean_keyring() -> Iterator[None]:
    clear_mayadesk_items()
    yield
    clear_mayadesk_items()


@pytest.mark.usefixtures("clean_keyring")
def test_without_a_sound_server_a_notice_shows_and_maya_still_replies_in_text(
    app_dirs: dict[str, Path], tmp_path: Path, qtbot: QtBot
) -> None:
    client_conf = tmp_path / "client.conf"
    client_conf.write_text("autospawn = no\n")  # libpulse must not start a server of its own
    key = make_sentinel("gemini")
    with FakeGemini(accepted_keys={key}) as gemini:
        gemini.responder = lambda request: f"[STATE: happy] {REPLY}"
        env = dict(
            os.environ,
            MAYADESK_GEMINI_BASE_URL=gemini.base_url,
            PULSE_SERVER=f"unix:{tmp_path / 'no-sound-server'}",
            PULSE_CLIENTCONFIG=str(client_conf),
        )
        set_key("gemini", key, env)
        log_file = app_dirs["state"] / "mayadesk" / "log" / "mayadesk.log"
        output = tmp_path / "app-output.txt"
        with running_app(env, log_file, qtbot, output) as (app, user):
            qtbot.waitUntil(lambda: "Audio notice: " in log_file.read_text(), timeout=WAIT_MS)
            user.say("A gin and tonic, please")
            gemini.wait_for_requests(1, timeout=20)
            qtbot.waitUntil(lambda: REPLY in _committed_texts(), timeout=WAIT_MS)
            shot = tmp_path / "no-audio.png"  # for a person to look at: notice and reply
            subprocess.run(["import", "-window", "root", str(shot)], check=False, timeout=30)
            user.close_with("ctrl+q")
            assert app.wait(20) == 0
        log_text = log_file.read_text()

    assert f"Audio notice: {UNAVAILABLE_TEXT}" in log_text
    assert log_text.count("Audio notice: ") == 1  # said once
    # Qt lists no microphone without a sound server: the talk buttons are off, saying why.
    assert "No microphone is listed: the talk buttons are off" in log_text
    assert gemini.generate_requests[0].last_user_text == "A gin and tonic, please"
    assert _stored_reply() == REPLY  # the reply was shown and kept as Maya's message
    assert "Traceback" not in output.read_text()
    print(f"screenshot: {shot}")


def _committed_texts() -> list[str]:
    """Messages the running app has committed (a reply is shown as complete only then)."""
    path = app_paths().data / STORE_FILE_NAME
    if not path.exists():
        return []
    with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as db:
        try:
            rows = db.execute("SELECT text FROM entries WHERE kind = 'message'").fetchall()
        except sqlite3.OperationalError:  # not created yet, or busy for a moment
            return []
    return [row[0] for row in rows]


def _stored_reply() -> str:
    """Maya's last message in the conversation the app kept (read once the app is closed)."""
    keeper = ConversationKeeper.open(app_paths().data)
    try:
        tabs = keeper.load_open_tabs()
        messages = tabs[0].session.messages() if tabs else []
        return messages[-1].text if messages else ""
    finally:
        keeper.close()
