"""Hands-free in the real window with the real AudioOutput: Maya's own reply, heard by the
loopback microphone while she plays it ("listen while speaking" off), triggers nothing; a
phrase after she finished is detected, transcribed and sent in the tab, and she answers."""

from __future__ import annotations

import pytest
from pytestqt.qtbot import QtBot

from mayadesk.config import Settings
from mayadesk.ui.mic_button import MicState
from tests.fakes.cartesia import FakeCartesia
from tests.fakes.gemini import FakeGemini
from tests.helpers.speech import phrase
from tests.integration.conversation.conftest import WAIT_MS, send
from tests.integration.conversation.conftest import gemini as gemini  # the fixture
from tests.integration.speech.conftest import cartesia as cartesia  # the fixture
from tests.integration.speech.conftest import keys as keys  # the fixture

from .conftest import Player
from .window_app import TalkingApp, chunk_counter, maya_texts, user_texts
from .window_app import talking_app as talking_app  # the fixture

SPOKEN = "Could I get a gin and tonic with a slice of lime, please?"


@pytest.fixture
def app_settings() -> Settings:
    """Saved as hands-free: the app listens from the start."""
    return Settings(voice_input_mode="hands_free")


def test_mayas_own_voice_triggers_nothing_and_a_phrase_after_her_is_sent(
    talking_app: TalkingApp,
    gemini: FakeGemini,
    cartesia: FakeCartesia,
    player: Player,
    qtbot: QtBot,
) -> None:
    app = talking_app
    voice = app.voice_in.voice
    tab = app.tab()
    assert voice.is_hands_free()
    assert tab.hands_free_button.isChecked()
    assert tab.mic_button.state() is MicState.LISTENING
    started: list[bool] = []
    voice.speech_started.connect(lambda: started.append(True))
    heard = chunk_counter(app)
    qtbot.waitUntil(lambda: sum(heard) > 0, timeout=5000)
    cartesia.ms_per_char = 30
    gemini.script("[STATE: happy] Welcome in! Take a seat anywhere you like.")
    with qtbot.waitSignal(app.output.started, timeout=WAIT_MS):
        send(qtbot, tab, "Hello there")
    qtbot.waitUntil(lambda: not tab.controller.busy, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: not app.output.is_playing(), timeout=WAIT_MS)
    quiet_from = sum(heard)
    qtbot.waitUntil(lambda: sum(heard) - quiet_from >= 32000, timeout=5000)  # 1 s after her
    assert started == []
    assert gemini.audio_requests == []
    assert user_texts(tab) == ["Hello there"]

    gemini.script_transcription(SPOKEN)
    gemini.script("[STATE: mixing] One gin and tonic with lime, coming up.")
    player.play(phrase(SPOKEN) * 0.5)
    qtbot.waitUntil(lambda: user_texts(tab) == ["Hello there", SPOKEN], timeout=WAIT_MS)
    qtbot.waitUntil(lambda: any("coming up" in t for t in maya_texts(tab)), timeout=WAIT_MS)
    assert started == [True]
    assert len(gemini.audio_requests) == 1
