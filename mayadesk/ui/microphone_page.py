"""Settings → Microphone: which microphone, how talking works, and a 3-second test.

Like the Voice page, this page only edits the app's live `Settings` and says which field
changed (`setting_changed`); the voice-in side reads the fields when it listens. The test
records from the input chosen here (not the one saved before), shows a level meter while it
records, and plays the recording back through the app's one `AudioOutput`, so the user hears
the microphone and the speakers together, as Maya will.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from PySide6.QtCore import QIODevice, QObject, QTimer, Signal
from PySide6.QtGui import QKeySequence
from PySide6.QtMultimedia import QAudioDevice, QAudioFormat, QAudioSource, QMediaDevices, QtAudio
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
METER_FLOOR_DB = -60.0


def level_percent(rms: float) -> int:
    """A meter position for an RMS level: decibels, so quiet speech still moves it."""
    if rms <= 0:
        return 0
    db = 20 * math.log10(min(1.0, rms))
    return round(100 * max(0.0, 1 - db / METER_FLOOR_DB))


class MicTestCapture(QObject):
    """Records from one microphone with QAudioSource, for the page's test.

    A stand-in with the API of `voice/audio_input.AudioInput` (set_device, start, stop,
    `level`, `unavailable`), which was not in the tree when this page was written; the page
    can switch to it without other changes. s16le mono at 16 kHz.

    Signals:
        level(float): RMS of the latest audio, 0..1, about 20 times a second.
        unavailable(str): the microphone could not be opened; a sentence for the user.
    """

    SAMPLE_RATE = 16000
    level = Signal(float)
    unavailable = Signal(str)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._device: QAudioDevice | None = None
        self._source: QAudioSource | None = None
        self._io: QIODevice | None = None
        self._data = bytearray()
        self._level_from = 0  # where the audio not measured yet starts
        self._timer = QTimer(self)
        self._timer.setInterval(50)
        self._timer.timeout.connect(self._on_timer_timeout)

    def set_device(self, device: QAudioDevice | None) -> None:
        self._device = device

    def start(self) -> bool:
        device = self._device or QMediaDevices.defaultAudioInput()
        if device.isNull() or not QMediaDevices.audioInputs():
            self.unavailable.emit(NO_INPUT_TEXT)
            return False
        fmt = QAudioFormat()
        fmt.setSampleRate(self.SAMPLE_RATE)
        fmt.setChannelCount(1)
        fmt.setSampleFormat(QAudioFormat.SampleFormat.Int16)
        source = QAudioSource(device, fmt, self)
        io = source.start()
        if io is None or source.error() != QtAudio.Error.NoError:
            source.deleteLater()
            self.unavailable.emit(f"The microphone “{device.description()}” could not be opened.")
            return False
        self._source, self._io = source, io
        self._data.clear()
        self._level_from = 0
        io.readyRead.connect(self._on_io_ready_read)
        self._timer.start()
        return True

    def stop(self) -> bytes:
        """End the recording; everything captured since `start`."""
        self._timer.stop()
        if self._source is not None:
            self._on_io_ready_read()
            self._source.stop()
            self._source.deleteLater()
        self._source = self._io = None
        return bytes(self._data)

    def _on_io_ready_read(self) -> None:
        if self._io is not None:
            self._data += self._io.readAll().data()

    def _on_timer_timeout(self) -> None:
        self._on_io_ready_read()
        fresh = memoryview(self._data)[self._level_from : len(self._data) // 2 * 2]
        self._level_from += len(fresh)
        if fresh:
            samples = fresh.cast("h")
            rms = math.sqrt(sum(s * s for s in samples) / len(samples)) / 32768
            self.level.emit(rms)


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
        """The latest test's audio (s16le mono, `MicTestCapture.SAMPLE_RATE`)."""

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
        self._capture = MicTestCapture(self)
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
        if self._loudest < 10 ** (-50 / 20):
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
        output.play(self._playing, self.recording, MicTestCapture.SAMPLE_RATE)
        output.end(self._playing)

    def _on_output_done(self, uid: str) -> None:
        if uid == self._playing:
            self._playing = ""
            self._end_test(
                "Done. If you heard yourself, the microphone works. If not, choose another "
                "microphone above."
            )

    def _on_capture_level(self, rms: float) -> None:
        self._loudest = max(self._loudest, rms)
        self.meter.setValue(level_percent(rms))

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


__all__ = ["MicTestCapture", "MicrophonePage"]
