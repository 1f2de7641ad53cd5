"""A tone played through QAudioSink is heard at the PulseAudio null sink's monitor."""

from __future__ import annotations

from PySide6.QtCore import QTimer
from PySide6.QtMultimedia import QAudioFormat, QAudioSink, QMediaDevices, QtAudio
from pytestqt.qtbot import QtBot

from tests.helpers.recording import (
    RATE,
    MonitorRecorder,
    dominant_frequency,
    loud_spans,
    tone,
)


def test_tone_through_qaudiosink_is_recorded_at_the_monitor(
    qtbot: QtBot, recorder: MonitorRecorder
) -> None:
    outputs = [d.description() for d in QMediaDevices.audioOutputs()]
    assert "TestSink" in outputs
    assert QMediaDevices.defaultAudioOutput().description() == "TestSink"

    fmt = QAudioFormat()
    fmt.setSampleRate(RATE)
    fmt.setChannelCount(1)
    fmt.setSampleFormat(QAudioFormat.SampleFormat.Int16)
    sink = QAudioSink(QMediaDevices.defaultAudioOutput(), fmt)
    pending = bytearray(tone(880.0, 0.6))

    qtbot.waitUntil(lambda: recorder.seconds() > 0.1)  # parec is capturing
    device = sink.start()
    assert device is not None and sink.error() == QtAudio.Error.NoError

    def feed() -> None:  # push mode: write what the sink can take, every 10 ms
        if pending:
            n = min(len(pending), sink.bytesFree())
            n -= n % 2
            if n:
                device.write(bytes(pending[:n]))
                del pending[:n]

    timer = QTimer()
    timer.timeout.connect(feed)
    timer.start(10)
    qtbot.waitUntil(lambda: not pending, timeout=5000)
    qtbot.waitUntil(lambda: sink.state() == QtAudio.State.IdleState, timeout=5000)
    timer.stop()
    sink.stop()
    mark = recorder.seconds()
    qtbot.waitUntil(lambda: recorder.seconds() > mark + 0.2)  # the tail reaches parec
    samples = recorder.stop()

    spans = loud_spans(samples)
    assert len(spans) == 1, spans
    start, end = spans[0]
    assert 0.5 < end - start < 0.75
    heard = samples[int(start * RATE): int(end * RATE)]
    assert abs(dominant_frequency(heard) - 880.0) < 5
