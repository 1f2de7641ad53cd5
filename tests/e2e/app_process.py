"""Running MayaDesk as a process against the fake Gemini, for end-to-end tests."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from pytestqt.qtbot import QtBot

from tests.helpers.desktop_user import DesktopUser
from tests.helpers.x11 import WindowWatcher

MAYADESK = str(Path(sys.executable).with_name("mayadesk"))


def set_key(provider: str, key: str, env: dict[str, str]) -> None:
    subprocess.run([MAYADESK, "keys", "set", provider], input=key + "\n", env=env, text=True,
                   capture_output=True, check=True, timeout=60)


@contextmanager
def running_app(
    env: dict[str, str], log_file: Path, qtbot: QtBot, output: Path
) -> Iterator[tuple[subprocess.Popen[bytes], DesktopUser]]:
    """The app, started and ready for typing (its key store built); killed if still running."""
    ready_marks = log_file.read_text().count("Key store ready") if log_file.exists() else 0
    watcher = WindowWatcher()
    with output.open("ab") as out, subprocess.Popen(
        [MAYADESK, "--debug"], env=env, stdout=out, stderr=out
    ) as app:
        try:
            watcher.wait_mapped("MayaDesk", timeout=30)
            qtbot.waitUntil(
                lambda: log_file.read_text().count("Key store ready") > ready_marks,
                timeout=20_000,
            )
            yield app, DesktopUser("MayaDesk")
        finally:
            if app.poll() is None:
                app.send_signal(signal.SIGKILL)
                app.wait(10)
            watcher.close()


def open_then_terminate(
    command: list[str], timeout: float, while_open: Callable[[], object] | None = None
) -> tuple[int, str]:
    """Start `command`, wait for its MayaDesk window (and `while_open`), SIGTERM it, and
    return its exit code and stderr once its window is gone."""
    watcher = WindowWatcher()
    try:
        with subprocess.Popen(command, env=dict(os.environ), stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) as proc:
            try:
                watcher.wait_mapped("MayaDesk", timeout=timeout)
                if while_open is not None:
                    while_open()
            finally:
                proc.send_signal(signal.SIGTERM)
                _out, err = proc.communicate(timeout=30)
        watcher.wait_unmapped("MayaDesk")
        return proc.returncode, err
    finally:
        watcher.close()


def app_env(base_url: str) -> dict[str, str]:
    return dict(os.environ, MAYADESK_GEMINI_BASE_URL=base_url)
