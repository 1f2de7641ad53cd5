"""Settings → Microphone with the test sound server's loopback microphone ("TestMic", the null
sink's monitor): what is played into the sink is what the microphone hears."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtMultimedia import QAudioFormat, QAudioSink, QMediaDevices
from pytestqt.qtbot import QtBot

from mayadesk.config import Settings
from mayadesk.ui.microphone_page import NO_INPUT_TEXT, MicrophonePage
from mayadesk.voice.audio_output import AudioOutput
from tests.helpers.recording import RATE, MonitorRecorder, dominant_frequency, loud_spans
from tests.integration.voice.sound import cosine, wait_recorded


@pytest.fixture
def output(qtbot: QtBot) -> Iterator[AudioOutput]:
    out = AudioOutput()
    yield out
    out.stop()
    qtbot.waitUntil(lambda: not out.is_playing(), timeout=3000)
    out.deleteLater()


def make_page(qtbot: QtBot, settings: Settings, output: AudioOutput | None = None) -> (
    tuple[MicrophonePage, list[str]]
):
    page = MicrophonePage(settings, output)
    changed: list[str] = []
    page.setting_changed.connect(changed.append)
    qtbot.addWidget(page)
    page.show()
    qtbot.waitExposed(page)
    page.activateWindow()
    qtbot.waitUntil(page.isActiveWindow)
    return page, changed


def test_every_control_sets_its_field(qtbot: QtBot) -> None:
    settings = Settings()
    page, changed = make_page(qtbot, settings)
    assert page.device.itemText(0) == "System default (TestMic)"
    assert not page.no_input.isVisibleTo(page) and page.test_button.isEnabled()
    page.mode.setFocus()
    qtbot.keyClick(page.mode, Qt.Key.Key_Down)
    page.key.setFocus()
    qtbot.keyClick(page.key, Qt.Key.Key_F8)
    qtbot.waitUntil(lambda: settings.push_to_talk_key == "F8")
    page.transcriber.setFocus()
    qtbot.keyClick(page.transcriber, Qt.Key.Key_Down)
    page.review.setFocus()
    qtbot.keyClick(page.review, Qt.Key.Key_Space)
    page.threshold.setFocus()
    qtbot.keyClick(page.threshold, Qt.Key.Key_Up)
    page.end_silence.setFocus()
    qtbot.keyClick(page.end_silence, Qt.Key.Key_Down)
    page.min_speech.setFocus()
    qtbot.keyClick(page.min_speech, Qt.Key.Key_Up)
    page.listen.setFocus()
    qtbot.keyClick(page.listen, Qt.Key.Key_Space)
    assert (settings.voice_input_mode, settings.transcriber) == ("hands_free", "cartesia")
    assert settings.review_before_send and settings.listen_while_speaking
    assert (settings.speech_threshold_db, settings.end_silence_ms, settings.min_speech_ms) == (
        13.0, 650, 300
    )
    assert changed == ["voice_input_mode", "push_to_talk_key", "transcriber",
                       "review_before_send", "speech_threshold_db", "end_silence_ms",
                       "min_speech_ms", "listen_while_speaking"]
    page.end_silence.setValue(10_000)
    assert settings.end_silence_ms == 3000  # ranges hold values to sane ones


def _play_into_sink(qtbot: QtBot, pcm: bytes) -> QAudioSink:
    """Play a tone into the test sink (so the loopback microphone hears it)."""
    fmt = QAudioFormat()
    fmt.setSampleRate(RATE)
    fmt.setChannelCount(1)
    fmt.setSampleFormat(QAudioFormat.SampleFormat.Int16)
    sink = QAudioSink(QMediaDevices.defaultAudioOutput(), fmt)
    sink.setBufferSize(len(pcm))
    device = sink.start()
    assert device is not None
    device.write(pcm)
    return sink


def test_the_microphone_test_records_3_s_with_a_meter_and_plays_them_back(
    qtbot: QtBot, recorder: MonitorRecorder, output: AudioOutput
) -> None:
    page, _ = make_page(qtbot, Settings(), output)
    levels: list[int] = []
    page.meter.valueChanged.connect(levels.append)
    qtbot.waitUntil(lambda: recorder.seconds() > 0.2)
    qtbot.mouseClick(page.test_button, Qt.MouseButton.LeftButton)
    assert not page.test_button.isEnabled() and "Recording" in page.test_status.text()
    qtbot.wait(500)  # noqa: sleep-ok  half a second of quiet first, then the "voice"
    player = _play_into_sink(qtbot, cosine(660.0, 1.0, level=0.3))
    with qtbot.waitSignal(output.started, timeout=5000):
        pass
    playback_mark = recorder.seconds()
    assert "Playing back" in page.test_status.text()
    with qtbot.waitSignal(page.test_finished, timeout=8000) as done:
        pass
    player.stop()
    samples = wait_recorded(qtbot, recorder, recorder.seconds() + 0.2)

    assert "If you heard yourself" in done.args[0] and page.test_button.isEnabled()
    pcm = np.frombuffer(page.recording, dtype="<i2").astype(np.float64) / 32768
    print(f"MEASURED test recording {len(pcm) / 16000:.2f} s, loudest meter {max(levels)}%")
    assert abs(len(pcm) / 16000 - 3.0) < 0.25
    spans = loud_spans(pcm, rate=16000)
    assert spans and abs(dominant_frequency(pcm[int(spans[0][0] * 16000):
                                                 int(spans[0][1] * 16000)], 16000) - 660) < 8
    assert max(levels) > 70 and min(levels) < 40  # the meter moved with the sound
    heard = [(a, b) for a, b in loud_spans(samples) if a >= playback_mark - 0.5]
    assert heard, "the playback was not heard"
    loud = sum(b - a for a, b in heard)  # a dropout on a loaded machine may split the tone
    print(f"MEASURED playback heard for {loud:.2f} s in {len(heard)} span(s)")
    start, end = max(heard, key=lambda span: span[1] - span[0])
    assert abs(dominant_frequency(samples[int(start * RATE):int(end * RATE)]) - 660) < 8
    assert 0.8 < loud < 1.2


NO_MICROPHONE_SCRIPT = """
import json
from PySide6.QtWidgets import QApplication
from mayadesk.config import Settings
from mayadesk.ui.microphone_page import MicrophonePage

app = QApplication([])
page = MicrophonePage(Settings())
page.show()
finished = []
page.test_finished.connect(finished.append)
started = page.start_test()
print(json.dumps({"notice": page.no_input.isVisible(), "text": page.no_input.text(),
                  "button": page.test_button.isEnabled(), "started": started,
                  "finished": finished, "devices": page.device.count()}))
"""


def test_without_a_microphone_the_page_says_so_in_plain_words(tmp_path: Path) -> None:
    """A separate process with no sound server at all (Qt caches its device list, and does
    not report a PulseAudio source's removal once a stream has used it)."""
    client_conf = tmp_path / "client.conf"
    client_conf.write_text("autospawn = no\n")
    env = dict(os.environ, PULSE_SERVER=f"unix:{tmp_path / 'nothing'}",
               PULSE_CLIENTCONFIG=str(client_conf), QT_QPA_PLATFORM="offscreen")
    result = subprocess.run([sys.executable, "-c", NO_MICROPHONE_SCRIPT], env=env,
                            capture_output=True, text=True, timeout=60,
                            cwd=Path(__file__).parents[3])
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report == {"notice": True, "text": NO_INPUT_TEXT, "button": False,
                      "started": False, "finished": [NO_INPUT_TEXT], "devices": 1}
