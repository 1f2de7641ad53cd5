"""Spoken test phrases (espeak-ng), noise mixed in at a chosen SNR, and where speech truly is.

Used by the voice-input tests, unit and integration alike: a phrase is synthesised once per
text, resampled to the rate a test needs with numpy, and its true start and end are taken
from the clean signal, so a detector fed the noisy mix can be checked against them.
"""

from __future__ import annotations

import functools
import io
import subprocess
import wave

import numpy as np

PHRASE = "Could I get a gin and tonic with a slice of lime, please?"


@functools.lru_cache(maxsize=8)
def _espeak(text: str) -> tuple[bytes, int]:
    wav = subprocess.run(
        ["espeak-ng", "--stdout", text], check=True, capture_output=True, timeout=30
    ).stdout
    with wave.open(io.BytesIO(wav)) as reader:
        return reader.readframes(reader.getnframes()), reader.getframerate()


def resample(samples: np.ndarray, rate: int, target: int) -> np.ndarray:
    """Linear-interpolation resampling: enough for speech at the rates used here."""
    if rate == target:
        return samples.astype(np.float64)
    count = round(len(samples) * target / rate)
    positions = np.arange(count) * rate / target
    return np.interp(positions, np.arange(len(samples)), samples.astype(np.float64))


def phrase(text: str = PHRASE, rate: int = 16000) -> np.ndarray:
    """The phrase as floats in [-1, 1) at `rate`."""
    pcm, source_rate = _espeak(text)
    samples = np.frombuffer(pcm, dtype="<i2").astype(np.float64) / 32768.0
    return resample(samples, source_rate, rate)


def speech_span(clean: np.ndarray, rate: int, window_ms: int = 10) -> tuple[int, int]:
    """First and last sample of the clean phrase's 10 ms windows above -40 dB of its peak."""
    window = rate * window_ms // 1000
    count = len(clean) // window
    rms = np.sqrt(np.mean(clean[: count * window].reshape(count, window) ** 2, axis=1))
    loud = np.nonzero(rms > np.max(rms) * 10 ** (-40 / 20))[0]
    return int(loud[0] * window), int((loud[-1] + 1) * window)


def noise(seconds: float, rate: int, level: float, seed: int = 7) -> np.ndarray:
    """Background noise at RMS `level`: white noise plus a 50 Hz hum, as a room has."""
    rng = np.random.default_rng(seed)
    n = int(seconds * rate)
    white = rng.standard_normal(n)
    hum = np.sqrt(2) * np.sin(2 * np.pi * 50 * np.arange(n) / rate)
    mixed = 0.8 * white + 0.6 * hum
    return mixed / np.sqrt(np.mean(mixed**2)) * level


def mix_at_snr(
    clean: np.ndarray, rate: int, snr_db: float, lead: float = 1.5, tail: float = 1.5
) -> tuple[np.ndarray, tuple[int, int]]:
    """The phrase inside `lead`/`tail` seconds of noise, speech `snr_db` above the noise.

    SNR is measured over the speech span (speech RMS there against noise RMS). Returns the
    mix and the true speech span in samples of the mix.
    """
    start, end = speech_span(clean, rate)
    speech_rms = float(np.sqrt(np.mean(clean[start:end] ** 2)))
    noise_rms = speech_rms / 10 ** (snr_db / 20)
    offset = int(lead * rate)
    total = offset + len(clean) + int(tail * rate)
    mix = noise(total / rate, rate, noise_rms)[:total]
    mix[offset : offset + len(clean)] += clean
    return mix, (offset + start, offset + end)


def to_pcm(samples: np.ndarray) -> bytes:
    return (np.clip(samples, -1.0, 32767 / 32768) * 32768).astype("<i2").tobytes()
