"""Transcription by Cartesia (the user's choice in Settings) through the real cartesia SDK
against the fake: the audio arrives as a WAV upload with the Bearer key, the scripted
transcript comes back as the tab's words; a refused key is one plain sentence."""

from __future__ import annotations

from typing import Any

from pytestqt.qtbot import QtBot

from mayadesk.config import Settings
from mayadesk.sessions.registry import SessionRegistry
from mayadesk.sessions.session import Session
from mayadesk.voice.audio_input import AudioInput
from mayadesk.workers.transcription import SessionTranscriber
from mayadesk.workers.voice_input import VoiceInput
from tests.fakes.cartesia import FakeCartesia
from tests.fakes.gemini import FakeGemini
from tests.helpers.speech import phrase

from .conftest import CARTESIA_KEY, RATE, Player, keys_of
from .sound import as_float, correlation
from .test_push_to_talk import hold_and_play

SPOKEN = "Two gin and tonics and the bill, please."


def test_cartesia_transcribes_the_held_phrase(
    qtbot: QtBot,
    mic: AudioInput,
    player: Player,
    cartesia: FakeCartesia,
    gemini: FakeGemini,
    registry: SessionRegistry[Any, Any],
) -> None:
    settings = Settings(transcriber="cartesia")
    session = Session()
    transcriber = SessionTranscriber(session, registry, keys_of(), settings)
    voice = VoiceInput(mic, transcriber, settings=settings)
    cartesia.script_transcripts(SPOKEN)
    clean = phrase(SPOKEN) * 0.5
    try:
        hold_and_play(qtbot, voice, mic, player, clean)
        with qtbot.waitSignal(voice.transcript, timeout=15000) as done:
            voice.release()
    finally:
        voice.shut_down()
        transcriber.close()
    (result,) = done.args
    assert (result.text, result.provider) == (SPOKEN, "cartesia")
    (request,) = cartesia.stt_requests
    assert request.api_key == CARTESIA_KEY
    assert cartesia.requests[-1].auth_via == "bearer"
    assert (request.model, request.language, request.content_type) == (
        "ink-whisper",
        "en",
        "audio/wav",
    )
    pcm, rate = request.pcm()
    assert rate == RATE
    wave_corr, envelope_corr = correlation(as_float(pcm), clean, RATE)
    print(f"push-to-talk → Cartesia: waveform r={wave_corr:.3f}, envelope r={envelope_corr:.3f}")
    assert envelope_corr > 0.95
    assert gemini.requests == []  # the other service was not asked
    # Through the session registry: the session's Cartesia client (its voice) is the one
    # that transcribed, and it goes when the tab's clients are cleared.
    assert registry.stats().live_tts == 1
    stt = registry.get_tts(session.id, CARTESIA_KEY).transcriber()
    assert registry.stats().creations == 1
    registry.clear(session.id)
    assert registry.stats().live_tts == 0
    assert stt._closed


def test_a_refused_cartesia_key_is_a_plain_sentence(
    qtbot: QtBot,
    mic: AudioInput,
    player: Player,
    cartesia: FakeCartesia,
    registry: SessionRegistry[Any, Any],
) -> None:
    settings = Settings(transcriber="cartesia")
    wrong = "sk_car_not_the_right_key_000000"
    transcriber = SessionTranscriber(Session(), registry, keys_of(cartesia=wrong), settings)
    voice = VoiceInput(mic, transcriber, settings=settings)
    try:
        hold_and_play(qtbot, voice, mic, player, phrase("A beer.") * 0.5)
        with qtbot.waitSignal(voice.failure, timeout=15000) as failed:
            voice.release()
    finally:
        voice.shut_down()
        transcriber.close()
    (error,) = failed.args
    assert error.category.value == "auth"
    assert not error.retryable
    assert error.message.startswith("Cartesia rejected the key")
    assert wrong not in error.message
    assert (cartesia.requests[-1].path, cartesia.requests[-1].status) == ("/stt", 401)


def test_no_cartesia_key_says_where_to_add_one(
    qtbot: QtBot, mic: AudioInput, player: Player, registry: SessionRegistry[Any, Any]
) -> None:
    settings = Settings(transcriber="cartesia")
    transcriber = SessionTranscriber(Session(), registry, keys_of(cartesia=None), settings)
    voice = VoiceInput(mic, transcriber, settings=settings)
    try:
        hold_and_play(qtbot, voice, mic, player, phrase("A beer.") * 0.5)
        with qtbot.waitSignal(voice.failed, timeout=15000) as failed:
            voice.release()
    finally:
        voice.shut_down()
        transcriber.close()
    assert failed.args == [
        "No Cartesia key is set for profile default — add one in Settings → Keys, "
        "or choose Gemini for transcription."
    ]
