"""Fixtures for the audio output tests: the output itself, a feeding thread, a second sink."""

from __future__ import annotations

import contextlib
import subprocess
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from PySide6.QtCore import QObject, Qt, QThread, QTimer
from PySide6.QtMultimedia import QAudioDevice, QMediaDevices
from pytestqt.qtbot import QtBot

from mayadesk.voice.audio_output import AudioOutput
from tests.helpers.recording import MonitorRecorder
from tests.helpers.services import stop_process


@pytest.fixture
def output(qtbot: QtBot) -> Iterator[AudioOutput]:
    out = AudioOutput()
    yield out
    out.stop()
    qtbot.waitUntil(lambda: not out.is_playing(), timeout=3000)
    out.deleteLater()


class _Feeder(QObject):
    """Runs step i at `i * interval_ms` after it starts, on its own thread: PCM arriving as a
    TTS worker delivers it, without the test sleeping. Steps are due on a schedule rather than
    one per timer tick, because a timer's ticks drift late and a feed that falls behind real
    time would be a slow producer, not a test of the output."""

    def __init__(self, steps: list[Callable[[], None]], interval_ms: int) -> None:
        super().__init__()
        self._steps = deque(steps)
        self._interval = interval_ms / 1000
        self._timer: QTimer | None = None
        self._start = 0.0
        self._count = 0
        self.done = False

    def run(self) -> None:
        self._start = time.monotonic()
        self._timer = QTimer(self)
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.timeout.connect(self._step)
        self._timer.start(1)
        self._step()

    def _step(self) -> None:
        while self._steps and time.monotonic() >= self._start + self._count * self._interval:
            self._steps.popleft()()
            self._count += 1
        if not self._steps and self._timer is not None:
            self._timer.stop()
            self.done = True


@pytest.fixture
def feed(qtbot: QtBot) -> Iterator[Callable[[list[Callable[[], None]], int], _Feeder]]:
    """`feed(steps, interval_ms)` runs the steps one per interval on a worker thread."""
    threads: list[tuple[QThread, _Feeder]] = []

    def start(steps: list[Callable[[], None]], interval_ms: int) -> _Feeder:
        thread = QThread()
        feeder = _Feeder(steps, interval_ms)
        feeder.moveToThread(thread)
        thread.started.connect(feeder.run)
        thread.start()
        threads.append((thread, feeder))
        return feeder

    yield start
    for thread, feeder in threads:
        qtbot.waitUntil(lambda f=feeder: f.done, timeout=10000)  # type: ignore[misc]
        thread.quit()
        thread.wait()
        feeder.deleteLater()


@dataclass
class ExtraSink:
    """A second null sink, its monitor recorded, that a test may unload."""

    name: str
    module: str
    recorder: MonitorRecorder
    device: QAudioDevice
    loaded: bool = True

    def unload(self) -> None:
        subprocess.run(["pactl", "unload-module", self.module], check=True, capture_output=True)
        self.loaded = False


def _set_default_sink(qtbot: QtBot, name: str, description: str) -> None:
    subprocess.run(["pactl", "set-default-sink", name], check=True, capture_output=True)
    qtbot.waitUntil(
        lambda: QMediaDevices.defaultAudioOutput().description() == description, timeout=5000
    )


@pytest.fixture
def set_default_sink(qtbot: QtBot) -> Iterator[Callable[[str, str], None]]:
    """Change the system default output; the test sink is the default again afterwards."""
    yield lambda name, description: _set_default_sink(qtbot, name, description)
    _set_default_sink(qtbot, "test_sink", "TestSink")


@pytest.fixture
def extra_sink(qtbot: QtBot, tmp_path: Path) -> Iterator[ExtraSink]:
    name, description = "mayadesk_extra", "ExtraSink"
    module = subprocess.run(
        [
            "pactl",
            "load-module",
            "module-null-sink",
            f"sink_name={name}",
            f"sink_properties=device.description={description}",
        ],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    keepalive = subprocess.Popen(
        [
            "pacat",
            "--playback",
            "-d",
            name,
            "--raw",
            "--format=s16le",
            "--rate=24000",
            "--channels=1",
            "--latency-msec=20",
            "--client-name=keepalive-extra",
            "/dev/zero",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    recorder = MonitorRecorder(tmp_path / "extra.raw", device=f"{name}.monitor")
    sink = None
    try:
        # A new null sink renders ahead for ~2 s before it plays in real time (PLATFORM.md);
        # its monitor delivers nothing until then.
        qtbot.waitUntil(lambda: recorder.seconds() > 0.1, timeout=10000)

        def listed() -> QAudioDevice | None:
            found = [d for d in QMediaDevices.audioOutputs() if d.description() == description]
            return found[0] if found else None

        qtbot.waitUntil(lambda: listed() is not None, timeout=5000)
        device = listed()
        assert device is not None
        sink = ExtraSink(name, module, recorder, device)
        yield sink
    finally:
        recorder.stop()
        stop_process(keepalive)
        if sink is None or sink.loaded:
            with contextlib.suppress(subprocess.CalledProcessError):
                subprocess.run(["pactl", "unload-module", module], check=True, capture_output=True)
