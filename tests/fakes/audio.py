"""Tone synthesis for the fake TTS and the analysis tests use to recognise it.

The fake Cartesia "speaks" a sine tone whose frequency identifies the context (one reply),
so a test that records the app's output can tell which reply it hears — and whether two
replies overlap — with an FFT instead of speech recognition.
"""

from __future__ import annotations

import io
import wave

import numpy as np
import numpy.typing as npt

__all__ = [
    "DEFAULT_FREQUENCIES",
    "decode_pcm",
    "dominant_frequency",
    "encode_pcm",
    "frequency_for_index",
    "rms",
    "tone",
    "wav_bytes",
]

#: Tones handed out to contexts in order; far enough apart to survive resampling and noise.
DEFAULT_FREQUENCIES: tuple[float, ...] = (
    440.0,
    660.0,
    880.0,
    550.0,
    770.0,
    990.0,
    495.0,
    605.0,
    715.0,
    825.0,
    935.0,
    1045.0,
)

#: Bytes per sample of each supported raw encoding.
SAMPLE_WIDTH = {"pcm_s16le": 2, "pcm_f32le": 4}

FloatArray = npt.NDArray[np.float64]


def frequency_for_index(index: int, table: tuple[float, ...] = DEFAULT_FREQUENCIES) -> float:
    """The tone of the ``index``-th context: the table, then 30 Hz steps above 1100 Hz.

    Distinct for any number of contexts (100 contexts end near 3.8 kHz, far below the
    Nyquist frequency at 16 kHz and up).
    """
    if index < len(table):
        return table[index]
    return 1100.0 + 30.0 * (index - len(table))


def tone(
    frequency: float,
    n_samples: int,
    sample_rate: int,
    *,
    start_sample: int = 0,
    amplitude: float = 0.3,
    fade_samples: int = 0,
) -> FloatArray:
    """A sine tone continuing from ``start_sample`` (so pieces join without a phase jump),
    with a linear fade in and out to avoid clicks at the piece boundaries."""
    t = (np.arange(n_samples, dtype=np.float64) + start_sample) / sample_rate
    signal = amplitude * np.sin(2.0 * np.pi * frequency * t)
    fade = min(fade_samples, n_samples // 2)
    if fade > 0:
        ramp = np.linspace(0.0, 1.0, fade, endpoint=False)
        signal[:fade] *= ramp
        signal[n_samples - fade :] *= ramp[::-1]
    return signal


def encode_pcm(samples: FloatArray, encoding: str) -> bytes:
    """Float samples in [-1, 1] → raw little-endian PCM bytes."""
    if encoding == "pcm_s16le":
        return (np.clip(samples, -1.0, 1.0) * 32767.0).astype("<i2").tobytes()
    if encoding == "pcm_f32le":
        return samples.astype("<f4").tobytes()
    raise ValueError(f"unsupported encoding {encoding!r}")


def decode_pcm(data: bytes, encoding: str = "pcm_s16le") -> FloatArray:
    """Raw little-endian PCM bytes → float samples in [-1, 1]."""
    if encoding == "pcm_s16le":
        usable = len(data) - len(data) % 2
        return np.frombuffer(data[:usable], dtype="<i2").astype(np.float64) / 32768.0
    if encoding == "pcm_f32le":
        usable = len(data) - len(data) % 4
        return np.frombuffer(data[:usable], dtype="<f4").astype(np.float64)
    raise ValueError(f"unsupported encoding {encoding!r}")


def wav_bytes(pcm_s16le: bytes, sample_rate: int) -> bytes:
    """Wrap mono 16-bit PCM in a WAV container (what ``container: "wav"`` asks for)."""
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(sample_rate)
        out.writeframes(pcm_s16le)
    return buffer.getvalue()


def dominant_frequency(
    samples: FloatArray | bytes, sample_rate: int, encoding: str = "pcm_s16le"
) -> float:
    """The strongest frequency in the signal (Hz), by FFT peak with parabolic refinement.

    Accepts float samples or raw PCM bytes. Precise to well under 1 Hz for a clean tone of
    a few hundred milliseconds, which is far finer than the spacing between context tones.
    """
    x = decode_pcm(samples, encoding) if isinstance(samples, bytes) else np.asarray(samples)
    if x.size < 16:
        raise ValueError("too few samples to find a frequency")
    windowed = (x - x.mean()) * np.hanning(x.size)
    spectrum = np.abs(np.fft.rfft(windowed))
    peak = int(np.argmax(spectrum[1:]) + 1)
    if 1 <= peak < spectrum.size - 1:
        a, b, c = np.log(spectrum[peak - 1 : peak + 2] + 1e-12)
        denominator = a - 2 * b + c
        offset = 0.5 * (a - c) / denominator if denominator else 0.0
    else:
        offset = 0.0
    return float((peak + offset) * sample_rate / x.size)


def rms(samples: FloatArray | bytes, encoding: str = "pcm_s16le") -> float:
    """Root-mean-square level (0 = silence, ~0.21 for the fake's default tone)."""
    x = decode_pcm(samples, encoding) if isinstance(samples, bytes) else np.asarray(samples)
    return float(np.sqrt(np.mean(np.square(x)))) if x.size else 0.0
