"""Settings → Voice: how Maya's replies sound, and where.

The page only edits the app's live `Settings` and says which field changed
(`setting_changed`); `LiveSettings` (mayadesk/live_settings.py) applies it to the audio
output and the turns and saves it. Every control applies at once: there is no OK button to
forget, and a volume change is heard on the reply that is playing.
"""

from __future__ import annotations

import re
import uuid

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSlider,
    QVBoxLayout,
    QWidget,
)

from mayadesk.config import Settings
from mayadesk.ui.device_combo import output_combo
from mayadesk.voice.tts_cartesia import DEFAULT_MODEL, DEFAULT_VOICE_ID

NO_OUTPUT_TEXT = (
    "No audio output was found (no speakers or headphones, or no sound server). "
    "Maya's replies still appear as text."
)
BAD_VOICE_TEXT = (
    "A voice id looks like 6f84f4b8-58a2-430c-8c79-688dad597532 (copy it from Cartesia's "
    "voice library). The voice in use is unchanged."
)
BAD_MODEL_TEXT = "A model name is letters, digits, dots, dashes or underscores, like sonic-3."
BACKGROUND_CHOICES = (
    ("silent", "Stay silent, show Play"),
    ("queue", "Speak when the current one ends"),
)
_MODEL_PATTERN = re.compile(r"[A-Za-z0-9._-]{1,64}")


def valid_voice_id(text: str) -> bool:
    """Cartesia voice ids are UUIDs, written in their usual 8-4-4-4-12 form."""
    try:
        return str(uuid.UUID(text)) == text.lower()
    except ValueError:
        return False


def valid_model(text: str) -> bool:
    return _MODEL_PATTERN.fullmatch(text) is not None


class VoicePage(QWidget):
    """Output device, volume, mute, speak on/off, Cartesia voice and model, background tabs.

    Signals:
        setting_changed(str): the page set this field of the settings (apply and save it).
    """

    setting_changed = Signal(str)

    def __init__(self, settings: Settings, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("voicePage")
        self._settings = settings

        self.speak = QCheckBox("&Speak Maya's replies")
        self.speak.setToolTip("Off: replies are text only, and no voice is used at all.")
        self.speak.setChecked(settings.voice_enabled)
        self.speak.toggled.connect(self._on_speak_toggled)

        self.device = output_combo(settings.output_device)
        self.device.setObjectName("outputDevice")
        self.device.chosen.connect(self._on_device_chosen)
        self.device.listed.connect(self._show_device_notice)
        self.no_output = QLabel(NO_OUTPUT_TEXT)
        self.no_output.setObjectName("noOutputNotice")
        self.no_output.setWordWrap(True)

        self.volume = QSlider(Qt.Orientation.Horizontal)
        self.volume.setObjectName("volumeSlider")
        self.volume.setRange(0, 100)
        self.volume.setSingleStep(5)
        self.volume.setPageStep(10)
        self.volume.setValue(round(settings.volume * 100))
        self.volume.setAccessibleName("Volume")
        self.volume_value = QLabel()
        self.volume_value.setMinimumWidth(self.volume_value.fontMetrics().horizontalAdvance("100%"))
        self._show_volume(self.volume.value())
        self.volume.valueChanged.connect(self._on_volume_value_changed)
        self.mute = QCheckBox("&Mute")
        self.mute.setToolTip("Silence Maya without losing the volume; replies still appear.")
        self.mute.setChecked(settings.muted)
        self.mute.toggled.connect(self._on_mute_toggled)
        volume_row = QHBoxLayout()
        volume_row.addWidget(self.volume, 1)
        volume_row.addWidget(self.volume_value)
        volume_row.addWidget(self.mute)

        self.voice_error = self._error_label(BAD_VOICE_TEXT)
        self.model_error = self._error_label(BAD_MODEL_TEXT)
        self.voice_id = QLineEdit(settings.cartesia_voice_id)
        self.voice_id.setObjectName("voiceId")
        self.voice_id.setPlaceholderText(DEFAULT_VOICE_ID)
        self.voice_id.setClearButtonEnabled(True)
        self.voice_id.editingFinished.connect(self._on_voice_id_editing_finished)
        self.voice_id.textEdited.connect(lambda _text: self.voice_error.hide())
        self.model = QLineEdit(settings.cartesia_model)
        self.model.setObjectName("cartesiaModel")
        self.model.setPlaceholderText(DEFAULT_MODEL)
        self.model.setClearButtonEnabled(True)
        self.model.editingFinished.connect(self._on_model_editing_finished)
        self.model.textEdited.connect(lambda _text: self.model_error.hide())
        self.reset_voice = QPushButton("Use Maya's default voi&ce")
        self.reset_voice.clicked.connect(self._on_reset_voice_clicked)

        self.background = QComboBox()
        self.background.setObjectName("backgroundReplies")
        for value, text in BACKGROUND_CHOICES:
            self.background.addItem(text, value)
        index = self.background.findData(settings.background_replies)
        self.background.setCurrentIndex(max(0, index))
        self.background.activated.connect(self._on_background_activated)

        form = QFormLayout()
        form.addRow(self.speak)
        form.addRow("&Output device:", self.device)
        form.addRow(self.no_output)
        volume_label = QLabel("Vo&lume:")
        volume_label.setBuddy(self.volume)  # a row of widgets gets no buddy by itself
        form.addRow(volume_label, volume_row)
        form.addRow("Cartesia &voice id:", self.voice_id)
        form.addRow(self.voice_error)
        form.addRow("Cartesia mo&del:", self.model)
        form.addRow(self.model_error)
        form.addRow(self.reset_voice)
        form.addRow("&Replies in other tabs:", self.background)
        hint = QLabel(
            "Only the tab in front speaks. A reply that finishes in another tab either waits "
            "silently with a Play button, or is spoken after the current one."
        )
        hint.setWordWrap(True)
        form.addRow(hint)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addStretch(1)
        self._show_device_notice()

    # Slots ----------------------------------------------------------------------------------
    def _on_speak_toggled(self, on: bool) -> None:
        self._set("voice_enabled", on)

    def _on_device_chosen(self, hex_id: str) -> None:
        self._set("output_device", hex_id)

    def _on_volume_value_changed(self, value: int) -> None:
        self._show_volume(value)
        self._set("volume", value / 100)

    def _on_mute_toggled(self, muted: bool) -> None:
        self._set("muted", muted)

    def _on_voice_id_editing_finished(self) -> None:
        text = self.voice_id.text().strip()
        if not text:  # blank means Maya's voice
            text = DEFAULT_VOICE_ID
            self.voice_id.setText(text)
        if not valid_voice_id(text):
            self.voice_error.show()
            return
        self.voice_error.hide()
        self._set("cartesia_voice_id", text.lower())

    def _on_model_editing_finished(self) -> None:
        text = self.model.text().strip() or DEFAULT_MODEL
        if not valid_model(text):
            self.model_error.show()
            return
        self.model_error.hide()
        self.model.setText(text)
        self._set("cartesia_model", text)

    def _on_reset_voice_clicked(self) -> None:
        self.voice_id.setText(DEFAULT_VOICE_ID)
        self.model.setText(DEFAULT_MODEL)
        self._on_voice_id_editing_finished()
        self._on_model_editing_finished()

    def _on_background_activated(self, index: int) -> None:
        self._set("background_replies", str(self.background.itemData(index)))

    # Helpers --------------------------------------------------------------------------------
    def _set(self, name: str, value: object) -> None:
        if getattr(self._settings, name) == value:
            return
        setattr(self._settings, name, value)
        self.setting_changed.emit(name)

    def _show_volume(self, value: int) -> None:
        self.volume_value.setText(f"{value}%")

    def _show_device_notice(self) -> None:
        self.no_output.setVisible(self.device.device_count() == 0)

    @staticmethod
    def _error_label(text: str) -> QLabel:
        label = QLabel(text)
        label.setWordWrap(True)
        label.setStyleSheet("color: #c5221f;")
        label.hide()
        return label
