"""One MayaDesk per data directory: a second start brings the first window to the front."""

from __future__ import annotations

import os
import signal
import subprocess
from pathlib import Path

from pytestqt.qtbot import QtBot

from tests.e2e.app_process import MAYADESK
from tests.helpers.x11 import WindowWatcher


def test_second_start_brings_the_first_window_to_front(
    app_dirs: dict[str, Path], qtbot: QtBot
) -> None:
    log_file = app_dirs["state"] / "mayadesk" / "log" / "mayadesk.log"
    watcher = WindowWatcher()
    try:
        with subprocess.Popen([MAYADESK], env=dict(os.environ), stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL) as first:
            try:
                watcher.wait_mapped("MayaDesk", timeout=30)
                qtbot.waitUntil(lambda: "Key store ready" in log_file.read_text(),
                                timeout=20_000)
                second = subprocess.run([MAYADESK], env=dict(os.environ), capture_output=True,
                                        text=True, timeout=30)
                assert second.returncode == 0, second.stderr
                assert "already running" in second.stdout
                assert "Brought to front by a second start" in log_file.read_text()
                assert [t for t in watcher.mapped_titles() if "MayaDesk" in t] == ["MayaDesk"]
                assert first.poll() is None  # the first one is untouched
            finally:
                first.send_signal(signal.SIGTERM)
                assert first.wait(20) == 0
    finally:
        watcher.close()


def test_a_crashed_instance_does_not_block_the_next_start(
    app_dirs: dict[str, Path], qtbot: QtBot
) -> None:
    watcher = WindowWatcher()
    try:
        for _ in range(2):
            with subprocess.Popen([MAYADESK], env=dict(os.environ), stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL) as app:
                watcher.wait_mapped("MayaDesk", timeout=30)
                app.kill()  # leaves its socket file and lock file behind
                app.wait(10)
                watcher.wait_unmapped("MayaDesk")
    finally:
        watcher.close()
