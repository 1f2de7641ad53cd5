"""A list of audio devices with "System default" first, kept current as devices come and go.

Shared by Settings → Voice (outputs) and → Microphone (inputs). The setting keeps the hex of
`QAudioDevice.id()`; an empty one follows the system default. A saved device that is not
connected stays selected (marked "not connected") so the choice is not lost while it is
unplugged: the audio output goes back to it when it returns.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Signal
from PySide6.QtMultimedia import QAudioDevice, QMediaDevices
from PySide6.QtWidgets import QComboBox, QWidget

DEFAULT_TEXT = "System default"


def device_hex(device: QAudioDevice) -> str:
    return bytes(device.id().data()).hex()


def _readable(hex_id: str) -> str:
    """A name for a device that is not connected: PulseAudio's ids are its sink names."""
    try:
        text = bytes.fromhex(hex_id).decode("utf-8")
    except ValueError:
        return "A saved device"
    return text if text.isprintable() and text else "A saved device"


class DeviceCombo(QComboBox):
    """Audio devices to choose from; item data is the device id's hex ("" for the default).

    Signals:
        chosen(str): the user picked a device (its hex id; "" for the system default).
        listed(): the system's list changed and the combo shows the new one.
    """

    chosen = Signal(str)
    listed = Signal()

    def __init__(
        self,
        list_devices: Callable[[], list[QAudioDevice]],
        default_device: Callable[[], QAudioDevice],
        current: str,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._list = list_devices
        self._default = default_device
        self._current = current
        self.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.refresh()
        self.activated.connect(self._on_activated)
        self._devices = QMediaDevices(self)
        # Both lists: a default output's name shows here, and a change to either is rare.
        self._devices.audioOutputsChanged.connect(self._on_devices_changed)
        self._devices.audioInputsChanged.connect(self._on_devices_changed)

    def current_hex(self) -> str:
        return self._current

    def device_count(self) -> int:
        """How many devices the system lists now (the page says so when there are none)."""
        return len(self._list())

    def refresh(self) -> None:
        """Rebuild the list from the system's devices, keeping the selection."""
        devices = self._list()
        self.blockSignals(True)
        try:
            self.clear()
            default = self._default()
            label = DEFAULT_TEXT
            if devices and not default.isNull():
                label += f" ({default.description()})"
            self.addItem(label, "")
            for device in devices:
                self.addItem(device.description(), device_hex(device))
            index = self.findData(self._current)
            if index < 0:
                self.addItem(f"{_readable(self._current)} (not connected)", self._current)
                index = self.count() - 1
            self.setCurrentIndex(index)
        finally:
            self.blockSignals(False)

    def _on_devices_changed(self) -> None:
        self.refresh()
        self.listed.emit()

    def _on_activated(self, index: int) -> None:
        chosen = str(self.itemData(index) or "")
        if chosen != self._current:
            self._current = chosen
            self.refresh()  # drops a "not connected" entry the user moved away from
            self.chosen.emit(chosen)


def output_combo(current: str, parent: QWidget | None = None) -> DeviceCombo:
    return DeviceCombo(QMediaDevices.audioOutputs, QMediaDevices.defaultAudioOutput, current,
                       parent)


def input_combo(current: str, parent: QWidget | None = None) -> DeviceCombo:
    return DeviceCombo(QMediaDevices.audioInputs, QMediaDevices.defaultAudioInput, current,
                       parent)
