"""The microphone's sample work without a device: format conversion and the meter level."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtMultimedia import QAudioFormat

from mayadesk.voice.audio_input import PcmConverter, level_of


def source_format(rate: int, channels: int, sample: QAudioFormat.SampleFormat) -> QAudioFormat:
    fmt = QAudioFormat()
    fmt.setSampleRate(rate)
    fmt.setChannelCount(channels)
    fmt.setSampleFormat(sample)
    return fmt


@pytest.mark.parametrize(
    ("rate", "channels", "sample", "dtype", "scale"),
    [
        (48000, 2, QAudioFormat.SampleFormat.Float, "<f4", 1.0),
        (44100, 2, QAudioFormat.SampleFormat.Int16, "<i2", 32767),
        (22050, 1, QAudioFormat.SampleFormat.Int32, "<i4", 2**31 - 1),
    ],
)
def test_converter_gives_16_khz_mono_s16_of_the_same_tone(
    rate: int, channels: int, sample: QAudioFormat.SampleFormat, dtype: str, scale: float
) -> None:
    t = np.arange(rate) / rate
    tone = 0.5 * np.sin(2 * np.pi * 440 * t)
    frames = np.repeat(tone[:, None], channels, axis=1)
    data = (frames * scale).astype(dtype).tobytes()
    converter = PcmConverter(source_format(rate, channels, sample), 16000)
    step = 999  # pieces that split frames and samples
    out = b"".join(converter.convert(data[i : i + step]) for i in range(0, len(data), step))
    pcm = np.frombuffer(out, dtype="<i2").astype(np.float64) / 32768
    assert abs(len(pcm) - 16000) <= 2
    expected = 0.5 * np.sin(2 * np.pi * 440 * np.arange(len(pcm)) / 16000)
    assert np.max(np.abs(pcm - expected)) < 0.02


def test_level_maps_minus_60_to_0_dbfs_onto_0_to_1() -> None:
    def rms_tone(dbfs: float) -> bytes:
        amplitude = 10 ** (dbfs / 20) * np.sqrt(2)
        t = np.arange(800) / 16000
        return (amplitude * np.sin(2 * np.pi * 1000 * t) * 32767).astype("<i2").tobytes()

    assert level_of(b"") == 0.0
    assert level_of(bytes(1600)) == 0.0
    assert level_of(rms_tone(-70)) == 0.0
    assert level_of(rms_tone(-30)) == pytest.approx(0.5, abs=0.01)
    assert level_of(rms_tone(-3.01)) == pytest.approx(0.95, abs=0.01)
