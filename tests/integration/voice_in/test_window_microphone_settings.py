"""Settings → Microphone changes reach the app's voice input at once: the mode switches
hands-free on in every tab, and a push-to-talk key set there works next to Ctrl+Space."""

from __future__ import annotations

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from mayadesk.ui.microphone_page import MicrophonePage
from tests.integration.conversation.conftest import gemini as gemini  # the fixture
from tests.integration.speech.conftest import cartesia as cartesia  # the fixture
from tests.integration.speech.conftest import keys as keys  # the fixture

from .window_app import TalkingApp
from .window_app import app_settings as app_settings  # the fixture
from .window_app import talking_app as talking_app  # the fixture


def microphone_page(app: TalkingApp) -> MicrophonePage:
    dialog = app.window.show_settings("Microphone")
    page = dialog.pages.currentWidget()
    assert isinstance(page, MicrophonePage)
    return page


def test_mode_and_key_from_the_microphone_page_apply_at_once(
    talking_app: TalkingApp, qtbot: QtBot
) -> None:
    app = talking_app
    voice = app.voice_in.voice
    page = microphone_page(app)
    page.mode.setFocus()
    qtbot.keyClick(page.mode, Qt.Key.Key_Down)  # push-to-talk → hands-free
    assert app.settings.voice_input_mode == "hands_free"
    assert voice.is_hands_free()
    assert app.tab().hands_free_button.isChecked()
    qtbot.keyClick(page.mode, Qt.Key.Key_Up)
    assert not voice.is_hands_free()
    assert not app.tab().hands_free_button.isChecked()

    page.key.setFocus()
    qtbot.keyClick(page.key, Qt.Key.Key_F9)
    qtbot.waitUntil(lambda: app.settings.push_to_talk_key == "F9", timeout=3000)
    page.window().close()
    app.window.activateWindow()
    qtbot.waitUntil(app.window.isActiveWindow, timeout=5000)
    tab = app.tab()
    tab.composer.setFocus()
    qtbot.keyPress(tab.composer, Qt.Key.Key_F9)
    assert voice.is_pressed()
    qtbot.keyRelease(tab.composer, Qt.Key.Key_F9)
    assert not voice.is_pressed()
    assert app.saved[-1].push_to_talk_key == "F9"
