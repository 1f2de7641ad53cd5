"""Settings → Voice driven with the keyboard, against the real device list of the test sound
server; what it sets is applied and saved by the app's `LiveSettings`."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QWidget
from pytestqt.qtbot import QtBot

from mayadesk.config import Settings, load_settings, save_settings
from mayadesk.live_settings import LiveSettings
from mayadesk.ui.main_window import MainWindow
from mayadesk.ui.voice_page import DEFAULT_VOICE_ID, VoicePage, valid_voice_id

_kept: list[LiveSettings] = []


def make_page(qtbot: QtBot, settings: Settings, saved: Path) -> tuple[VoicePage, list[str]]:
    """The page wired as the app wires it (apply + save), saving synchronously to `saved`."""
    live = LiveSettings(settings, lambda s: save_settings(saved, s))
    _kept.append(live)  # a signal holds a bound method's object only weakly
    page = VoicePage(settings)
    page.setting_changed.connect(live.changed)
    changed: list[str] = []
    live.listeners.append(changed.append)
    qtbot.addWidget(page)
    page.show()
    qtbot.waitExposed(page)
    page.activateWindow()
    qtbot.waitUntil(page.isActiveWindow)
    return page, changed


@pytest.mark.parametrize(
    ("text", "valid"),
    [
        (DEFAULT_VOICE_ID, True),
        ("A0E99841-438C-4A64-B679-AE501E7D6091", True),
        ("a0e99841438c4a64b679ae501e7d6091", False),  # a UUID, but not written as Cartesia does
        ("maya", False),
        ("", False),
    ],
)
def test_voice_ids_are_uuids(text: str, valid: bool) -> None:
    assert valid_voice_id(text) is valid


def test_every_control_changes_its_setting_at_once_and_it_is_saved(
    qtbot: QtBot, tmp_path: Path
) -> None:
    settings, saved = Settings(), tmp_path / "settings.json"
    page, changed = make_page(qtbot, settings, saved)
    assert page.device.itemText(0) == "System default (TestSink)"
    assert [page.device.itemText(i) for i in range(1, page.device.count())] == ["TestSink"]
    assert not page.no_output.isVisibleTo(page)

    page.speak.setFocus()
    qtbot.keyClick(page.speak, Qt.Key.Key_Space)
    page.volume.setFocus()
    qtbot.keyClick(page.volume, Qt.Key.Key_PageDown)
    qtbot.keyClick(page.volume, Qt.Key.Key_Left)  # one single step: 5
    page.mute.setFocus()
    qtbot.keyClick(page.mute, Qt.Key.Key_Space)
    page.background.setFocus()
    qtbot.keyClick(page.background, Qt.Key.Key_Down)
    page.model.setFocus()
    page.model.selectAll()
    qtbot.keyClicks(page.model, "sonic-2")
    qtbot.keyClick(page.model, Qt.Key.Key_Return)

    assert changed == ["voice_enabled", "volume", "volume", "muted", "background_replies",
                       "cartesia_model"]
    assert page.volume_value.text() == "85%"
    on_disk = load_settings(saved)
    for loaded in (settings, on_disk):
        assert (loaded.voice_enabled, loaded.volume, loaded.muted) == (False, 0.85, True)
        assert (loaded.background_replies, loaded.cartesia_model) == ("queue", "sonic-2")


def test_a_wrong_voice_id_is_explained_and_not_used(qtbot: QtBot, tmp_path: Path) -> None:
    settings = Settings()
    page, changed = make_page(qtbot, settings, tmp_path / "settings.json")
    page.voice_id.setFocus()
    page.voice_id.selectAll()
    qtbot.keyClicks(page.voice_id, "maya-voice")
    qtbot.keyClick(page.voice_id, Qt.Key.Key_Return)
    assert page.voice_error.isVisible() and "looks like" in page.voice_error.text()
    assert settings.cartesia_voice_id == DEFAULT_VOICE_ID and changed == []
    page.voice_id.selectAll()
    qtbot.keyClicks(page.voice_id, "A0E99841-438C-4A64-B679-AE501E7D6091")
    assert not page.voice_error.isVisible()  # typing again clears the complaint
    qtbot.keyClick(page.voice_id, Qt.Key.Key_Return)
    assert settings.cartesia_voice_id == "a0e99841-438c-4a64-b679-ae501e7d6091"
    page.model.setFocus()
    page.model.selectAll()
    qtbot.keyClicks(page.model, "sonic 3!")
    qtbot.keyClick(page.model, Qt.Key.Key_Return)
    assert page.model_error.isVisible() and settings.cartesia_model == "sonic-3"
    qtbot.mouseClick(page.reset_voice, Qt.MouseButton.LeftButton)
    assert (settings.cartesia_voice_id, settings.cartesia_model) == (DEFAULT_VOICE_ID, "sonic-3")
    assert not page.voice_error.isVisible() and not page.model_error.isVisible()


def test_a_saved_device_that_is_not_connected_stays_chosen(qtbot: QtBot, tmp_path: Path) -> None:
    settings = Settings(output_device=b"usb_headset".hex())
    page, changed = make_page(qtbot, settings, tmp_path / "settings.json")
    assert page.device.currentText() == "usb_headset (not connected)"
    page.device.setFocus()
    qtbot.keyClick(page.device, Qt.Key.Key_Home)  # keyboard choice of "System default"
    assert settings.output_device == "" and changed == ["output_device"]
    assert page.device.findText("usb_headset (not connected)") == -1


def test_labels_take_the_keyboard_to_their_control(qtbot: QtBot, tmp_path: Path) -> None:
    page, _ = make_page(qtbot, Settings(), tmp_path / "settings.json")
    for key, target in ((Qt.Key.Key_V, page.voice_id), (Qt.Key.Key_D, page.model),
                        (Qt.Key.Key_L, page.volume), (Qt.Key.Key_O, page.device)):
        qtbot.keyClick(QApplication.focusWidget() or page, key, Qt.KeyboardModifier.AltModifier)
        qtbot.waitUntil(lambda t=target: QApplication.focusWidget() is t)  # type: ignore[misc]


def test_the_window_opens_the_voice_page_once_speech_is_ready(window: MainWindow) -> None:
    built: list[QWidget] = []

    def build() -> QWidget:
        built.append(VoicePage(Settings()))
        return built[-1]

    window.add_settings_page("Voice", build)
    dialog = window.show_settings("Voice")
    assert dialog.pages.currentWidget() is built[0]
    dialog.close()
    window.show_settings()
    assert len(built) == 1  # built once, kept
    assert dialog.pages.tabText(0) == "General" and dialog.has_page("Voice")
