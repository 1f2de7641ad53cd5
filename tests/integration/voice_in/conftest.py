"""Fixtures of the voice-input tests: the loopback microphone, a player into the test sink,
the fake services as endpoints, and a tab's transcriber wired as the app wires it.

The microphone is PulseAudio's TestMic, a remap of the null sink's monitor (tests/conftest.py):
whatever is played into `test_sink` is what the app hears, so a test "speaks" by playing an
espeak-ng phrase with `pacat`.
"""

from __future__ import annotations

import subprocess
import threading
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import pytest
from pytestqt.qtbot import QtBot

from mayadesk.config import Settings
from mayadesk.keys.store import ProfileKeys
from mayadesk.llm.client import make_llm_factory
from mayadesk.sessions.registry import SessionRegistry
from mayadesk.sessions.session import Session
from mayadesk.voice.audio_input import AudioInput
from mayadesk.voice.tts_cartesia import make_tts_factory
from mayadesk.workers.transcription import SessionTranscriber
from mayadesk.workers.voice_input import VoiceInput
from tests.fakes.cartesia import FakeCartesia
from tests.fakes.gemini import FakeGemini
from tests.helpers.services import stop_process
from tests.helpers.speech import to_pcm

GEMINI_KEY = "AIzaSy-voice-in-test-key-000000000000"
CARTESIA_KEY = "sk_car_voice_in_test_key_0000"
RATE = AudioInput.SAMPLE_RATE

_warm = False


@pytest.fixture
def mic(qtbot: QtBot) -> Iterator[AudioInput]:
    """The app's microphone. A sound server's first capture stream takes ~1.8 s to deliver
    (audio_input.py); it is opened once per run before any test measures."""
    global _warm
    audio = AudioInput()
    if not _warm:
        got: list[bytes] = []
        audio.chunk.connect(got.append)
        assert audio.start()
        qtbot.waitUntil(lambda: len(got) > 0, timeout=10000)
        audio.stop()
        audio.chunk.disconnect(got.append)
        _warm = True
    yield audio
    audio.stop()
    audio.deleteLater()


class Player:
    """Plays PCM into the test sink (so into the loopback mic) with pacat."""

    def __init__(self) -> None:
        self.procs: list[subprocess.Popen[bytes]] = []

    def play(self, samples: np.ndarray, rate: int = RATE) -> subprocess.Popen[bytes]:
        proc = subprocess.Popen(
            ["pacat", "--playback", "-d", "test_sink", "--raw", "--format=s16le",
             f"--rate={rate}", "--channels=1", "--latency-msec=20", "--client-name=talker"],
            stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        assert proc.stdin is not None
        pcm = to_pcm(samples)
        writer = threading.Thread(target=self._write, args=(proc, pcm), daemon=True)
        writer.start()
        self.procs.append(proc)
        return proc

    @staticmethod
    def _write(proc: subprocess.Popen[bytes], pcm: bytes) -> None:
        assert proc.stdin is not None
        try:
            proc.stdin.write(pcm)
        finally:
            proc.stdin.close()

    def stop(self) -> None:
        for proc in self.procs:
            stop_process(proc)


@pytest.fixture
def player() -> Iterator[Player]:
    p = Player()
    yield p
    p.stop()


@pytest.fixture
def gemini(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeGemini]:
    with FakeGemini(accepted_keys={GEMINI_KEY}) as fake:
        monkeypatch.setenv("MAYADESK_GEMINI_BASE_URL", fake.base_url)
        yield fake
    assert fake.problems == []


@pytest.fixture
def cartesia(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeCartesia]:
    with FakeCartesia(accepted_keys={CARTESIA_KEY}) as fake:
        monkeypatch.setenv("MAYADESK_CARTESIA_BASE_URL", fake.base_url)
        yield fake
    assert fake.problems == []


@pytest.fixture
def settings() -> Settings:
    return Settings()


@pytest.fixture
def registry(settings: Settings) -> Iterator[SessionRegistry[Any, Any]]:
    reg: SessionRegistry[Any, Any] = SessionRegistry(
        make_llm_factory(settings), make_tts_factory(settings)
    )
    yield reg
    reg.clear_all()


KeyMaker = Callable[..., Callable[[str, threading.Event], ProfileKeys | None]]


def keys_of(gemini: str | None = GEMINI_KEY, cartesia: str | None = CARTESIA_KEY) -> Any:
    """A profile's keys as the key store's snapshot gives them (the keyring is not under
    test here)."""

    def snapshot(profile: str, cancel: threading.Event) -> ProfileKeys | None:
        return ProfileKeys(profile, gemini, cartesia)

    return snapshot


@pytest.fixture
def transcriber(
    registry: SessionRegistry[Any, Any], settings: Settings
) -> Iterator[SessionTranscriber]:
    t = SessionTranscriber(Session(), registry, keys_of(), settings)
    yield t
    t.close()


@pytest.fixture
def voice(
    qtbot: QtBot, mic: AudioInput, transcriber: SessionTranscriber, settings: Settings
) -> Iterator[VoiceInput]:
    controller = VoiceInput(mic, transcriber, settings=settings)
    yield controller
    controller.shut_down()
    controller.deleteLater()
