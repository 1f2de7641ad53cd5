"""No microphone: the app says so in a sentence instead of failing, and typing goes on.

Two real ways to have none: no sound server at all (a child process pointed at a socket
nobody serves: Qt then lists no inputs), and the microphone vanishing from a running server
(its PulseAudio module unloaded; Qt keeps listing it, so opening it fails).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtMultimedia import QMediaDevices
from pytestqt.qtbot import QtBot

from mayadesk.voice.audio_input import NO_MICROPHONE_TEXT, AudioInput, cannot_open_text
from mayadesk.workers.voice_input import VoiceInput
from tests.helpers.services import PulseAudio

CHILD = """
import json, sys
from PySide6.QtCore import QCoreApplication
from mayadesk.voice.audio_input import AudioInput
from mayadesk.workers.voice_input import VoiceInput
app = QCoreApplication([])
audio = AudioInput()
voice = VoiceInput(audio)
told = []
audio.unavailable.connect(lambda text: told.append(("audio", text)))
voice.unavailable.connect(lambda text: told.append(("voice", text)))
started = audio.start()
voice.press()
voice.release()
voice.set_hands_free(True)
print(json.dumps({"started": started, "told": told, "listening": voice.is_listening()}))
"""


def test_without_a_sound_server_there_is_no_microphone_and_a_plain_notice(
    tmp_path: Path,
) -> None:
    env = dict(os.environ, PULSE_SERVER=f"unix:{tmp_path / 'nobody-here'}")
    env["QT_QPA_PLATFORM"] = "offscreen"
    result = subprocess.run(
        [sys.executable, "-c", CHILD], env=env, capture_output=True, text=True, timeout=60,
        cwd=Path(__file__).resolve().parents[3],
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["started"] is False
    assert report["listening"] is False
    assert ["audio", NO_MICROPHONE_TEXT] in report["told"]
    assert ["voice", NO_MICROPHONE_TEXT] in report["told"]


def _module_of(source: str) -> str:
    listing = subprocess.run(
        ["pactl", "list", "short", "modules"], check=True, capture_output=True, text=True
    ).stdout
    for line in listing.splitlines():
        if "module-remap-source" in line and f"source_name={source}" in line:
            return line.split()[0]
    raise AssertionError(f"no module provides {source}")


@pytest.fixture
def mic_removed(qtbot: QtBot) -> Iterator[None]:
    """Unload the loopback mic for one test and load it back afterwards."""
    subprocess.run(
        ["pactl", "unload-module", _module_of(PulseAudio.MIC)], check=True, capture_output=True
    )
    try:
        yield
    finally:
        subprocess.run(
            ["pactl", "load-module", "module-remap-source", f"master={PulseAudio.MONITOR}",
             f"source_name={PulseAudio.MIC}", "source_properties=device.description=TestMic"],
            check=True, capture_output=True,
        )
        subprocess.run(
            ["pactl", "set-default-source", PulseAudio.MIC], check=True, capture_output=True
        )
        qtbot.waitUntil(
            lambda: QMediaDevices.defaultAudioInput().description() == "TestMic", timeout=5000
        )


# Qt's PulseAudio backend warns when the stream to a removed source cannot connect.
@pytest.mark.qt_log_ignore("Stream failed to connect")
def test_a_vanished_microphone_is_a_plain_notice(qtbot: QtBot, mic_removed: None) -> None:
    audio = AudioInput()
    voice = VoiceInput(audio)
    try:
        with qtbot.waitSignal(audio.unavailable, timeout=2000) as told:
            assert audio.start() is False
        # Qt sometimes notices the source going (no input listed), sometimes not (opening
        # fails): either way one plain sentence.
        assert told.args[0] in (NO_MICROPHONE_TEXT, cannot_open_text("TestMic"))
        assert not audio.is_active()
        assert audio.stop() == b""
        with qtbot.waitSignal(voice.unavailable, timeout=2000):
            voice.press()
        assert not voice.is_listening()
        with qtbot.assertNotEmitted(voice.notice), qtbot.assertNotEmitted(voice.transcribing):
            voice.release()
    finally:
        voice.shut_down()
        voice.deleteLater()
        audio.deleteLater()


def test_the_microphone_works_again_once_it_is_back(qtbot: QtBot) -> None:
    audio = AudioInput()
    heard: list[int] = []
    audio.chunk.connect(lambda pcm: heard.append(len(pcm)))
    try:
        assert audio.start()
        qtbot.waitUntil(lambda: sum(heard) > 0, timeout=5000)
    finally:
        audio.stop()
        audio.deleteLater()
