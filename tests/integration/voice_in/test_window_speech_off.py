""""Speak replies" switched off after a tab has spoken: its next reply is text only — the
fake Cartesia gets no new context and the null sink's monitor records silence. (The tab's
voice, made on its first reply, must not outlive the app's speech being detached.)"""

from __future__ import annotations

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from mayadesk.ui.voice_page import VoicePage
from tests.fakes.cartesia import FakeCartesia
from tests.fakes.gemini import FakeGemini
from tests.helpers.recording import MonitorRecorder, loud_spans
from tests.integration.conversation.conftest import WAIT_MS, send
from tests.integration.conversation.conftest import gemini as gemini  # the fixture
from tests.integration.speech.conftest import cartesia as cartesia  # the fixture
from tests.integration.speech.conftest import keys as keys  # the fixture
from tests.integration.voice.sound import recorded, wait_recorded

from .window_app import TalkingApp, maya_texts
from .window_app import app_settings as app_settings  # the fixture
from .window_app import talking_app as talking_app  # the fixture


def test_speak_replies_off_after_a_spoken_reply_makes_the_next_one_silent(
    talking_app: TalkingApp,
    gemini: FakeGemini,
    cartesia: FakeCartesia,
    recorder: MonitorRecorder,
    qtbot: QtBot,
) -> None:
    app = talking_app
    tab = app.tab()
    cartesia.ms_per_char = 10
    gemini.script("[STATE: happy] A first reply, spoken.", "[STATE: happy] A second, silent.")
    qtbot.waitUntil(lambda: recorder.seconds() > 0.2, timeout=5000)
    with qtbot.waitSignal(app.output.started, timeout=WAIT_MS):
        send(qtbot, tab, "Hello")
    qtbot.waitUntil(lambda: not tab.controller.busy, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: not app.output.is_playing(), timeout=WAIT_MS)
    assert len(cartesia.contexts) == 1

    dialog = app.window.show_settings("Voice")
    page = dialog.pages.currentWidget()
    assert isinstance(page, VoicePage)
    page.speak.setFocus()
    qtbot.keyClick(page.speak, Qt.Key.Key_Space)
    assert app.settings.voice_enabled is False
    dialog.close()
    app.window.activateWindow()

    mark = wait_recorded(qtbot, recorder, recorder.seconds() + 0.3).size / 16000
    send(qtbot, tab, "Again")
    qtbot.waitUntil(lambda: "A second, silent." in maya_texts(tab), timeout=WAIT_MS)
    qtbot.waitUntil(lambda: not tab.controller.busy, timeout=WAIT_MS)
    samples = wait_recorded(qtbot, recorder, recorder.seconds() + 0.5)
    assert len(cartesia.contexts) == 1
    assert not app.output.is_playing()
    assert [s for s in loud_spans(samples) if s[0] >= mark] == []
    assert len(recorded(recorder)) > 0
