"""A real window whose replies are spoken: fake Gemini and fake Cartesia, real Piper, the
real AudioOutput playing to the PulseAudio null sink (recorded from its monitor)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import NamedTuple

import keyring
import pytest
from pytestqt.qtbot import QtBot

from mayadesk.app import build_turn_services, start_speech
from mayadesk.app_services import KeyServices, build_key_services
from mayadesk.config import Settings
from mayadesk.paths import AppPaths, app_paths
from mayadesk.sessions.session import Session
from mayadesk.ui.main_window import MainWindow
from mayadesk.voice.audio_output import AudioOutput
from mayadesk.workers.turn_services import TurnOptions, TurnServices
from tests.fakes.cartesia import FakeCartesia
from tests.helpers.keyring_tools import clear_mayadesk_items
from tests.integration.conversation.conftest import FAST_RETRY, GEMINI_KEY, WAIT_MS
from tests.integration.conversation.conftest import gemini as gemini  # the fixture

CARTESIA_KEY = "sk_car_speech_test_key"


@pytest.fixture
def cartesia(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeCartesia]:
    with FakeCartesia(accepted_keys={CARTESIA_KEY}, ms_per_char=15) as server:
        monkeypatch.setenv("MAYADESK_CARTESIA_BASE_URL", server.base_url)
        monkeypatch.setenv("MAYADESK_CARTESIA_WS_URL", server.ws_url)
        yield server
        server.release.set()
    assert server.problems == []


@pytest.fixture
def keys(app_dirs: dict[str, object]) -> Iterator[KeyServices]:
    """Both keys of the default profile in the real keyring (a test may delete Cartesia's)."""
    clear_mayadesk_items()
    keyring.set_password("mayadesk", "default/gemini", GEMINI_KEY)
    keyring.set_password("mayadesk", "default/cartesia", CARTESIA_KEY)
    services = build_key_services(app_paths().ensure())
    yield services
    services.close()
    clear_mayadesk_items()


class SpeakingApp(NamedTuple):
    window: MainWindow
    output: AudioOutput
    turns: TurnServices
    settings: Settings


@pytest.fixture
def speaking_window(speaking_app: SpeakingApp) -> tuple[MainWindow, AudioOutput]:
    return speaking_app.window, speaking_app.output


@pytest.fixture
def speaking_app(
    qtbot: QtBot, qloop: object, gemini: object, cartesia: FakeCartesia, keys: KeyServices
) -> Iterator[SpeakingApp]:
    """The window as the app composes it, speech included (without the system voice, which
    would autospawn speech-dispatcher; tests/integration/voice_tts covers that voice), and
    the live settings object the turns read (a test may change it, as the dialog does)."""
    settings = Settings()
    turns = build_turn_services(settings)
    turns.options = TurnOptions(retry=FAST_RETRY)
    turns.attach_keys(keys)
    paths: AppPaths = app_paths().ensure()
    window = MainWindow(paths, new_session=Session, turns=turns)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=WAIT_MS)  # shortcuts (Esc) need it active
    output = start_speech(window, turns, system_voice=False)
    assert isinstance(output, AudioOutput)
    window.attach_keys(keys)
    yield SpeakingApp(window, output, turns, settings)
    window.close()
    output.stop()
    qtbot.waitUntil(lambda: not output.is_playing(), timeout=3000)
    turns.registry.clear_all()
