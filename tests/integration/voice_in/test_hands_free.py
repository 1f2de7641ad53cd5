"""Hands-free end to end on the loopback microphone: a phrase in noise at 10 dB SNR is one
utterance, transcribed once; silence, and anything heard while Maya speaks, sends nothing."""

from __future__ import annotations

import numpy as np
from pytestqt.qtbot import QtBot

from mayadesk.voice.audio_input import AudioInput
from mayadesk.workers.voice_input import POST_ROLL_MS, PRE_ROLL_MS, VoiceInput
from tests.fakes.gemini import FakeGemini
from tests.helpers.speech import mix_at_snr, phrase

from .conftest import RATE, Player
from .sound import as_float, correlation

SPOKEN = "Could I get a gin and tonic with a slice of lime, please?"


def count_chunks(mic: AudioInput) -> list[int]:
    heard: list[int] = []
    mic.chunk.connect(lambda pcm: heard.append(len(pcm)))
    return heard


def test_phrase_in_noise_is_one_utterance_transcribed_once(
    qtbot: QtBot, voice: VoiceInput, mic: AudioInput, player: Player, gemini: FakeGemini
) -> None:
    gemini.script_transcription(SPOKEN)
    clean = phrase(SPOKEN) * 0.5
    lead = 2.5
    mix, (start, end) = mix_at_snr(clean, RATE, snr_db=10, lead=lead, tail=1.5)
    starts: list[bool] = []
    voice.speech_started.connect(lambda: starts.append(True))
    levels: list[float] = []
    mic.level.connect(levels.append)
    # The room's noise is there before hands-free starts (the loopback mic's digital
    # silence turning into noise would itself be a sound starting).
    assert mic.start(keep=False)
    with qtbot.waitSignal(voice.transcribed, timeout=20000) as words:
        player.play(mix)
        qtbot.waitUntil(lambda: bool(levels) and levels[-1] > 0.2, timeout=5000)
        voice.set_hands_free(True)
    assert words.args == [SPOKEN]
    assert starts == [True]
    (request,) = gemini.audio_requests
    pcm, _ = request.audio_pcm()
    sent = as_float(pcm)
    # What was sent is the utterance plus the pre- and post-roll: its length tells how far
    # the detected start and end were from the truth (both within 300 ms).
    truth_ms = (end - start) * 1000 / RATE
    sent_ms = len(sent) * 1000 / RATE - PRE_ROLL_MS - POST_ROLL_MS
    speech_only = clean[start - int(lead * RATE) : end - int(lead * RATE)]
    wave_corr, envelope_corr = correlation(sent, speech_only, RATE)
    print(
        f"hands-free: utterance {sent_ms:.0f} ms for {truth_ms:.0f} ms of speech; "
        f"waveform r={wave_corr:.3f}, envelope r={envelope_corr:.3f}"
    )
    assert abs(sent_ms - truth_ms) <= 600
    assert envelope_corr > 0.9
    voice.set_hands_free(False)


def test_silence_sends_nothing(
    qtbot: QtBot, voice: VoiceInput, mic: AudioInput, gemini: FakeGemini
) -> None:
    heard = count_chunks(mic)
    with qtbot.assertNotEmitted(voice.speech_started), qtbot.assertNotEmitted(voice.transcribing):
        voice.set_hands_free(True)
        qtbot.waitUntil(lambda: sum(heard) >= 3 * 2 * RATE, timeout=10000)
    voice.set_hands_free(False)
    assert gemini.requests == []


def test_maya_speaking_keeps_the_mic_deaf_by_default(
    qtbot: QtBot, mic: AudioInput, player: Player, gemini: FakeGemini, transcriber: object
) -> None:
    voice = VoiceInput(mic, transcriber, maya_speaking=lambda: True)  # type: ignore[arg-type]
    try:
        heard = count_chunks(mic)
        with qtbot.assertNotEmitted(voice.speech_started), qtbot.assertNotEmitted(
            voice.barge_in
        ):
            voice.set_hands_free(True)
            qtbot.waitUntil(lambda: sum(heard) > 0, timeout=5000)
            proc = player.play(np.concatenate([phrase(SPOKEN) * 0.5, np.zeros(RATE)]))
            qtbot.waitUntil(lambda: proc.poll() is not None, timeout=20000)
        assert gemini.requests == []
    finally:
        voice.shut_down()
        voice.deleteLater()


def test_listening_while_maya_speaks_hears_a_loud_user_as_barge_in(
    qtbot: QtBot, mic: AudioInput, player: Player, gemini: FakeGemini, transcriber: object
) -> None:
    voice = VoiceInput(mic, transcriber, maya_speaking=lambda: True)  # type: ignore[arg-type]
    voice.set_listen_while_speaking(True)
    try:
        heard = count_chunks(mic)
        voice.set_hands_free(True)
        qtbot.waitUntil(lambda: sum(heard) > 0, timeout=5000)
        loud = np.concatenate([np.zeros(RATE), phrase(SPOKEN) * 0.9, np.zeros(RATE)])
        with qtbot.waitSignal(voice.barge_in, timeout=20000):
            player.play(loud)
        qtbot.waitUntil(lambda: len(gemini.audio_requests) == 1, timeout=20000)
    finally:
        voice.shut_down()
        voice.deleteLater()
