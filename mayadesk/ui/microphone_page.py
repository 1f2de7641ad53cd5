"""Settings → Microphone: which microphone, how talking works, and a 3-second test.

Like the Voice page, this page only edits the app's live `Settings` and says which field
changed (`setting_changed`); the voice-in side reads the fields when it listens. The test
records from the input chosen here (not the one saved before), shows a level meter while it
records, and plays the recording back through the app's one `AudioOutput`, so the user hears
the microphone and the speakers together, as Maya will.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QTimer, Signal
from PySide6.QtGui import QKeySequence
from PySide6.QtMultimedia import QMediaDevices
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QKeySequenceEdit,
    QLabel,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from mayadesk.config import Settings
from mayadesk.ui.device_combo import input_combo
from mayadesk.voice.audio_input import AudioInput

if TYPE_CHECKING:
    from mayadesk.voice.audio_output import AudioOutput

TEST_SECONDS = 3
NO_INPUT_TEXT = (
    "No microphone was found. Plug one in (it appears here by itself), "
    "or keep typing to Maya: that always works."
)
MODES = (
    ("push_to_talk", "Push to talk: hold the key (or click the microphone) while you speak"),
    ("hands_free", "Hands-free: Maya listens and notices when you speak"),
)
TRANSCRIBERS = (
    ("gemini", "Gemini (no extra key needed)"),
    ("cartesia", "Cartesia (uses the profile's Cartesia key)"),
)
QUIET_LEVEL = 1 / 6  # a meter level (0..1 over -60..0 dBFS) under -50 dBFS: silence


class MicrophonePage(QWidget):
    """Input device, talking mode, push-to-talk key, transcriber, thresholds, and a test.

    Signals:
        setting_changed(str): the page set this field of the settings (apply and save it).
        test_finished(str): the microphone test ended; what the page told the user.
    """

    setting_changed = Signal(str)
    test_finished = Signal(str)

    def __init__(
        self, settings: Settings, output: AudioOutput | None = None, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("microphonePage")
        self._settings = settings
        self._output = output
        self._test_uid = 0
        self._playing = ""
        self._loudest = 0.0
        self.recording = b""
        """The latest test's audio (s16le mono, `AudioInput.SAMPLE_RATE`)."""

        self.device = input_combo(settings.input_device)
        self.device.setObjectName("inputDevice")
        self.device.chosen.connect(lambda hex_id: self._set("input_device", hex_id))
        self.device.listed.connect(self._show_device_notice)
        self.no_input = QLabel(NO_INPUT_TEXT)
        self.no_input.setObjectName("noInputNotice")
        self.no_input.setWordWrap(True)

        self.test_button = QPushButton("&Test microphone")
        self.test_button.setObjectName("testMicrophone")
        self.test_button.setToolTip(f"Records {TEST_SECONDS} seconds, then plays them back.")
        self.test_button.clicked.connect(self.start_test)
        self.meter = QProgressBar()
        self.meter.setObjectName("levelMeter")
        self.meter.setRange(0, 100)
        self.meter.setTextVisible(False)
        self.meter.setAccessibleName("Microphone level")
        self.test_status = QLabel("")
        self.test_status.setObjectName("testStatus")
        self.test_status.setWordWrap(True)
        self._capture = AudioInput(self)
        self._capture.level.connect(self._on_capture_level)
        self._capture.unavailable.connect(self._on_capture_unavailable)
        self._test_timer = QTimer(self)
        self._test_timer.setSingleShot(True)
        self._test_timer.setInterval(TEST_SECONDS * 1000)
        self._test_timer.timeout.connect(self._on_test_timer_timeout)
        if output is not None:
            output.finished.connect(self._on_output_done)
            output.cancelled.connect(self._on_output_done)

        self.mode = self._choice_combo(MODES, settings.voice_input_mode, "voice_input_mode")
        self.key = QKeySequenceEdit(QKeySequence(settings.push_to_talk_key))
        self.key.setObjectName("pushToTalkKey")
        self.key.setMaximumSequenceLength(1)
        self.key.setClearButtonEnabled(True)
        self.key.editingFinished.connect(self._on_key_editing_finished)
        self.key.keySequenceChanged.connect(self._on_key_sequence_changed)
        key_hint = QLabel("Ctrl+Space always works; a key set here works as well.")
        key_hint.setWordWrap(True)
        self.transcriber = self._choice_combo(TRANSCRIBERS, settings.transcriber, "transcriber")
        self.review = self._check(
            "&Review before sending: put what I said in the input box first",
            "review_before_send",
        )

        self.threshold = QDoubleSpinBox()
        self.threshold.setRange(3.0, 40.0)
        self.threshold.setSingleStep(1.0)
        self.threshold.setDecimals(0)
        self.threshold.setSuffix(" dB")
        self.threshold.setValue(settings.speech_threshold_db)
        self.threshold.setToolTip("How much louder than the background a sound must be.")
        self.threshold.valueChanged.connect(lambda v: self._set("speech_threshold_db", float(v)))
        self.end_silence = self._ms_spin(200, 3000, settings.end_silence_ms, "end_silence_ms")
        self.min_speech = self._ms_spin(50, 2000, settings.min_speech_ms, "min_speech_ms")
        self.listen = self._check(
            "&Listen while Maya speaks (interrupt her by talking; her first moments are "
            "ignored)",
            "listen_while_speaking",
        )

        test_row = QHBoxLayout()
        test_row.addWidget(self.test_button)
        test_row.addWidget(self.meter, 1)
        form = QFormLayout()
        form.addRow("&Microphone:", self.device)
        form.addRow(self.no_input)
        form.addRow(test_row)
        form.addRow(self.test_status)
        form.addRow("Talking &mode:", self.mode)
        form.addRow("Extra push-to-talk &key:", self.key)
        form.addRow(key_hint)
        form.addRow("&Transcribed by:", self.transcriber)
        form.addRow(self.review)
        hands_free = QGroupBox("Hands-free listening")
        hands_form = QFormLayout(hands_free)
        hands_form.addRow("Speech is &louder than background by:", self.threshold)
        hands_form.addRow("&Silence that ends what I say:", self.end_silence)
        hands_form.addRow("&Ignore sounds shorter than:", self.min_speech)
        hands_form.addRow(self.listen)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(hands_free)
        layout.addStretch(1)
        self._show_device_notice()

    # The test -------------------------------------------------------------------------------
    def start_test(self) -> bool:
        """Record TEST_SECONDS from the chosen microphone, then play it back."""
        if self._test_timer.isActive() or self._playing:
            return False
        if not QMediaDevices.audioInputs():
            self._end_test(NO_INPUT_TEXT)
            return False
        hex_id = self.device.current_hex()
        chosen = next(
            (d for d in QMediaDevices.audioInputs() if bytes(d.id().data()).hex() == hex_id), None
        )
        if hex_id and chosen is None:
            self._end_test("The chosen microphone is not connected. Plug it in or choose another.")
            return False
        self._capture.set_device(chosen)
        self._loudest = 0.0
        if not self._capture.start():
            return False
        self.test_button.setEnabled(False)
        self.test_status.setText(f"Recording for {TEST_SECONDS} seconds… say something.")
        self._test_timer.start()
        return True

    def _on_test_timer_timeout(self) -> None:
        self.recording = self._capture.stop()
        self.meter.setValue(0)
        if self._loudest < QUIET_LEVEL:
            hint = " The microphone heard only silence: is it muted, or is another one in use?"
        else:
            hint = ""
        output = self._output
        if output is None or not output.is_available():
            self._end_test("Recorded, but there is no audio output to play it back on." + hint)
            return
        self._test_uid += 1
        self._playing = f"mic-test.{self._test_uid}"
        self.test_status.setText("Playing back what the microphone heard…" + hint)
        output.play(self._playing, self.recording, AudioInput.SAMPLE_RATE)
        output.end(self._playing)

    def _on_output_done(self, uid: str) -> None:
        if uid == self._playing:
            self._playing = ""
            self._end_test(
                "Done. If you heard yourself, the microphone works. If not, choose another "
                "microphone above."
            )

    def _on_capture_level(self, level: float) -> None:
        self._loudest = max(self._loudest, level)
        self.meter.setValue(round(100 * level))

    def _on_capture_unavailable(self, text: str) -> None:
        self._end_test(text)

    def _end_test(self, text: str) -> None:
        self.test_status.setText(text)
        self.test_button.setEnabled(self.device.device_count() > 0)
        self.test_finished.emit(text)

    # Settings -------------------------------------------------------------------------------
    def _on_key_sequence_changed(self, sequence: QKeySequence) -> None:
        if sequence.isEmpty():  # the clear button
            self._set("push_to_talk_key", "")

    def _on_key_editing_finished(self) -> None:
        text = self.key.keySequence().toString(QKeySequence.SequenceFormat.PortableText)
        self._set("push_to_talk_key", "" if text == "Ctrl+Space" else text)

    def _set(self, name: str, value: object) -> None:
        if getattr(self._settings, name) == value:
            return
        setattr(self._settings, name, value)
        self.setting_changed.emit(name)

    def _show_device_notice(self) -> None:
        has_input = self.device.device_count() > 0
        self.no_input.setVisible(not has_input)
        self.test_button.setEnabled(has_input and not self._test_timer.isActive())

    def _choice_combo(
        self, choices: tuple[tuple[str, str], ...], current: str, name: str
    ) -> QComboBox:
        combo = QComboBox()
        combo.setObjectName(name)
        for value, text in choices:
            combo.addItem(text, value)
        combo.setCurrentIndex(max(0, combo.findData(current)))
        combo.activated.connect(lambda i: self._set(name, str(combo.itemData(i))))
        return combo

    def _check(self, text: str, name: str) -> QCheckBox:
        box = QCheckBox(text)
        box.setObjectName(name)
        box.setChecked(bool(getattr(self._settings, name)))
        box.toggled.connect(lambda on: self._set(name, on))
        return box

    def _ms_spin(self, low: int, high: int, value: int, name: str) -> QSpinBox:
        spin = QSpinBox()
        spin.setObjectName(name)
        spin.setRange(low, high)
        spin.setSingleStep(50)
        spin.setSuffix(" ms")
        spin.setValue(value)
        spin.valueChanged.connect(lambda v: self._set(name, int(v)))
        return spin


