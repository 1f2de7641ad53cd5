"""Settings → Voice applied for real: what the null sink's monitor records, what the fake
Cartesia receives, what the settings file holds. The app is composed as `start_speech` does.

Figures worth reporting are printed as `MEASURED ...` (run with `-s` to see them).
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtMultimedia import QMediaDevices
from pytestqt.qtbot import QtBot

from mayadesk.app import build_turn_services, start_speech
from mayadesk.app_services import KeyServices
from mayadesk.config import Settings, load_settings
from mayadesk.live_settings import SettingsSaver
from mayadesk.paths import AppPaths, app_paths
from mayadesk.sessions.session import Session
from mayadesk.ui.main_window import MainWindow
from mayadesk.ui.voice_page import VoicePage
from mayadesk.voice.audio_output import AudioOutput
from mayadesk.workers.turn_services import TurnOptions
from tests.fakes.cartesia import MAYA_VOICE_ID, FakeCartesia
from tests.fakes.gemini import FakeGemini
from tests.helpers.recording import RATE, MonitorRecorder, dominant_frequency, loud_spans
from tests.helpers.services import stop_process
from tests.integration.conversation.conftest import FAST_RETRY, WAIT_MS, send
from tests.integration.conversation.conftest import gemini as gemini  # the fixture
from tests.integration.speech.conftest import cartesia as cartesia  # the fixture
from tests.integration.speech.conftest import keys as keys  # the fixture
from tests.integration.voice.conftest import ExtraSink
from tests.integration.voice.sound import cosine, recorded, rms, wait_recorded

OTHER_VOICE = "a0e99841-438c-4a64-b679-ae501e7d6091"


@dataclass
class App:
    window: MainWindow
    output: AudioOutput
    settings: Settings
    paths: AppPaths
    turns: Any

    def voice_page(self) -> VoicePage:
        dialog = self.window.show_settings("Voice")
        page = dialog.pages.currentWidget()
        assert isinstance(page, VoicePage)
        return page

    def saved(self) -> Settings:
        return load_settings(self.paths.config_file)


@pytest.fixture
def make_app(
    qtbot: QtBot, qloop: object, keys: KeyServices
) -> Iterator[Callable[[Settings], App]]:
    """The window with speech started from `settings`, saving as the app does."""
    made: list[App] = []

    def make(settings: Settings) -> App:
        paths = app_paths().ensure()
        turns = build_turn_services(settings)
        turns.options = TurnOptions(retry=FAST_RETRY)
        turns.attach_keys(keys)
        # Not qtbot.addWidget: pytest-qt would delete the window (and the output, its
        # child) before this fixture could silence the output.
        window = MainWindow(paths, new_session=Session, turns=turns)
        window.show()
        qtbot.waitExposed(window)
        window.attach_keys(keys)
        saver = SettingsSaver(paths.config_file, keys.keyring_executor)
        output = start_speech(window, turns, settings, saver, system_voice=False, piper=False)
        assert isinstance(output, AudioOutput)
        app = App(window, output, settings, paths, turns)
        made.append(app)
        return app

    yield make
    for app in made:  # the output is the window's child: silence it first
        app.output.stop()
        qtbot.waitUntil(lambda a=app: not a.output.is_playing(), timeout=3000)  # type: ignore[misc]
        app.window.close()
        app.window.deleteLater()
        app.turns.registry.clear_all()


AppFactory = Callable[[Settings], App]


def play(output: AudioOutput, uid: str, pcm: bytes) -> None:
    output.play(uid, pcm, RATE)
    output.end(uid)


def spans_after(samples: object, mark: float) -> list[tuple[float, float]]:
    return [(a, b) for a, b in loud_spans(samples) if a >= mark]  # type: ignore[arg-type]


def test_saved_volume_and_mute_apply_at_start_and_the_page_changes_what_is_playing(
    qtbot: QtBot, recorder: MonitorRecorder, make_app: AppFactory
) -> None:
    app = make_app(Settings(volume=0.6, muted=True))
    assert (app.output.volume(), app.output.is_muted()) == (0.6, True)
    page = app.voice_page()
    assert page.volume.value() == 60 and page.mute.isChecked()
    qtbot.mouseClick(page.mute, Qt.MouseButton.LeftButton)  # unmute
    assert not app.output.is_muted()

    qtbot.waitUntil(lambda: recorder.seconds() > 0.2)
    mark = recorder.seconds()
    play(app.output, "tone", cosine(440.0, 2.4))
    qtbot.waitUntil(lambda: len(spans_after(recorded(recorder), mark)) > 0, timeout=3000)
    start = spans_after(recorded(recorder), mark)[0][0]
    qtbot.waitUntil(lambda: recorder.seconds() > start + 0.7)
    page.volume.setFocus()
    for _ in range(3):  # 60% → 30% with the keyboard, while the tone plays
        qtbot.keyClick(page.volume, Qt.Key.Key_PageDown)
    lowered = recorder.seconds()
    qtbot.waitUntil(lambda: recorder.seconds() > lowered + 0.7)
    page.mute.setFocus()
    qtbot.keyClick(page.mute, Qt.Key.Key_Space)
    muted = recorder.seconds()
    with qtbot.waitSignal(app.output.finished, timeout=4000):
        pass
    samples = wait_recorded(qtbot, recorder, recorder.seconds() + 0.2)

    before = rms(samples, start + 0.1, lowered - 0.05)
    after = rms(samples, lowered + 0.25, muted - 0.05)  # a buffer and the sink's lag later
    silent = rms(samples, muted + 0.25, start + 2.3)
    print(f"MEASURED rms at 60% {before:.4f}, at 30% {after:.4f}, muted {silent:.5f}")
    assert abs(after / before - 0.5) < 0.05
    assert silent < 0.002
    assert page.volume_value.text() == "30%"
    qtbot.waitUntil(lambda: (app.saved().volume, app.saved().muted) == (0.3, True))
    assert app.settings.volume == 0.3


def _load_extra(name: str, description: str) -> str:
    return subprocess.run(
        ["pactl", "load-module", "module-null-sink", f"sink_name={name}",
         f"sink_properties=device.description={description}"],
        check=True, capture_output=True, text=True,
    ).stdout.strip()


@pytest.mark.qt_log_ignore(r"Stream failed to connect")
def test_a_chosen_output_that_goes_away_falls_back_and_is_used_again_when_it_returns(
    qtbot: QtBot,
    recorder: MonitorRecorder,
    make_app: AppFactory,
    extra_sink: ExtraSink,
    tmp_path: Path,
) -> None:
    extra_hex = bytes(extra_sink.device.id().data()).hex()
    app = make_app(Settings())
    page = app.voice_page()
    assert page.device.itemText(0) == "System default (TestSink)"
    index = page.device.findText("ExtraSink")
    assert index > 0
    page.device.setFocus()
    page.device.setCurrentIndex(index)
    page.device.activated.emit(index)  # as a pick from the list does
    assert app.settings.output_device == extra_hex
    assert app.output.device() is not None

    mark = extra_sink.recorder.seconds()
    with qtbot.waitSignal(app.output.finished, timeout=4000):
        play(app.output, "on-extra", cosine(600.0, 0.3))
    heard = wait_recorded(qtbot, extra_sink.recorder, extra_sink.recorder.seconds() + 0.2)
    assert len(spans_after(heard, mark)) == 1

    # Qt stops reporting a PulseAudio sink's removal once a stream has been opened on it:
    # the loss shows when the next sink fails to open there.
    extra_sink.unload()
    mark = recorder.seconds()
    with qtbot.waitSignals([app.output.device_lost, app.output.finished], timeout=5000):
        play(app.output, "on-default", cosine(700.0, 0.3))
    notice = app.window.notice.label.text()
    assert "ExtraSink" in notice and "default" in notice and app.window.notice.isVisible()
    assert app.settings.output_device == extra_hex  # the choice is kept
    assert page.device.currentText() in ("ExtraSink", "mayadesk_extra (not connected)")
    heard = wait_recorded(qtbot, recorder, recorder.seconds() + 0.2)
    spans = spans_after(heard, mark)
    assert len(spans) == 1
    assert abs(dominant_frequency(heard[int(spans[0][0] * RATE) : int(spans[0][1] * RATE)])
               - 700.0) < 8

    # The same sink comes back (headphones plugged in again).
    extra_sink.module = _load_extra(extra_sink.name, "ExtraSink")
    extra_sink.loaded = True
    qtbot.waitUntil(lambda: page.device.currentText() == "ExtraSink", timeout=5000)
    keepalive = subprocess.Popen(
        ["pacat", "--playback", "-d", extra_sink.name, "--raw", "--format=s16le",
         "--rate=24000", "--channels=1", "--latency-msec=20", "/dev/zero"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    back = MonitorRecorder(tmp_path / "back.raw", device=f"{extra_sink.name}.monitor")
    try:
        # A new null sink renders ahead, then settles into real time (PLATFORM.md).
        qtbot.waitUntil(lambda: back.seconds() > 0.5, timeout=10000)
        mark = back.seconds()
        with qtbot.waitSignals([app.output.device_restored, app.output.finished], timeout=4000):
            play(app.output, "back-on-extra", cosine(800.0, 0.3))
        assert "ExtraSink" in app.window.notice.label.text()
        heard = wait_recorded(qtbot, back, back.seconds() + 0.2)
    finally:
        back.stop()
        stop_process(keepalive)
    spans = spans_after(heard, mark)
    # Heard there, whole; a freshly loaded null sink may still drop out once under load.
    assert abs(sum(b - a for a, b in spans) - 0.3) < 0.04, spans
    start, end = max(spans, key=lambda span: span[1] - span[0])
    assert abs(dominant_frequency(heard[int(start * RATE) : int(end * RATE)]) - 800.0) < 10
    qtbot.waitUntil(lambda: app.saved().output_device == extra_hex)


def test_system_default_is_first_and_follows_the_default_when_it_changes(
    qtbot: QtBot,
    make_app: AppFactory,
    extra_sink: ExtraSink,
) -> None:
    app = make_app(Settings())
    page = app.voice_page()
    assert page.device.currentIndex() == 0 and app.output.device() is None
    subprocess.run(["pactl", "set-default-sink", extra_sink.name], check=True)
    try:
        qtbot.waitUntil(lambda: page.device.itemText(0) == "System default (ExtraSink)",
                        timeout=5000)
        assert page.device.currentIndex() == 0  # still following, not pinned to a device
        mark = extra_sink.recorder.seconds()
        with qtbot.waitSignal(app.output.finished, timeout=4000):
            play(app.output, "to-new-default", cosine(500.0, 0.3))
        heard = wait_recorded(qtbot, extra_sink.recorder, extra_sink.recorder.seconds() + 0.2)
        assert len(spans_after(heard, mark)) == 1
    finally:
        subprocess.run(["pactl", "set-default-sink", "test_sink"], check=True)
        qtbot.waitUntil(
            lambda: QMediaDevices.defaultAudioOutput().description() == "TestSink", timeout=5000
        )


def test_speak_replies_off_is_text_only_and_voice_changes_reach_the_next_reply(
    qtbot: QtBot,
    qloop: object,
    gemini: FakeGemini,
    cartesia: FakeCartesia,
    recorder: MonitorRecorder,
    make_app: AppFactory,
) -> None:
    app = make_app(Settings(voice_enabled=False))
    tab = app.window.tabs.conversation(0)
    gemini.script("[STATE: happy] One Negroni, coming up.")
    qtbot.waitUntil(lambda: recorder.seconds() > 0.2, timeout=5000)
    mark = recorder.seconds()
    send(qtbot, tab, "A Negroni, please")
    qtbot.waitUntil(lambda: not tab.controller.busy, timeout=WAIT_MS)
    assert tab.controller.session.messages()[-1].text == "One Negroni, coming up."
    samples = wait_recorded(qtbot, recorder, recorder.seconds() + 0.5)
    assert cartesia.contexts == [] and cartesia.connections == []  # nothing synthesised
    assert spans_after(samples, mark) == []
    assert not app.output.is_playing()

    page = app.voice_page()
    page.speak.setFocus()
    qtbot.keyClick(page.speak, Qt.Key.Key_Space)
    page.voice_id.setFocus()
    page.voice_id.selectAll()
    qtbot.keyClicks(page.voice_id, OTHER_VOICE)
    qtbot.keyClick(page.voice_id, Qt.Key.Key_Return)
    page.model.selectAll()
    qtbot.keyClicks(page.model, "sonic-2")
    qtbot.keyClick(page.model, Qt.Key.Key_Return)
    assert (app.settings.voice_enabled, app.settings.cartesia_voice_id,
            app.settings.cartesia_model) == (True, OTHER_VOICE, "sonic-2")

    gemini.script("[STATE: happy] And a second one. Cheers!")
    app.window.activateWindow()
    mark = recorder.seconds()
    with qtbot.waitSignal(app.output.started, timeout=WAIT_MS):
        send(qtbot, tab, "Another")
    qtbot.waitUntil(lambda: not tab.controller.busy, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: not app.output.is_playing(), timeout=WAIT_MS)
    [context] = cartesia.contexts
    assert (context.model_id, context.voice) == ("sonic-2", {"id": OTHER_VOICE})
    samples = wait_recorded(qtbot, recorder, recorder.seconds() + 0.3)
    assert spans_after(samples, mark), "the reply was not heard"

    # Back to Maya's voice: the session's cached client uses it on the next reply.
    qtbot.mouseClick(page.reset_voice, Qt.MouseButton.LeftButton)
    gemini.script("[STATE: happy] Enjoy.")
    with qtbot.waitSignal(app.output.started, timeout=WAIT_MS):
        send(qtbot, tab, "Thanks")
    qtbot.waitUntil(lambda: not tab.controller.busy, timeout=WAIT_MS)
    assert len(cartesia.contexts) == 2 and len(cartesia.connections) == 1
    assert (cartesia.contexts[1].model_id, cartesia.contexts[1].voice) == (
        "sonic-3", {"id": MAYA_VOICE_ID}
    )
    qtbot.waitUntil(lambda: app.saved().cartesia_voice_id == MAYA_VOICE_ID)
    assert app.saved().voice_enabled is True
