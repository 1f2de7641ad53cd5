"""The app's window with speech and voice in, composed as `finish_start_up` does it.

Real parts: the window under Xvfb, the real AudioOutput on the PulseAudio null sink, the real
AudioInput on the loopback microphone (the sink's monitor), the real keyring, the real SDKs
against the fake Gemini and the fake Cartesia. Test modules import the fixtures from here
(they replace voice_in/conftest.py's `gemini` and `cartesia`, which the keyring's keys of
speech/conftest.py do not open).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np
import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from mayadesk.app import build_turn_services, start_speech
from mayadesk.app_services import KeyServices
from mayadesk.config import Settings
from mayadesk.paths import app_paths
from mayadesk.sessions.history import Role
from mayadesk.sessions.session import Session
from mayadesk.ui.conversation_tab import ConversationTab
from mayadesk.ui.main_window import MainWindow
from mayadesk.ui.voice_in_glue import VoiceInGlue
from mayadesk.voice.audio_input import AudioInput
from mayadesk.voice.audio_output import AudioOutput
from mayadesk.workers.turn_services import TurnOptions, TurnServices
from tests.integration.conversation.conftest import FAST_RETRY, WAIT_MS

from .conftest import RATE, Player

SPACE = Qt.Key.Key_Space
CTRL = Qt.KeyboardModifier.ControlModifier


@dataclass
class TalkingApp:
    window: MainWindow
    output: AudioOutput
    turns: TurnServices
    settings: Settings
    saved: list[Settings] = field(default_factory=list)

    @property
    def voice_in(self) -> VoiceInGlue:
        assert self.window.voice_in is not None
        return self.window.voice_in

    def tab(self, index: int = 0) -> ConversationTab:
        return self.window.tabs.conversation(index)


@pytest.fixture
def app_settings() -> Settings:
    """The settings the app starts with (a test may override this fixture's value)."""
    return Settings()


@pytest.fixture
def talking_app(
    qtbot: QtBot, qloop: object, mic: AudioInput, gemini: object, cartesia: object,
    keys: KeyServices, app_settings: Settings,
) -> Iterator[TalkingApp]:
    """`mic` only warms the sound server's first capture stream (audio_input.py)."""
    turns = build_turn_services(app_settings)
    turns.options = TurnOptions(retry=FAST_RETRY)
    turns.attach_keys(keys)
    window = MainWindow(app_paths().ensure(), new_session=Session, turns=turns)
    window.show()
    qtbot.waitExposed(window)
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=WAIT_MS)  # shortcuts need it active
    window.attach_keys(keys)
    app = TalkingApp(window, None, turns, app_settings)  # type: ignore[arg-type]
    output = start_speech(
        window, turns, app_settings, app.saved.append, system_voice=False, piper=False
    )
    assert isinstance(output, AudioOutput)
    app.output = output
    yield app
    window.close()
    output.stop()
    qtbot.waitUntil(lambda: not output.is_playing(), timeout=3000)
    turns.registry.clear_all()
    window.deleteLater()


def chunk_counter(app: TalkingApp) -> list[int]:
    """Bytes the app's microphone delivers, piece by piece, from now on."""
    heard: list[int] = []
    app.voice_in.audio.chunk.connect(lambda pcm: heard.append(len(pcm)))
    return heard


def say(qtbot: QtBot, player: Player, heard: list[int], clean: np.ndarray) -> None:
    """Play the phrase into the loopback mic (which must be open) and let 300 ms follow."""
    qtbot.waitUntil(lambda: sum(heard) > 0, timeout=5000)
    proc = player.play(clean)
    qtbot.waitUntil(lambda: proc.poll() is not None, timeout=20000)
    after = sum(heard)
    qtbot.waitUntil(lambda: sum(heard) - after >= 2 * RATE * 3 // 10, timeout=5000)


def user_texts(tab: ConversationTab) -> list[str]:
    return [m.text for m in tab.transcript.messages() if m.role is Role.USER]


def maya_texts(tab: ConversationTab) -> list[str]:
    return [m.text for m in tab.transcript.messages() if m.role is Role.MAYA]
