"""The `mayadesk` command as a user runs it: version, doctor, the window as a process."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import keyring
import pytest
from pytestqt.qtbot import QtBot

from mayadesk import __version__
from tests.e2e.app_process import open_then_terminate

MAYADESK = str(Path(sys.executable).with_name("mayadesk"))
GEMINI_SENTINEL = "AIza" + "D0ct0rSentinelKeyAbcdefghijklmnopqr"[:35]
CARTESIA_SENTINEL = "sk_car_" + "doctorSentinel1234567890"


def run(*args: str, env: dict[str, str] | None = None, timeout: float = 60) -> (
    subprocess.CompletedProcess[str]
):
    return subprocess.run(
        list(args), capture_output=True, text=True, timeout=timeout,
        env=env if env is not None else dict(os.environ), stdin=subprocess.DEVNULL,
    )


@pytest.mark.parametrize("command", [[MAYADESK], [sys.executable, "-m", "mayadesk"]])
def test_version_from_the_command_and_the_module(command: list[str]) -> None:
    result = run(*command, "--version")
    assert result.returncode == 0
    assert result.stdout.strip() == f"mayadesk {__version__}"


def test_unknown_command_is_a_usage_error() -> None:
    result = run(MAYADESK, "frobnicate")
    assert result.returncode == 2
    assert "invalid choice" in result.stderr


@pytest.fixture
def both_keys_set() -> Iterator[None]:
    keyring.set_password("mayadesk", "default/gemini", GEMINI_SENTINEL)
    keyring.set_password("mayadesk", "default/cartesia", CARTESIA_SENTINEL)
    yield
    keyring.delete_password("mayadesk", "default/gemini")
    keyring.delete_password("mayadesk", "default/cartesia")


@pytest.mark.usefixtures("both_keys_set")
def test_doctor_reports_what_the_app_sees_and_exits_0(app_dirs: dict[str, Path]) -> None:
    result = run(MAYADESK, "doctor")
    out = result.stdout
    assert result.returncode == 0, out + result.stderr
    assert re.search(r"Qt platform:\s+xcb\n", out)
    assert re.search(r"output:\s+TestSink \(default\)", out)
    assert re.search(r"input:\s+TestMic \(default\)", out)
    assert re.search(r"backend:\s+keyring.backends.SecretService.Keyring", out)
    assert re.search(r"state:\s+working", out)
    assert str(app_dirs["config"] / "mayadesk") in out
    assert str(app_dirs["data"] / "mayadesk") in out
    assert re.search(r"default/gemini:\s+set \(fp:[0-9a-f]{8}\)", out)
    assert GEMINI_SENTINEL not in out + result.stderr
    assert CARTESIA_SENTINEL not in out + result.stderr


def test_doctor_exits_1_when_a_key_is_not_set() -> None:
    result = run(MAYADESK, "doctor")
    assert result.returncode == 1
    assert re.search(
        r"default/gemini:\s+PROBLEM: not set \(mayadesk keys set gemini\)", result.stdout
    )


def test_doctor_exits_3_without_a_keyring(tmp_path: Path) -> None:
    env = dict(os.environ, DBUS_SESSION_BUS_ADDRESS=f"unix:path={tmp_path}/no-bus")
    result = run(MAYADESK, "doctor", env=env)
    assert result.returncode == 3
    assert "No system keyring is available" in result.stdout
    assert "Traceback" not in result.stdout + result.stderr


def test_doctor_without_a_display_says_so(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "QT_QPA_PLATFORM")}
    result = run(MAYADESK, "doctor", env=env)
    assert result.returncode == 1
    assert "no display" in result.stdout


def test_window_without_a_display_is_a_clear_error() -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "QT_QPA_PLATFORM")}
    result = run(MAYADESK, env=env)
    assert result.returncode == 1
    assert "no display found" in result.stderr
    assert "Traceback" not in result.stderr


def test_window_opens_and_closes_cleanly_on_sigterm(
    app_dirs: dict[str, Path], qtbot: QtBot
) -> None:
    log_file = app_dirs["state"] / "mayadesk" / "log" / "mayadesk.log"
    returncode, err = open_then_terminate(
        [MAYADESK],
        timeout=30,
        while_open=lambda: qtbot.waitUntil(  # the key store is built after the window is up
            lambda: log_file.exists() and "Key store ready" in log_file.read_text(),
            timeout=20_000,
        ),
    )
    assert returncode == 0, err
    assert "Traceback" not in err
    assert (app_dirs["state"] / "mayadesk" / "window.ini").is_file()
    log_text = log_file.read_text()
    assert "Window shown" in log_text
    assert log_text.index("Window shown") < log_text.index("Key store ready")
