"""The microphone: s16le mono 16 kHz PCM from a QAudioSource, in small pieces, off no thread.

How it works, and why (measured with PySide6 6.11 on PulseAudio, the TestMic loopback of
tests/conftest.py):

- 16 kHz directly. PulseAudio accepts any rate and channel count and converts on the server
  (`isFormatSupported` is true for s16 mono 16 kHz although the device prefers 44.1 kHz
  stereo, and the stream delivers 32,000 bytes a second). A backend that refuses is asked for
  its preferred format instead and `PcmConverter` brings that to s16 mono 16 kHz here.
- Push mode, read on a 20 ms timer. `start()` hands back the source's QIODevice; its
  `readyRead` fires every ~5 ms with 2 to 160 bytes (odd counts too, half a sample), so the
  GUI thread would wake 200 times a second for nothing. A 20 ms timer that reads whatever is
  there gets ~640 bytes (20 ms) each time; reading never blocks. Half samples are carried
  over to the next read.
- A 500 ms source buffer: reading everything on each tick adds no latency, and a GUI thread
  busy for a few hundred milliseconds then loses nothing.
- First audio arrives ~12 ms after `start()` (an already-running server). A sound server's
  very first capture stream after it starts takes ~1.8 s to deliver (parec too): the tests
  open the mic once before they measure.
- No device, or one that cannot open: `start()` returns False and `unavailable` says so in a
  sentence; typing keeps working. A chosen device that has gone falls back to the default.
  Qt (6.11) does not notice a PulseAudio source being removed — it stays listed — so a
  vanished microphone shows up as one that cannot be opened.
"""

from __future__ import annotations

import logging
import math
import sys
from array import array
from typing import ClassVar

from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtMultimedia import QAudioDevice, QAudioFormat, QAudioSource, QMediaDevices, QtAudio

log = logging.getLogger("mayadesk.audio.input")

TICK_MS = 20
BUFFER_MS = 500
LEVEL_INTERVAL_MS = 50
LEVEL_FLOOR_DB = -60.0

NO_MICROPHONE_TEXT = (
    "No microphone is available, so MayaDesk can't hear you. You can still type to Maya."
)


def cannot_open_text(name: str) -> str:
    return (
        f"The microphone “{name}” could not be opened — it may be unplugged or busy; check "
        "it, or choose another one in Settings. You can still type to Maya."
    )


def _stopped_text(name: str) -> str:
    return (
        f"The microphone “{name}” stopped working — check its connection, or choose "
        "another one in Settings. You can still type to Maya."
    )


def level_of(pcm: bytes | bytearray) -> float:
    """A meter reading for s16le PCM: its RMS in dBFS, −60 dB → 0.0 up to 0 dB → 1.0."""
    samples = array("h")
    samples.frombytes(bytes(pcm[: len(pcm) // 2 * 2]))
    if not samples:
        return 0.0
    energy = sum(s * s for s in samples) / len(samples) / (32768.0 * 32768.0)
    if energy <= 0.0:
        return 0.0
    db = 10.0 * math.log10(energy)
    return min(1.0, max(0.0, (db - LEVEL_FLOOR_DB) / -LEVEL_FLOOR_DB))


class PcmConverter:
    """Any QAudioFormat a source gives → s16le mono at `rate`, in pieces, with state.

    Only used when a backend refuses 16 kHz mono s16 (PulseAudio never does): channels are
    averaged and the rate changed by linear interpolation, which is fine for speech going
    to a recogniser. Plain Python; about 50 ms of CPU per second of 48 kHz stereo.
    """

    _CODES: ClassVar[dict[QAudioFormat.SampleFormat, tuple[str, float, float]]] = {
        QAudioFormat.SampleFormat.UInt8: ("B", 128.0, 128.0),
        QAudioFormat.SampleFormat.Int16: ("h", 32768.0, 0.0),
        QAudioFormat.SampleFormat.Int32: ("i", 2147483648.0, 0.0),
        QAudioFormat.SampleFormat.Float: ("f", 1.0, 0.0),
    }

    def __init__(self, source: QAudioFormat, rate: int) -> None:
        code, self._scale, self._offset = self._CODES[source.sampleFormat()]
        self._code = code
        self._width = array(code).itemsize
        self._channels = max(1, source.channelCount())
        self._step = source.sampleRate() / rate  # input frames per output sample
        self._pending = b""
        # The next output sample, in input frames counted from `_previous` (index 0 of each
        # piece); the first piece has no previous frame, so it starts at its own first.
        self._position = 1.0
        self._previous = 0.0  # the last input frame of the previous piece

    def convert(self, data: bytes) -> bytes:
        data = self._pending + data
        frame_bytes = self._width * self._channels
        usable = len(data) // frame_bytes * frame_bytes
        self._pending = data[usable:]
        raw = array(self._code)
        raw.frombytes(data[:usable])
        if sys.byteorder == "big":
            raw.byteswap()
        channels = self._channels
        mono = [self._previous]
        for i in range(0, len(raw), channels):
            total = 0.0
            for c in range(channels):
                total += raw[i + c]
            mono.append((total / channels - self._offset) / self._scale)
        out = array("h")
        position = self._position
        last = len(mono) - 1
        while position < last:
            index = int(position)
            frac = position - index
            value = mono[index] + (mono[index + 1] - mono[index]) * frac
            out.append(max(-32768, min(32767, int(value * 32768.0))))
            position += self._step
        self._position = position - last
        self._previous = mono[-1]
        if sys.byteorder == "big":
            out.byteswap()
        return out.tobytes()


class AudioInput(QObject):
    """The app's microphone, opened only while someone listens (push-to-talk, hands-free).

    Lives on the GUI thread; nothing here blocks.

    Signals:
        chunk(bytes): s16le mono PCM at `SAMPLE_RATE` as it is captured, ~20 ms a piece.
        level(float): loudness of the last ~50 ms for a meter, 0..1 (−60 dBFS .. 0 dBFS),
            about 20 times a second while capturing.
        unavailable(str): there is no microphone, it could not be opened, or it stopped
            working; a sentence for the user. Capture is over when this is emitted.
    """

    SAMPLE_RATE = 16000

    chunk = Signal(bytes)
    level = Signal(float)
    unavailable = Signal(str)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._chosen: QAudioDevice | None = None
        self._source: QAudioSource | None = None
        self._io: object | None = None
        self._device_name = ""
        self._converter: PcmConverter | None = None
        self._odd = b""
        self._captured = bytearray()
        self._keep = True
        self._meter = bytearray()
        self._timer = QTimer(self)
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.setInterval(TICK_MS)
        self._timer.timeout.connect(self._on_timer_timeout)

    # -- device -----------------------------------------------------------------------

    def set_device(self, device: QAudioDevice | None) -> None:
        """Capture from `device`, or follow the system default when None (or a null device).

        While capturing, the source moves to the new device at once (what was captured so
        far is kept).
        """
        self._chosen = None if device is None or device.isNull() else QAudioDevice(device)
        if self._source is not None:
            self._drain()
            self._close_source()
            if not self._open():
                self._timer.stop()

    def device(self) -> QAudioDevice | None:
        """The chosen device, or None when following the system default."""
        return None if self._chosen is None else QAudioDevice(self._chosen)

    # -- capture ----------------------------------------------------------------------

    def start(self, *, keep: bool = True) -> bool:
        """Open the microphone and capture until `stop()`; False (and `unavailable`) if not.

        `keep=False` does not hold the audio for `stop()` (hands-free listening for hours
        would otherwise grow without end); `chunk` carries it all the same. Starting while
        capturing changes nothing and returns True.
        """
        if self._source is not None:
            return True
        self._captured = bytearray()
        self._keep = keep
        self._odd = b""
        self._meter = bytearray()
        if not self._open():
            return False
        self._timer.start()
        return True

    def stop(self) -> bytes:
        """Stop capturing; return all PCM captured since `start()` (b"" with keep=False)."""
        if self._source is not None:
            self._drain()
            self._close_source()
        self._timer.stop()
        captured, self._captured = bytes(self._captured), bytearray()
        return captured

    def is_active(self) -> bool:
        return self._source is not None

    def captured_ms(self) -> int:
        """How much audio `stop()` would return now, in milliseconds."""
        return len(self._captured) * 1000 // (2 * self.SAMPLE_RATE)

    # -- internals --------------------------------------------------------------------

    def _target(self) -> QAudioDevice | None:
        inputs = QMediaDevices.audioInputs()
        if not inputs:
            return None
        if self._chosen is not None:
            if any(d.id() == self._chosen.id() for d in inputs):
                return self._chosen
            log.info("microphone %r is gone; using the default", self._chosen.description())
        default = QMediaDevices.defaultAudioInput()
        return default if not default.isNull() else inputs[0]

    def _open(self) -> bool:
        device = self._target()
        if device is None:
            log.info("no audio input device")
            self.unavailable.emit(NO_MICROPHONE_TEXT)
            return False
        wanted = QAudioFormat()
        wanted.setSampleRate(self.SAMPLE_RATE)
        wanted.setChannelCount(1)
        wanted.setSampleFormat(QAudioFormat.SampleFormat.Int16)
        fmt, self._converter = wanted, None
        if not device.isFormatSupported(wanted):
            fmt = device.preferredFormat()
            self._converter = PcmConverter(fmt, self.SAMPLE_RATE)
            log.info("microphone refuses 16 kHz mono; converting from %d Hz", fmt.sampleRate())
        source = QAudioSource(device, fmt, self)
        source.setBufferSize(fmt.bytesForDuration(BUFFER_MS * 1000))
        io = source.start()
        if io is None or source.error() != QtAudio.Error.NoError:
            log.info("opening microphone %r failed: %s", device.description(), source.error())
            source.deleteLater()
            self.unavailable.emit(cannot_open_text(device.description()))
            return False
        self._source, self._io = source, io
        self._device_name = device.description()
        log.debug("microphone %r open at %d Hz", self._device_name, fmt.sampleRate())
        return True

    def _close_source(self) -> None:
        source, self._source, self._io = self._source, None, None
        if source is not None:
            source.stop()
            source.deleteLater()

    def _on_timer_timeout(self) -> None:
        if self._source is None:
            self._timer.stop()
            return
        self._drain()
        if self._source is not None and self._source.error() not in (
            QtAudio.Error.NoError,
            QtAudio.Error.UnderrunError,
        ):
            log.info("microphone %r failed: %s", self._device_name, self._source.error())
            self._close_source()
            self._timer.stop()
            self.unavailable.emit(_stopped_text(self._device_name))

    def _drain(self) -> None:
        """Read what the source holds now and hand it on (never waits)."""
        if self._io is None:
            return
        raw = bytes(self._io.readAll().data())  # type: ignore[attr-defined]
        if not raw:
            return
        pcm = self._converter.convert(raw) if self._converter is not None else raw
        if self._odd:
            pcm = self._odd + pcm
        cut = len(pcm) // 2 * 2
        self._odd, pcm = pcm[cut:], pcm[:cut]
        if not pcm:
            return
        if self._keep:
            self._captured += pcm
        self._meter += pcm
        if len(self._meter) >= 2 * self.SAMPLE_RATE * LEVEL_INTERVAL_MS // 1000:
            self.level.emit(level_of(self._meter))
            self._meter = bytearray()
        self.chunk.emit(pcm)
