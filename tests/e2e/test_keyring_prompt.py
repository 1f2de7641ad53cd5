"""A keyring prompt that nobody answers never stops MayaDesk from quitting."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from tests.helpers.x11 import WindowWatcher

MAYADESK = str(Path(sys.executable).with_name("mayadesk"))


@pytest.fixture
def keyring_that_prompts(tmp_path: Path) -> Iterator[str]:
    """A Secret Service on a display whose first read opens a prompt nobody answers.

    gnome-keyring started by D-Bus with no login keyring yet asks the desktop's prompter
    (a real gcr-prompter window on the test display) to create one; nobody answers it, as
    when a user walks away from the prompt.
    """
    home, runtime = tmp_path / "home", tmp_path / "run"
    home.mkdir()
    runtime.mkdir(mode=0o700)
    env = dict(os.environ, HOME=str(home), XDG_RUNTIME_DIR=str(runtime),
               XDG_DATA_HOME=str(home / "data"))
    env.pop("DBUS_SESSION_BUS_ADDRESS", None)
    address, pid = subprocess.run(
        ["dbus-daemon", "--session", "--fork", "--print-address=1", "--print-pid=1"],
        env=env, capture_output=True, text=True, check=True, timeout=20,
    ).stdout.split()
    env["DBUS_SESSION_BUS_ADDRESS"] = address
    try:
        with pytest.raises(subprocess.TimeoutExpired):  # the premise: reads now block
            subprocess.run(["secret-tool", "store", "--label=probe", "service", "probe"],
                           input=b"x", env=env, capture_output=True, timeout=2)
        yield address
    finally:
        os.kill(int(pid), signal.SIGTERM)


def test_quits_while_the_keyring_prompt_is_open(
    keyring_that_prompts: str, app_dirs: dict[str, Path], qtbot: QtBot
) -> None:
    env = dict(os.environ, DBUS_SESSION_BUS_ADDRESS=keyring_that_prompts)
    log_file = app_dirs["state"] / "mayadesk" / "log" / "mayadesk.log"
    watcher = WindowWatcher()
    try:
        with subprocess.Popen([MAYADESK, "--debug"], env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) as proc:
            try:
                watcher.wait_mapped("MayaDesk", timeout=30)
                qtbot.waitUntil(
                    lambda: log_file.exists() and "Key store ready" in log_file.read_text(),
                    timeout=20_000,
                )
            finally:
                proc.send_signal(signal.SIGTERM)
                try:
                    _out, err = proc.communicate(timeout=10)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.communicate()
                    pytest.fail("MayaDesk did not quit while a keyring prompt was open")
        assert proc.returncode == 0, err
    finally:
        watcher.close()
