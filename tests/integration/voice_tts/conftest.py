"""Fixtures for the voices against the fake Cartesia, real Piper and real speech-dispatcher."""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from mayadesk.voice.tts_system import SystemVoice
from tests.fakes.cartesia import FakeCartesia
from tests.helpers.speech_recorders import Events, Sink

KEY = "sk_car_voice_test_key"


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeCartesia]:
    """A fake Cartesia that the app's endpoint override points at (WS URL derived)."""
    before = set(threading.enumerate())
    with FakeCartesia(accepted_keys={KEY}) as server:
        monkeypatch.setenv("MAYADESK_CARTESIA_BASE_URL", server.base_url)
        monkeypatch.delenv("MAYADESK_CARTESIA_WS_URL", raising=False)
        yield server
        server.release.set()
    assert server.problems == []
    leaked = [t.name for t in set(threading.enumerate()) - before if t.name.startswith("Fake")]
    assert leaked == []


@pytest.fixture
def events() -> Events:
    return Events()


@pytest.fixture
def sink() -> Sink:
    return Sink()


@pytest.fixture
def speechd(
    qtbot: QtBot, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> Iterator[list[SystemVoice]]:
    """A speech-dispatcher of this test's own, autospawned by the system voice.

    - LANG=C.UTF-8: the test run's en_US.UTF-8 is not generated here, and speech-dispatcher
      exits at start when setlocale() fails (see test_system_voice.py).
    - Its socket is named explicitly: libspeechd takes the default path from GLib, which
      caches the XDG directories of the first test, while the server computes its own path
      from this test's XDG_* — the mismatch makes autospawn fail ("Mismatch in socket
      names"). In the app the environment does not change, so this is a test-only concern.

    Voices appended to the list are deleted afterwards, and the server this test spawned is
    ended by its PID (from its pid file).
    """
    runtime = tmp_path / "speechd-run"
    runtime.mkdir(mode=0o700)
    monkeypatch.setenv("LANG", "C.UTF-8")
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(runtime))
    monkeypatch.setenv("SPEECHD_ADDRESS", f"unix_socket:{runtime}/speech-dispatcher/speechd.sock")
    voices: list[SystemVoice] = []
    yield voices
    for voice in voices:
        voice.stop()
        voice.deleteLater()
    qtbot.wait(0)  # deliver the deferred deletes
    pid_file = runtime / "speech-dispatcher" / "pid" / "speech-dispatcher.pid"
    if pid_file.exists():
        _end(qtbot, int(pid_file.read_text().split()[0]))


def _end(qtbot: QtBot, pid: int) -> None:
    for sig in (signal.SIGTERM, signal.SIGKILL):  # seen here: SIGTERM can go unanswered
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            return
        try:
            qtbot.waitUntil(lambda: _gone(pid), timeout=2000)
            return
        except qtbot.TimeoutError:
            continue


def _gone(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, IndexError):
        return True
    return state in ("Z", "X")
