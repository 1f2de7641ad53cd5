"""Recording what the sound server plays, and finding tones in it."""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np

RATE = 24000


class MonitorRecorder:
    """Records the null sink's monitor to a raw s16le mono file with `parec`."""

    def __init__(self, path: Path, device: str = "test_sink.monitor", rate: int = RATE) -> None:
        self.path = path
        self.rate = rate
        self._handle = path.open("wb")
        self._proc = subprocess.Popen(
            ["parec", "-d", device, "--format=s16le", f"--rate={rate}", "--channels=1",
             "--latency-msec=10"],
            stdout=self._handle, stderr=subprocess.DEVNULL,
        )

    def seconds(self) -> float:
        return self.path.stat().st_size / 2 / self.rate

    def stop(self) -> np.ndarray:
        """End the recording (again is harmless) and return the samples in [-1, 1)."""
        if self._proc.poll() is None:
            self._proc.terminate()
            self._proc.wait(5)
        self._handle.close()
        return np.frombuffer(self.path.read_bytes(), dtype="<i2").astype(np.float64) / 32768.0


def tone(frequency: float, seconds: float, rate: int = RATE, level: float = 0.5) -> bytes:
    """A sine tone as s16le mono, with 5 ms fades so it starts and ends without clicks."""
    t = np.arange(int(seconds * rate)) / rate
    wave = level * np.sin(2 * np.pi * frequency * t)
    fade = min(len(wave) // 2, int(0.005 * rate))
    ramp = np.linspace(0.0, 1.0, fade)
    wave[:fade] *= ramp
    wave[len(wave) - fade:] *= ramp[::-1]
    return (wave * 32767).astype("<i2").tobytes()


def dominant_frequency(samples: np.ndarray, rate: int = RATE) -> float:
    spectrum = np.abs(np.fft.rfft(samples * np.hanning(len(samples))))
    return float(np.fft.rfftfreq(len(samples), 1 / rate)[int(np.argmax(spectrum))])


def loud_spans(samples: np.ndarray, rate: int = RATE, window_ms: int = 10,
               threshold: float = 0.02) -> list[tuple[float, float]]:
    """Start and end times (s) of the stretches whose RMS is above `threshold`."""
    window = max(1, rate * window_ms // 1000)
    count = len(samples) // window
    if count == 0:
        return []
    rms = np.sqrt(np.mean(samples[: count * window].reshape(count, window) ** 2, axis=1))
    loud = rms > threshold
    spans, start = [], None
    for i, on in enumerate(loud):
        if on and start is None:
            start = i
        elif not on and start is not None:
            spans.append((start * window / rate, i * window / rate))
            start = None
    if start is not None:
        spans.append((start * window / rate, count * window / rate))
    return spans
