"""The system voice for real: QTextToSpeech's speechd engine, speech-dispatcher, PulseAudio.

Why the tests set LANG=C.UTF-8: speech-dispatcher is autospawned from this process and
inherits its environment; the test run sets LANG=en_US.UTF-8, which is not a generated
locale on this machine (`locale -a`: C, C.utf8, POSIX), and speech-dispatcher then exits at
once ("setlocale: No such file or directory") — Qt reports "Connection to speech-dispatcher
failed". C.UTF-8 exists on every glibc system; `SystemVoice` itself makes the engine pick an
English voice whatever the locale. A test below pins the diagnosis for the broken case.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from PySide6.QtTextToSpeech import QTextToSpeech
from pytestqt.qtbot import QtBot

from mayadesk.voice.audio_output import AudioOutput
from mayadesk.voice.events import VoiceFailed, VoiceUsed
from mayadesk.voice.speaker import Speaker
from mayadesk.voice.tts_cartesia import CartesiaVoice
from mayadesk.voice.tts_system import SystemVoice
from tests.fakes.cartesia import CartesiaFailure, FakeCartesia
from tests.helpers.recording import MonitorRecorder, loud_spans, tone
from tests.helpers.speech_recorders import Events, Sink
from tests.integration.voice_tts.conftest import KEY

SENTENCE = "Good evening, and welcome to the bar. What can I pour for you tonight?"


def _pactl(*args: str) -> str:
    return subprocess.run(["pactl", *args], capture_output=True, text=True, check=True).stdout


def _speechd_streams() -> dict[str, str]:
    """Playback streams of speech-dispatcher's speaking modules: application name → sink."""
    sinks = {}
    for line in _pactl("list", "short", "sinks").splitlines():
        index, name = line.split("\t")[:2]
        sinks[index] = name
    found = {}
    for block in _pactl("list", "sink-inputs").split("Sink Input #")[1:]:
        fields: dict[str, str] = {}
        for line in block.splitlines():
            key, sep, value = line.replace(" = ", ":", 1).partition(":")
            if sep:
                fields[key.strip()] = value.strip().strip('"')
        name = fields.get("application.name", "")
        if name.startswith("speech-dispatcher-") and name != "speech-dispatcher-dummy":
            found[name] = sinks.get(fields.get("Sink", ""), "?")
    return found


def test_say_speaks_through_speech_dispatcher_onto_the_sink(
    qtbot: QtBot, recorder: MonitorRecorder, speechd: list[SystemVoice]
) -> None:
    voice = SystemVoice()
    speechd.append(voice)
    assert voice.available(), voice.unavailable_reason()
    states: list[QTextToSpeech.State] = []
    voice.state_changed.connect(states.append)
    qtbot.waitUntil(lambda: recorder.seconds() > 0.1, timeout=5000)  # parec is recording
    mark = recorder.seconds()
    voice.say(SENTENCE)
    qtbot.waitUntil(lambda: QTextToSpeech.State.Speaking in states, timeout=10000)
    qtbot.waitUntil(lambda: bool(_speechd_streams()), timeout=10000)
    streams = _speechd_streams()
    print(f"MEASURED speech-dispatcher streams on the sink: {streams}")
    assert set(streams.values()) == {"test_sink"}
    qtbot.waitUntil(lambda: voice.state() == QTextToSpeech.State.Ready, timeout=20000)
    samples = recorder.stop()
    heard = [(a, b) for a, b in loud_spans(samples) if a >= mark]
    assert sum(b - a for a, b in heard) > 1.0, "speech-dispatcher's audio was not recorded"


def test_without_piper_a_refused_cartesia_hands_the_reply_to_the_system_voice(
    qtbot: QtBot, fake: FakeCartesia, speechd: list[SystemVoice], sink: Sink, events: Events
) -> None:
    fake.failure = CartesiaFailure.quota()
    voice = SystemVoice()
    speechd.append(voice)
    states: list[QTextToSpeech.State] = []
    voice.state_changed.connect(states.append)
    cartesia = CartesiaVoice(KEY)
    speaker = Speaker(sink, events, piper=None, system=voice)
    try:
        speaker.begin_reply("r1", cartesia)
        speaker.feed(SENTENCE)
        speaker.end_reply()
        qtbot.waitUntil(lambda: QTextToSpeech.State.Speaking in states, timeout=10000)
        assert events.finished("r1").voices == ("system",)
        [failed] = events.of(VoiceFailed)
        assert (failed.voice, failed.next_voice) == ("cartesia", "system")
        assert events.of(VoiceUsed) == [VoiceUsed("r1", "system")]
        assert [v for _, _, v in events.voiced()] == ["system", "system"]
        assert sink.audio == {}  # the system voice plays by itself
        speaker.stop()
        qtbot.waitUntil(lambda: voice.state() == QTextToSpeech.State.Ready, timeout=2000)
    finally:
        speaker.close()
        cartesia.close()


def test_with_no_voice_at_all_the_reply_is_text_only(
    qtbot: QtBot, sink: Sink, events: Events
) -> None:
    voice = SystemVoice(engine="no-such-engine")
    assert not voice.available()
    assert "no-such-engine" in voice.unavailable_reason()
    speaker = Speaker(sink, events, piper=None, system=voice)
    try:
        speaker.begin_reply("r1", None)
        speaker.feed(SENTENCE)
        speaker.end_reply()
        assert events.finished("r1").voices == ("text",)
        assert events.of(VoiceUsed) == [VoiceUsed("r1", "text")]
        assert sink.audio == {}
    finally:
        speaker.close()
        voice.deleteLater()


def test_a_locale_speech_dispatcher_cannot_load_is_reported_in_plain_words(
    qtbot: QtBot, speechd: list[SystemVoice], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LANG", "xx_XX.UTF-8")  # a locale no system has
    voice = SystemVoice()
    speechd.append(voice)
    assert not voice.available()
    assert voice.state() == QTextToSpeech.State.Error
    assert "LANG" in voice.unavailable_reason()


def test_after_a_fall_over_the_system_voice_waits_for_the_audio_already_queued(
    qtbot: QtBot, speechd: list[SystemVoice]
) -> None:
    output = AudioOutput()
    voice = SystemVoice(audio=output)
    speechd.append(voice)
    log: list[object] = []
    output.finished.connect(log.append)
    voice.state_changed.connect(log.append)
    try:
        output.play("r1#0.cartesia", tone(440, 1.0))
        output.end("r1#0.cartesia")
        voice.post(SENTENCE, after=["r1#0.cartesia"])
        qtbot.waitUntil(lambda: QTextToSpeech.State.Speaking in log, timeout=10000)
        assert log.index("r1#0.cartesia") < log.index(QTextToSpeech.State.Speaking)
    finally:
        output.stop()
        qtbot.waitUntil(lambda: not output.is_playing(), timeout=3000)
        output.deleteLater()


def test_a_c_locale_desktop_still_gets_an_english_system_voice(
    qtbot: QtBot, speechd: list[SystemVoice], recorder: MonitorRecorder
) -> None:
    """Qt's plugin picks its voice from the default QLocale; under LANG=C.UTF-8 that is C,
    which has no voice — SystemVoice builds the engine with an English default instead."""
    env = dict(os.environ, LANG="C.UTF-8", QT_QPA_PLATFORM="offscreen")
    env.pop("LC_ALL", None)
    qtbot.waitUntil(lambda: recorder.seconds() > 0.1, timeout=5000)  # parec is recording
    mark = recorder.seconds()
    done = subprocess.run(
        [sys.executable, "-m", "tests.integration.voice_tts.system_voice_probe", SENTENCE],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    result = json.loads(done.stdout.strip().splitlines()[-1])
    print(
        f"MEASURED SystemVoice() incl. speech-dispatcher autospawn: {result['construct_ms']:.0f} ms"
    )
    assert result["system_locale"] in ("C", "en_US_POSIX")  # Qt names the C locale either way
    assert result["available"], result["reason"]
    assert result["default_locale_after"] == result["system_locale"]  # restored
    assert "Speaking" in result["states"] and result["states"][-1] == "Ready"
    heard = [(a, b) for a, b in loud_spans(recorder.stop()) if a >= mark]
    assert sum(b - a for a, b in heard) > 1.0, "the English voice was not heard at the sink"
