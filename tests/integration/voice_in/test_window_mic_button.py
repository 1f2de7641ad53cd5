"""The tab's microphone and hands-free buttons in the real window, and the window without
any microphone (a child process whose sound server does not exist)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from mayadesk.ui.mic_button import NO_MICROPHONE_TIP, MicState
from mayadesk.voice.audio_input import NO_MICROPHONE_TEXT
from tests.fakes.gemini import FakeGemini
from tests.helpers.speech import phrase
from tests.integration.conversation.conftest import WAIT_MS
from tests.integration.conversation.conftest import gemini as gemini  # the fixture
from tests.integration.speech.conftest import cartesia as cartesia  # the fixture
from tests.integration.speech.conftest import keys as keys  # the fixture

from .conftest import Player
from .window_app import TalkingApp, chunk_counter, say, user_texts
from .window_app import app_settings as app_settings  # the fixture
from .window_app import talking_app as talking_app  # the fixture

SPOKEN = "Two beers, please."


def test_click_to_talk_click_again_to_send(
    talking_app: TalkingApp, gemini: FakeGemini, player: Player, qtbot: QtBot
) -> None:
    app = talking_app
    tab = app.tab()
    button = tab.mic_button
    assert button.accessibleName() == "Talk to Maya"
    assert "Ctrl+Space" in button.toolTip()
    gemini.script_transcription(SPOKEN)
    heard = chunk_counter(app)
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    assert button.state() is MicState.LISTENING
    assert button.text() == "Listening"
    shown: list[float] = []  # what the meter showed each time the mic reported a level
    app.voice_in.voice.level.connect(lambda _level: shown.append(button.level()))
    say(qtbot, player, heard, phrase(SPOKEN) * 0.5)
    assert max(shown) > 0.3
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    assert button.state() is MicState.TRANSCRIBING
    qtbot.waitUntil(lambda: user_texts(tab) == [SPOKEN], timeout=WAIT_MS)
    assert button.state() is MicState.IDLE


def test_the_transcript_goes_to_the_tab_it_was_said_to(
    talking_app: TalkingApp, gemini: FakeGemini, player: Player, qtbot: QtBot
) -> None:
    app = talking_app
    first = app.tab()
    gemini.script_transcription(SPOKEN)
    heard = chunk_counter(app)
    qtbot.mouseClick(first.mic_button, Qt.MouseButton.LeftButton)
    say(qtbot, player, heard, phrase(SPOKEN) * 0.5)
    qtbot.mouseClick(first.mic_button, Qt.MouseButton.LeftButton)
    second = app.window.new_tab()  # the user moved on before the words came back
    qtbot.waitUntil(lambda: user_texts(first) == [SPOKEN], timeout=WAIT_MS)
    assert user_texts(second) == []
    assert app.window.tabs.current_conversation() is second


def test_hands_free_button_listens_and_is_saved_as_the_mode(
    talking_app: TalkingApp, qtbot: QtBot
) -> None:
    app = talking_app
    tab = app.tab()
    qtbot.mouseClick(tab.hands_free_button, Qt.MouseButton.LeftButton)
    assert app.voice_in.voice.is_hands_free()
    assert app.settings.voice_input_mode == "hands_free"
    assert app.saved and app.saved[-1].voice_input_mode == "hands_free"
    assert tab.mic_button.state() is MicState.LISTENING
    other = app.window.new_tab()
    assert other.hands_free_button.isChecked()
    qtbot.mouseClick(other.hands_free_button, Qt.MouseButton.LeftButton)
    assert not app.voice_in.voice.is_hands_free()
    assert app.settings.voice_input_mode == "push_to_talk"
    assert not tab.hands_free_button.isChecked()


CHILD = """
import json, sys
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication
from mayadesk.app import build_turn_services, start_speech
from mayadesk.config import Settings
from mayadesk.paths import app_paths
from mayadesk.sessions.session import Session
from mayadesk.ui.main_window import MainWindow
app = QApplication([])
settings = Settings()
turns = build_turn_services(settings)
window = MainWindow(app_paths().ensure(), new_session=Session, turns=turns)
window.show()
start_speech(window, turns, settings, system_voice=False, piper=False)
tab = window.tabs.conversation(0)
QTest.mouseClick(tab.mic_button, Qt.MouseButton.LeftButton)
clicked = window.notice.label.text() if window.notice.isVisibleTo(window) else None
window.talk_action.trigger()  # what Ctrl+Space does
QTest.keyClicks(tab.composer, "Still typing")
print(json.dumps({
    "clicked": clicked,
    "buttons": [tab.mic_button.isEnabled(), tab.hands_free_button.isEnabled()],
    "tips": [tab.mic_button.toolTip(), tab.hands_free_button.toolTip()],
    "notice": window.notice.label.text() if window.notice.isVisibleTo(window) else None,
    "listening": window.voice_in.voice.is_listening(),
    "state": str(tab.mic_button.state()),
    "composer": tab.composer.toPlainText(),
    "transcript": tab.transcript.toPlainText(),
}))
window.close()
"""


def test_without_a_microphone_the_window_says_so_once_and_typing_works(tmp_path: Path) -> None:
    env = dict(os.environ, PULSE_SERVER=f"unix:{tmp_path / 'nobody-here'}")
    env["QT_QPA_PLATFORM"] = "offscreen"
    for root in ("CONFIG", "DATA", "STATE", "CACHE"):
        env[f"XDG_{root}_HOME"] = str(tmp_path / root.lower())
    result = subprocess.run(
        [sys.executable, "-c", CHILD], env=env, capture_output=True, text=True, timeout=60,
        cwd=Path(__file__).resolve().parents[3],
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["listening"] is False
    assert report["state"] == "idle"
    assert report["composer"] == "Still typing"
    # The talk buttons are off and say why; a click on one does nothing.
    assert report["buttons"] == [False, False]
    assert report["tips"] == [NO_MICROPHONE_TIP, NO_MICROPHONE_TIP]
    assert report["clicked"] != NO_MICROPHONE_TEXT
    # Ctrl+Space still answers. No output either: the audio notice may come first; the
    # microphone's is the last one.
    assert report["notice"] == NO_MICROPHONE_TEXT
    assert "Play" not in report["transcript"]  # nothing could play Maya's greeting
