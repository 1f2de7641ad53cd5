"""Sample-level work on s16le mono PCM for the audio output: fades, gain, level.

numpy is not a dependency of the app, and what is touched here is small — a few milliseconds
at the edges of an utterance, one 10 ms timer tick of audio when the volume is not 1 — so the
standard `array` module is quick enough, even on the GUI thread.
"""

from __future__ import annotations

import sys
from array import array

SAMPLE_BYTES = 2


def frames(rate: int, ms: float) -> int:
    """Samples in `ms` milliseconds at `rate` (at least 1, so a fade always has a length)."""
    return max(1, round(rate * ms / 1000))


def byte_count(rate: int, ms: float) -> int:
    return frames(rate, ms) * SAMPLE_BYTES


def _samples(data: bytes | bytearray) -> array[int]:
    out = array("h")
    out.frombytes(bytes(data))
    if sys.byteorder == "big":  # the wire format is little-endian whatever the machine
        out.byteswap()
    return out


def _bytes(samples: array[int]) -> bytes:
    if sys.byteorder == "big":
        samples = array("h", samples)
        samples.byteswap()
    return samples.tobytes()


def fade_in(data: bytes | bytearray, position: int, length: int) -> bytes:
    """Ramp up the samples of `data` that fall in the first `length` samples of an utterance.

    `position` is the index, within the utterance, of the first sample of `data`, so a fade
    spread over several small chunks continues where the previous chunk left it.
    """
    if position >= length or not data:
        return bytes(data)
    samples = _samples(data)
    for i in range(min(len(samples), length - position)):
        samples[i] = int(samples[i] * (position + i) / length)
    return _bytes(samples)


def fade_out(data: bytes | bytearray) -> bytes:
    """Ramp the whole block down so that its last sample is silent: the end of a sound."""
    samples = _samples(data)
    count = len(samples)
    for i in range(count):
        samples[i] = int(samples[i] * (count - 1 - i) / count)
    return _bytes(samples)


def apply_gain(
    data: bytes | bytearray, current: float, target: float, step: float
) -> tuple[bytes, float]:
    """Scale `data` by a gain that moves from `current` to `target` by `step` per sample.

    Returns the scaled block and the gain reached. Ramping instead of jumping is what keeps a
    volume change or mute from clicking (Qt's own `QAudioSink.setVolume` steps abruptly).
    """
    if current == target:
        if target >= 1.0:
            return bytes(data), current
        if target <= 0.0:
            return bytes(len(data)), current
        return _bytes(array("h", [int(s * target) for s in _samples(data)])), current
    samples = _samples(data)
    for i in range(len(samples)):
        current = min(target, current + step) if current < target else max(target, current - step)
        samples[i] = int(samples[i] * current)
    return _bytes(samples), current


def peak(data: bytes | bytearray) -> float:
    """The block's peak level in [0, 1], for a speaking indicator."""
    if len(data) < SAMPLE_BYTES:
        return 0.0
    samples = _samples(data)
    return max(max(samples), -min(samples)) / 32768.0
