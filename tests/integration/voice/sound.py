"""Sounds to play and measurements of what the test sink's monitor recorded.

Times are in seconds of recording. A "mark" is `recorder.seconds()` taken when the test acts;
the same way of marking is used for the latency floor, so its own lag cancels out.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtMultimedia import QAudioFormat, QAudioSink, QMediaDevices
from pytestqt.qtbot import QtBot

from tests.helpers.recording import RATE, MonitorRecorder

LOUD = 0.02


def cosine(frequency: float, seconds: float, rate: int = RATE, level: float = 0.5) -> bytes:
    """A tone with no fades that starts at its peak: played as is, both of its ends click."""
    t = np.arange(int(seconds * rate)) / rate
    return (level * np.cos(2 * np.pi * frequency * t) * 32767).astype("<i2").tobytes()


def chunks(pcm: bytes, ms: int, rate: int = RATE) -> list[bytes]:
    size = rate * ms // 1000 * 2
    return [pcm[i : i + size] for i in range(0, len(pcm), size)]


def recorded(recorder: MonitorRecorder) -> np.ndarray:
    """What has been recorded so far, without stopping the recorder."""
    data = recorder.path.read_bytes()
    return np.frombuffer(data[: len(data) // 2 * 2], dtype="<i2").astype(np.float64) / 32768.0


def wait_recorded(qtbot: QtBot, recorder: MonitorRecorder, until: float) -> np.ndarray:
    qtbot.waitUntil(lambda: recorder.seconds() > until, timeout=5000)
    return recorded(recorder)


def first_loud(samples: np.ndarray, after: float, threshold: float = LOUD) -> float | None:
    start = int(after * RATE)
    hits = np.nonzero(np.abs(samples[start:]) > threshold)[0]
    return None if len(hits) == 0 else (start + hits[0]) / RATE


def last_loud(samples: np.ndarray, after: float, threshold: float = LOUD) -> float | None:
    start = int(after * RATE)
    hits = np.nonzero(np.abs(samples[start:]) > threshold)[0]
    return None if len(hits) == 0 else (start + hits[-1]) / RATE


def longest_quiet_ms(samples: np.ndarray, start: float, end: float) -> float:
    """Longest run of near-silent samples between two times: a gap in a tone shows here.

    A steady tone is near zero only for microseconds around each zero crossing.
    """
    quiet = np.abs(samples[int(start * RATE) : int(end * RATE)]) < LOUD
    longest = run = 0
    for q in quiet:
        run = run + 1 if q else 0
        longest = max(longest, run)
    return 1000 * longest / RATE


def max_jump(samples: np.ndarray, start: float, end: float) -> float:
    """Largest step between neighbouring samples: a click is a step far above the tone's."""
    return float(np.max(np.abs(np.diff(samples[int(start * RATE) : int(end * RATE)]))))


def rms(samples: np.ndarray, start: float, end: float) -> float:
    return float(np.sqrt(np.mean(samples[int(start * RATE) : int(end * RATE)] ** 2)))


def tone_steps(frequency: float, level: float = 0.5, rate: int = RATE) -> float:
    """The largest sample-to-sample step of a clean tone."""
    return 2 * np.pi * frequency * level / rate


def measure_floor(qtbot: QtBot, recorder: MonitorRecorder) -> tuple[float, float, float]:
    """Latency of the sound path itself: a marker written straight to a QAudioSink.

    Returns (floor in seconds, the marker's largest step, when the marker ended). The marker
    is an unfaded cosine, so its largest step also shows that `max_jump` does see a click.
    """
    fmt = QAudioFormat()
    fmt.setSampleRate(RATE)
    fmt.setChannelCount(1)
    fmt.setSampleFormat(QAudioFormat.SampleFormat.Int16)
    sink = QAudioSink(QMediaDevices.defaultAudioOutput(), fmt)
    qtbot.waitUntil(lambda: recorder.seconds() > 0.2)  # parec is capturing
    device = sink.start()
    assert device is not None
    mark = recorder.seconds()  # from the write: the floor is the path, not opening the sink
    device.write(cosine(880.0, 0.06) + bytes(RATE * 2 * 15 // 100))  # then 150 ms of silence
    qtbot.waitUntil(lambda: sink.bytesFree() == sink.bufferSize(), timeout=3000)
    samples = wait_recorded(qtbot, recorder, mark + 0.4)
    sink.stop()
    sink.deleteLater()
    start = first_loud(samples, mark)
    end = last_loud(samples, mark)
    assert start is not None and end is not None, "the marker was not recorded"
    return start - mark, max_jump(samples, start - 0.005, end + 0.005), end
