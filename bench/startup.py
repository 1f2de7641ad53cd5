"""Time from launching a process to its window being mapped on the X server.

MayaDesk (`mayadesk`, fresh config dirs each run) is compared with a bare PySide6
QMainWindow script launched the same way, observed by the same X client, alternating
runs so machine noise hits both alike. Prints the medians and their ratio.
"""

from __future__ import annotations

import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tests.helpers.x11 import WindowWatcher

HERE = Path(__file__).resolve().parent
MAYADESK = [str(Path(sys.executable).with_name("mayadesk"))]
BARE = [sys.executable, str(HERE / "bare_window.py")]


def time_to_window(command: list[str], title: str, env: dict[str, str]) -> float:
    watcher = WindowWatcher()
    try:
        started = time.perf_counter()
        with subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL) as proc:
            try:
                shown = watcher.wait_mapped(title, timeout=60)
            finally:
                proc.send_signal(signal.SIGTERM)
                proc.wait(30)
        return shown - started
    finally:
        watcher.close()


def run(runs: int = 5) -> dict[str, float]:
    app_times, bare_times = [], []
    for _ in range(runs):
        with tempfile.TemporaryDirectory(prefix="mayadesk-bench-") as home:
            env = dict(os.environ)
            for name in ("CONFIG", "DATA", "STATE", "CACHE"):
                env[f"XDG_{name}_HOME"] = str(Path(home) / name.lower())
            bare_times.append(time_to_window(BARE, "BareBaseline", env))
            app_times.append(time_to_window(MAYADESK, "MayaDesk", env))
    app, bare = statistics.median(app_times), statistics.median(bare_times)
    print(f"startup: bare PySide6 window  median {bare * 1000:7.0f} ms  "
          f"runs {[round(t * 1000) for t in bare_times]}")
    print(f"startup: MayaDesk window      median {app * 1000:7.0f} ms  "
          f"runs {[round(t * 1000) for t in app_times]}")
    print(f"startup: ratio MayaDesk / bare = {app / bare:.2f}  (goal <= 1.5)")
    return {"startup_app_ms": app * 1000, "startup_bare_ms": bare * 1000,
            "startup_ratio": app / bare}
