"""Holding Ctrl+Space in the real window: the loopback mic hears a phrase, the fake Gemini
receives it as inline audio, and its words become the user's message in that tab (or, with
"review before send", wait in the composer). The fixed key never types a space."""

from __future__ import annotations

from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QKeyEvent, QKeySequence
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from mayadesk.ui.mic_button import MicState
from tests.fakes.gemini import ErrorReply, FakeGemini
from tests.helpers.speech import phrase
from tests.integration.conversation.conftest import WAIT_MS
from tests.integration.conversation.conftest import gemini as gemini  # the fixture
from tests.integration.speech.conftest import cartesia as cartesia  # the fixture
from tests.integration.speech.conftest import keys as keys  # the fixture

from .conftest import RATE, Player
from .sound import as_float, correlation
from .window_app import CTRL, SPACE, TalkingApp, chunk_counter, maya_texts, say, user_texts
from .window_app import app_settings as app_settings  # the fixture
from .window_app import talking_app as talking_app  # the fixture

SPOKEN = "Could I get a gin and tonic with a slice of lime, please?"
REPLY = "[STATE: happy] One gin and tonic with lime, coming right up."


def test_held_ctrl_space_sends_the_phrase_as_the_users_message_and_maya_replies(
    talking_app: TalkingApp, gemini: FakeGemini, player: Player, qtbot: QtBot
) -> None:
    app = talking_app
    tab = app.tab()
    gemini.script_transcription(SPOKEN)
    gemini.script(REPLY)
    heard = chunk_counter(app)
    tab.composer.setFocus()
    clean = phrase(SPOKEN) * 0.5
    qtbot.keyPress(tab.composer, SPACE, CTRL)
    assert tab.mic_button.state() is MicState.LISTENING
    levels: list[float] = []
    app.voice_in.voice.level.connect(levels.append)
    say(qtbot, player, heard, clean)
    assert max(levels) > 0.3  # the meter heard the phrase
    qtbot.keyRelease(tab.composer, SPACE, CTRL)
    assert tab.mic_button.state() is MicState.TRANSCRIBING
    qtbot.waitUntil(lambda: user_texts(tab) == [SPOKEN], timeout=WAIT_MS)
    qtbot.waitUntil(lambda: any("gin and tonic" in t for t in maya_texts(tab)), timeout=WAIT_MS)
    assert tab.mic_button.state() is MicState.IDLE
    assert tab.composer.toPlainText() == ""  # Ctrl+Space typed nothing
    (audio,) = gemini.audio_requests
    pcm, rate = audio.audio_pcm()
    assert rate == RATE
    _, envelope = correlation(as_float(pcm), clean, RATE)
    assert envelope > 0.9
    turns = [r for r in gemini.generate_requests if not r.has_audio]
    assert len(turns) == 1 and turns[0].last_user_text == SPOKEN


def test_with_review_before_send_the_words_wait_in_the_composer_and_nothing_is_sent(
    talking_app: TalkingApp, gemini: FakeGemini, player: Player, qtbot: QtBot
) -> None:
    app = talking_app
    app.settings.review_before_send = True  # read when the words arrive
    tab = app.tab()
    gemini.script_transcription(SPOKEN)
    heard = chunk_counter(app)
    tab.composer.setFocus()
    qtbot.keyClicks(tab.composer, "Hi!")
    qtbot.keyPress(tab.composer, SPACE, CTRL)
    say(qtbot, player, heard, phrase(SPOKEN) * 0.5)
    qtbot.keyRelease(tab.composer, SPACE, CTRL)
    qtbot.waitUntil(lambda: tab.composer.toPlainText() == f"Hi! {SPOKEN}", timeout=WAIT_MS)
    assert tab.composer.hasFocus()
    assert user_texts(tab) == []
    assert [r for r in gemini.generate_requests if not r.has_audio] == []
    assert len(gemini.audio_requests) == 1


def test_ctrl_space_is_bound_and_types_no_space(talking_app: TalkingApp, qtbot: QtBot) -> None:
    app = talking_app
    tab = app.tab()
    assert QKeySequence("Ctrl+Space") in app.window.talk_action.shortcuts()
    tab.composer.setFocus()
    qtbot.keyClicks(tab.composer, "Hello")
    qtbot.keyPress(tab.composer, SPACE, CTRL)
    assert app.voice_in.voice.is_pressed()
    qtbot.keyRelease(tab.composer, SPACE, CTRL)
    assert not app.voice_in.voice.is_pressed()
    assert tab.composer.toPlainText() == "Hello"
    qtbot.waitUntil(tab.voice_notice.isVisible, timeout=WAIT_MS)  # too short: said so
    assert "too short" in tab.voice_notice.text()


def test_auto_repeat_is_ignored_and_releasing_ctrl_first_or_losing_focus_ends_the_hold(
    talking_app: TalkingApp, qtbot: QtBot
) -> None:
    app = talking_app
    tab = app.tab()
    voice = app.voice_in.voice
    tab.composer.setFocus()
    qtbot.keyPress(tab.composer, SPACE, CTRL)
    assert voice.is_pressed()
    for kind in (QEvent.Type.KeyRelease, QEvent.Type.KeyPress):  # what X sends while held
        QApplication.sendEvent(tab.composer, QKeyEvent(kind, SPACE, CTRL, " ", True))
    assert voice.is_pressed()
    assert tab.composer.toPlainText() == ""
    qtbot.keyRelease(tab.composer, Qt.Key.Key_Control, Qt.KeyboardModifier.NoModifier)
    assert not voice.is_pressed()
    qtbot.keyPress(tab.composer, SPACE, CTRL)
    assert voice.is_pressed()
    QApplication.sendEvent(app.window, QEvent(QEvent.Type.WindowDeactivate))
    assert not voice.is_pressed()
    assert tab.mic_button.state() is not MicState.LISTENING


def test_a_failed_transcription_keeps_the_recording_and_retry_sends_it(
    talking_app: TalkingApp, gemini: FakeGemini, player: Player, qtbot: QtBot
) -> None:
    app = talking_app
    tab = app.tab()
    gemini.script_transcription(ErrorReply.quota())
    heard = chunk_counter(app)
    tab.composer.setFocus()
    qtbot.keyPress(tab.composer, SPACE, CTRL)
    say(qtbot, player, heard, phrase(SPOKEN) * 0.5)
    qtbot.keyRelease(tab.composer, SPACE, CTRL)
    qtbot.waitUntil(tab.voice_retry_button.isVisible, timeout=WAIT_MS)
    assert "rate limit" in tab.voice_notice.text()
    assert tab.mic_button.state() is MicState.IDLE
    assert user_texts(tab) == []

    gemini.script_transcription(SPOKEN)
    gemini.script(REPLY)
    qtbot.mouseClick(tab.voice_retry_button, Qt.MouseButton.LeftButton)
    assert not tab.voice_notice.isVisible() and not tab.voice_retry_button.isVisible()
    qtbot.waitUntil(lambda: user_texts(tab) == [SPOKEN], timeout=WAIT_MS)
    qtbot.waitUntil(lambda: any("gin and tonic" in t for t in maya_texts(tab)), timeout=WAIT_MS)
    first, again = gemini.audio_requests
    assert again.audio_pcm() == first.audio_pcm()  # the same recording, not a new one
    assert not app.voice_in.voice.has_kept(tab.controller.session.id)
