"""The one audio output of the app: PCM from any thread, played in order through a QAudioSink.

How it works, and why (figures measured on Qt 6.11 and 6.12 with PulseAudio's null sink, see
tests/integration/voice/test_audio_output.py):

- Push mode. Chunks go into an `UtteranceQueue` from whichever thread has them (TTS
  workers); a 10 ms timer on the GUI thread writes up to `bytesFree()` into the sink, and a
  producer whose chunk the pump was waiting for wakes it at once. The sink is opened when a
  sequence of utterances starts and kept open while they keep coming.
- A 60 ms sink buffer. Start latency does not depend on it (the first sample is heard after
  the server's own latency whatever the size), but a stop can only fade out *after* what is
  already buffered, so the buffer is what a stop costs: 60 ms plus a 5 ms fade keeps Esc
  under 100 ms, and still rides out a GUI thread busy for 40 ms.
- A 40 ms start margin. A producer that delivers barely in real time leaves the sink nothing
  in reserve and the server drops out; so a new sequence starts once 40 ms is queued, the
  utterance is complete, or 40 ms has passed. TTS usually runs ahead of real time, so this
  rarely costs anything; for 20 ms chunks in real time it costs the wait for the second one.
- No clicks. Utterances fade in and out over 5 ms (audio_queue). `stop()` and `cancel()` do
  not flush the sink, which cuts mid-waveform; they write the next 5 ms of the utterance,
  faded, right after what is buffered, and drop the rest. Volume and mute are a gain ramped
  over 5 ms here, because `QAudioSink.setVolume` steps.
- The tail is heard. Qt reports a sink idle when *its* buffer is empty, ~20 ms before the
  server has played it, so closing then cuts the end. After the last audio the output writes
  one buffer of silence, and an utterance counts as finished once that much has been consumed
  after its last sample.
- Sample rates. The sink is opened at the rate of the audio it plays (Cartesia 24 kHz, Piper
  22.05 kHz): no resampling, no loss. When the rate changes between utterances (or mid-
  utterance, on a voice fallback) the sink drains and reopens: one buffer of silence, at a
  point where a pause is natural.
- Devices. `None` follows the system default: the server moves a playing stream to a new
  default by itself, and the next sink opens there. A chosen device that disappears is
  noticed when opening it fails, when the sink stops consuming audio, or when Qt's list drops
  it; the output falls back to the default and says so with `device_lost`. (Qt 6.12 does not
  report a removed PulseAudio sink; PulseAudio moves the stream to the default, so playback
  goes on, and the next sink opens on the default.) The choice itself is kept: when the
  device is listed again (headphones plugged back in), playback moves back to it and
  `device_restored` says so. A choice can be made by id (`set_device_id`, what the settings
  keep) for a device that is not connected now; the default plays until it is.
- No sound server: `unavailable` is emitted once with a plain sentence, `play()` is ignored,
  nothing raises. Text keeps working.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from PySide6.QtCore import QMetaMethod, QObject, Qt, QThread, QTimer, Signal, SignalInstance
from PySide6.QtMultimedia import QAudioDevice, QAudioFormat, QAudioSink, QMediaDevices, QtAudio

from mayadesk.voice import audio_pcm as pcm
from mayadesk.voice.audio_queue import FADE_MS, UtteranceQueue

log = logging.getLogger("mayadesk.audio")

DEFAULT_RATE = 24000
BUFFER_MS = 60
PREBUFFER_MS = 40
TICK_MS = 10
STALL_MS = 400
LEVEL_INTERVAL_S = 0.05
RETRY_CHOSEN_S = 3.0

UNAVAILABLE_TEXT = (
    "No audio output is available, so Maya's voice can't be played. "
    "Her replies still appear as text."
)

_Events = list[tuple[SignalInstance, str]]


def _device_id(device: QAudioDevice) -> bytes:
    return bytes(device.id().data())


def _find_output(device_id: bytes) -> QAudioDevice | None:
    return next((d for d in QMediaDevices.audioOutputs() if _device_id(d) == device_id), None)


class AudioOutput(QObject):
    """Plays utterances one at a time, in order, through one QAudioSink.

    Thread rules: `play()` and `end()` may be called from any thread (PCM arrives on worker
    threads); so may `stop()` and `cancel()`, which off the GUI thread take effect on its next
    turn. Everything else belongs to the GUI thread, where the object lives. An utterance id
    is used once: chunks for an id after `end()`, `cancel()` or `stop()` are dropped, so a late
    chunk from a cancelled synthesis can't start it again. A replay uses a new id.

    Signals:
        started(str): the first audio of an utterance was written to the sink.
        finished(str): an utterance has been played to its end.
        cancelled(str): an utterance was dropped by stop(), cancel() or clear_queue(), or
            because the output became unavailable. Every utterance accepted by play() or end()
            ends with exactly one of finished or cancelled.
        stopped(): stop() has silenced the output (the fade-out is on its way to the speaker).
        unavailable(str): there is no audio output; a sentence for the user. Emitted once until
            an output appears again.
        device_lost(str): the chosen device went away and the system default is used now; a
            sentence for the user.
        device_restored(str): the chosen device is back and is used again; a sentence.
        level(float): peak level of what is being played, 0..1, at most 20 times a second
            (computed only while something is connected).
    """

    started = Signal(str)
    finished = Signal(str)
    cancelled = Signal(str)
    stopped = Signal()
    unavailable = Signal(str)
    device_lost = Signal(str)
    device_restored = Signal(str)
    level = Signal(float)

    _wake = Signal()
    _deferred = Signal(object)

    def __init__(self, parent: QObject | None = None, *, buffer_ms: int = BUFFER_MS) -> None:
        super().__init__(parent)
        self._buffer_ms = buffer_ms
        self._queue = UtteranceQueue()
        self._notice_sent = False
        self._chosen: QAudioDevice | None = None  # the preferred device, while it is listed
        self._preferred = b""  # id of the user's choice, kept while it is away; b"": default
        self._preferred_listed = False  # in Qt's list at its last change (a return is news)
        self._lost_id = b""  # the chosen device announced lost, until a sink opens on it
        self._retried_at = -RETRY_CHOSEN_S
        self._sink: QAudioSink | None = None
        self._io: object | None = None
        self._sink_device_id = b""
        self._rate = 0
        self._buffer_bytes = 0
        self._written = 0  # bytes written since the sink was opened
        self._pad_until = 0  # write silence up to here when no audio is left
        self._outbox = bytearray()  # audio to write before the queue's (a fade-out)
        self._draining: list[tuple[str, int]] = []  # (utterance, byte position of its end)
        self._started_ids: set[str] = set()
        self._fade_in_left = 0  # samples of fade-in still owed after a reopen
        self._buffering_since: float | None = None  # holding audio back to build a margin
        self._volume = 1.0
        self._muted = False
        self._gain = 1.0
        self._last_played = 0
        self._last_progress = 0.0
        self._stalls = 0
        self._last_level = 0.0
        self._level_method = QMetaMethod.fromSignal(self.level)

        self._timer = QTimer(self)
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.setInterval(TICK_MS)
        self._timer.timeout.connect(self._on_timer_timeout)
        self._wake.connect(self._on_wake, Qt.ConnectionType.QueuedConnection)
        self._deferred.connect(self._on_deferred, Qt.ConnectionType.QueuedConnection)
        self._devices = QMediaDevices(self)
        self._devices.audioOutputsChanged.connect(self._on_devices_audio_outputs_changed)
        if not QMediaDevices.audioOutputs():
            self._queue.drop_all(refuse=True)
            QTimer.singleShot(0, self, self._announce_unavailable)

    # ------------------------------------------------------------------ any thread

    def play(self, utterance_id: str, pcm_bytes: bytes, sample_rate: int = DEFAULT_RATE) -> None:
        """Append s16le mono PCM to an utterance, queuing the utterance if it is new."""
        if sample_rate <= 0:
            raise ValueError(f"sample rate must be positive, not {sample_rate}")
        if self._queue.append(utterance_id, pcm_bytes, sample_rate):
            self._wake.emit()

    def end(self, utterance_id: str) -> None:
        """No more PCM will come for this utterance: it can fade out and finish."""
        if self._queue.end(utterance_id):
            self._wake.emit()

    def stop(self) -> None:
        """Silence everything now: drop all queued audio and fade out what is playing."""
        if not self._on_gui_thread():
            self._deferred.emit(self.stop)
            return
        tail = self._queue.head_tail()
        dropped = self._take_draining() + self._queue.drop_all()
        self._fade_out_now(tail)
        self._emit_cancelled(dropped)
        self.stopped.emit()

    def cancel(self, utterance_id: str) -> None:
        """Drop one utterance; if it is playing, fade it out and go on with the next."""
        if not self._on_gui_thread():
            self._deferred.emit(lambda: self.cancel(utterance_id))
            return
        tail = self._queue.head_tail(utterance_id)
        known = self._queue.drop(utterance_id)
        draining = any(uid == utterance_id for uid, _ in self._draining)
        self._draining = [(uid, end) for uid, end in self._draining if uid != utterance_id]
        if tail:
            self._fade_out_now(tail)
        if known or draining:
            self._emit_cancelled([utterance_id])

    # ------------------------------------------------------------------ GUI thread

    def clear_queue(self) -> None:
        """Drop the utterances waiting their turn; the one playing goes on."""
        self._emit_cancelled(self._queue.drop_waiting())

    def current_utterance(self) -> str | None:
        """The utterance being heard now, if any (so a caller can decide who may speak)."""
        if self._draining:
            return self._draining[0][0]
        head = self._queue.head()
        return head.uid if head is not None and head.started else None

    def queued_utterances(self) -> list[str]:
        """Utterances accepted but not started yet, in the order they will play."""
        return self._queue.waiting()

    def is_playing(self) -> bool:
        return bool(self._queue) or self._sink is not None

    def is_available(self) -> bool:
        return not self._queue.refusing()

    def set_volume(self, volume: float) -> None:
        """Linear amplitude 0..1 (0.5 halves the RMS); takes effect within one buffer."""
        self._volume = min(1.0, max(0.0, float(volume)))

    def volume(self) -> float:
        return self._volume

    def set_muted(self, muted: bool) -> None:
        """Muted audio still plays silently, so timing and signals stay the same."""
        self._muted = bool(muted)

    def is_muted(self) -> bool:
        return self._muted

    def set_device(self, device: QAudioDevice | None) -> None:
        """Play through `device`, or follow the system default when None."""
        self._chosen = None if device is None or device.isNull() else QAudioDevice(device)
        self._preferred = b"" if self._chosen is None else _device_id(self._chosen)
        self._preferred_listed = self._chosen is not None
        self._lost_id = b""
        self._move_if_needed("the output device was changed")

    def set_device_id(self, device_id: bytes) -> None:
        """Prefer the device with this id (b"": the system default), even if it is not
        connected now: then the default plays, and the device is used once it is listed."""
        listed = _find_output(device_id) if device_id else None
        self._chosen = listed
        self._preferred = bytes(device_id)
        self._preferred_listed = listed is not None
        self._lost_id = b""
        if device_id and listed is None:
            log.info("audio output %r is not connected; using the default", device_id)
        self._move_if_needed("the output device was changed")

    def device(self) -> QAudioDevice | None:
        """The device in use by choice, or None when the system default is used."""
        return None if self._chosen is None else QAudioDevice(self._chosen)

    def preferred_device_id(self) -> bytes:
        """The id of the user's choice, kept while the device is away (b"": the default)."""
        return self._preferred

    def sink_device_id(self) -> bytes:
        """The id of the device the open sink plays on (b"" when no sink is open)."""
        return self._sink_device_id if self._sink is not None else b""

    # ------------------------------------------------------------------ the pump

    def _on_wake(self) -> None:
        if not self._timer.isActive():
            self._timer.start()
        self._pump()

    def _on_timer_timeout(self) -> None:
        self._pump()

    def _on_deferred(self, call: Callable[[], None]) -> None:
        call()

    def _pump(self) -> None:
        events: _Events = []
        try:
            self._pump_once(events)
        finally:  # emitted last, so a slot that calls back finds the state settled
            for signal, uid in events:
                signal.emit(uid)

    def _pump_once(self, events: _Events) -> None:
        if self._sink is None:
            taken = self._queue.take(0, 0)  # utterances without audio finish here, in turn
            events.extend((self.finished, uid) for uid, _, last in taken.ends if last)
            if not taken.next_rate:
                self._sleep_if_empty()
                return
            if not taken.ready or not self._open_sink(taken.next_rate):
                return
        assert self._sink is not None
        free = self._sink.bytesFree()
        played = self._written - (self._buffer_bytes - free)
        if self._check_stall(played):
            return
        self._finish_played(played, events)

        room = free - free % pcm.SAMPLE_BYTES
        block = bytearray(self._outbox[:room])
        del self._outbox[: len(block)]
        ready = self._margin_ready()
        taken = self._queue.take(room - len(block) if ready else 0, self._rate)
        if not ready:
            self._queue.want_more()  # the next chunk may complete the margin
        base = self._written + len(block)
        for uid in taken.starts:
            if uid not in self._started_ids:
                self._started_ids.add(uid)
                events.append((self.started, uid))
        for uid, offset, last in taken.ends:
            if last:
                self._draining.append((uid, base + offset))
            # One buffer of silence after the end pushes it through the server.
            self._pad_until = max(self._pad_until, base + offset + self._buffer_bytes)
        block += taken.audio
        silence = min(room - len(block), self._pad_until - self._written - len(block))
        if silence > 0:
            block += bytes(silence)
        if block:
            self._write(block)
        elif free >= self._buffer_bytes and not self._draining and taken.next_rate != self._rate:
            # The buffer ran dry after the last audio (or before audio at another rate).
            self._close_sink()
            if not taken.next_rate:
                self._sleep_if_empty()

    def _margin_ready(self) -> bool:
        """Whether a new sequence may start: PREBUFFER_MS queued, complete, or waited for.

        Not asked again after the sink runs dry mid-utterance: Qt's buffer looks empty while
        the server still holds ~20 ms, so waiting then would turn a near miss into a gap.
        """
        if self._buffering_since is None:
            return True
        head = self._queue.head()
        if (
            head is None
            or head.ended
            or head.queued >= pcm.byte_count(head.rate, PREBUFFER_MS)
            or time.monotonic() - self._buffering_since >= PREBUFFER_MS / 1000
        ):
            self._buffering_since = None
            return True
        return False

    def _write(self, block: bytearray) -> None:
        assert self._io is not None
        if self._fade_in_left:
            length = pcm.frames(self._rate, FADE_MS)
            block = bytearray(pcm.fade_in(block, length - self._fade_in_left, length))
            self._fade_in_left = max(0, self._fade_in_left - len(block) // pcm.SAMPLE_BYTES)
        target = 0.0 if self._muted else self._volume
        step = 1.0 / pcm.frames(self._rate, FADE_MS)
        data, self._gain = pcm.apply_gain(block, self._gain, target, step)
        count = self._io.write(data)  # type: ignore[attr-defined]
        if count < 0:
            self._reopen("the audio sink refused a write")
            return
        self._written += count
        if count < len(data):  # keep the rest, unscaled, for the next tick
            self._outbox[:0] = block[count:]
        now = time.monotonic()
        if now - self._last_level >= LEVEL_INTERVAL_S and self.isSignalConnected(
            self._level_method
        ):
            self._last_level = now
            self.level.emit(pcm.peak(data))

    def _finish_played(self, played: int, events: _Events) -> None:
        """Utterances whose last sample, plus one buffer for the server, has been consumed."""
        while self._draining and played >= self._draining[0][1] + self._buffer_bytes:
            uid, _ = self._draining.pop(0)
            self._started_ids.discard(uid)
            events.append((self.finished, uid))

    def _check_stall(self, played: int) -> bool:
        """A sink that stops consuming audio has lost its device: reopen, maybe elsewhere."""
        now = time.monotonic()
        if played != self._last_played or played >= self._written:
            self._last_played, self._last_progress, self._stalls = played, now, 0
            return False
        if now - self._last_progress < STALL_MS / 1000:
            return False
        self._stalls += 1
        if self._stalls > 2:
            self._go_unavailable("the audio sink stopped consuming audio")
        else:
            self._reopen("the audio sink stopped consuming audio")
        return True

    def _fade_out_now(self, tail: bytes) -> None:
        """Replace what follows the buffered audio by a short fade to silence."""
        if self._sink is None:
            self._outbox.clear()
            return
        fade = (bytes(self._outbox) + tail)[: pcm.byte_count(self._rate, FADE_MS)]
        self._outbox = bytearray(pcm.fade_out(fade) if fade else b"")
        self._pad_until = self._written + len(self._outbox) + self._buffer_bytes

    def _sleep_if_empty(self) -> None:
        if self._queue.sleep_if_empty():
            self._timer.stop()

    def _take_draining(self) -> list[str]:
        dropped = [uid for uid, _ in self._draining]
        self._draining.clear()
        return dropped

    def _emit_cancelled(self, uids: list[str]) -> None:
        for uid in dict.fromkeys(uids):
            self._started_ids.discard(uid)
            self.cancelled.emit(uid)

    # ------------------------------------------------------------------ sink and devices

    def _move_if_needed(self, reason: str) -> None:
        if self._sink is not None and _device_id(self._target_device()) != self._sink_device_id:
            self._reopen(reason)

    def _target_device(self) -> QAudioDevice:
        return self._chosen if self._chosen is not None else QMediaDevices.defaultAudioOutput()

    def _open_sink(self, rate: int) -> bool:
        if not QMediaDevices.audioOutputs():
            self._go_unavailable("the system lists no audio output")
            return False
        fmt = QAudioFormat()
        fmt.setSampleRate(rate)
        fmt.setChannelCount(1)
        fmt.setSampleFormat(QAudioFormat.SampleFormat.Int16)
        while True:
            device = self._target_device()
            sink = QAudioSink(device, fmt, self)
            sink.setBufferSize(pcm.byte_count(rate, self._buffer_ms))
            io = sink.start()
            if io is not None and sink.error() == QtAudio.Error.NoError:
                break
            log.info("opening audio output %r failed: %s", device.description(), sink.error())
            sink.deleteLater()
            if self._chosen is None:
                self._go_unavailable("the default audio output could not be opened")
                return False
            self._fall_back_to_default()
        self._sink, self._io, self._rate = sink, io, rate
        self._sink_device_id = _device_id(device)
        self._buffer_bytes = sink.bufferSize()
        self._written = self._pad_until = self._last_played = 0
        self._last_progress = self._buffering_since = time.monotonic()
        self._gain = 0.0 if self._muted else self._volume
        log.debug("audio output open on %r at %d Hz", device.description(), rate)
        if self._lost_id and self._sink_device_id == self._lost_id:
            self._lost_id = b""
            log.info("audio output %r is back; using it again", device.description())
            self.device_restored.emit(f"Maya speaks through “{device.description()}” again.")
        return True

    def _close_sink(self) -> None:
        sink = self._sink
        if sink is None:
            return
        self._sink = self._io = None
        self._rate = 0
        self._outbox.clear()
        sink.stop()
        sink.deleteLater()
        for uid in self._take_draining():  # only on a reopen: their tail went with the sink
            self._started_ids.discard(uid)
            self.finished.emit(uid)

    def _reopen(self, reason: str) -> None:
        """Move playback to a new sink (another device, or the same one after a fault).

        What the old sink still buffered is lost (at most one buffer); the new one starts
        with a fade-in so the jump does not click.
        """
        log.info("reopening the audio output: %s", reason)
        rate = self._rate
        self._close_sink()
        if rate and self._open_sink(rate):
            self._fade_in_left = pcm.frames(rate, FADE_MS)

    def _fall_back_to_default(self) -> None:
        assert self._chosen is not None
        name, lost = self._chosen.description(), _device_id(self._chosen)
        self._chosen = None
        log.info("audio output %r went away; using the system default", name)
        if lost == self._lost_id:
            return  # a retry that failed again: said once already
        self._lost_id = lost
        self.device_lost.emit(
            f"The audio output “{name}” is no longer available, "
            "so Maya now speaks through the system's default output."
        )

    def _restore_preferred(self, outputs: list[QAudioDevice]) -> None:
        """The chosen device may be back: try it again for the next sink.

        Qt (6.11 and 6.12) stops reporting the removal of a PulseAudio sink once a stream
        has been opened on it, so a lost device usually stays listed and its return is
        only an unexplained list change. Such a device is tried again when the next sink
        opens, at most every RETRY_CHOSEN_S (a failed open costs a Qt warning and a few
        ms); if it is still away, the default plays, silently. `device_restored` is
        emitted once a sink really opens on it. A device seen to leave and come back is
        moved to at once, what plays now included.
        """
        back = next((d for d in outputs if _device_id(d) == self._preferred), None)
        was_listed, self._preferred_listed = self._preferred_listed, back is not None
        now = time.monotonic()
        if back is None or (was_listed and now - self._retried_at < RETRY_CHOSEN_S):
            return
        self._retried_at = now
        self._chosen = QAudioDevice(back)
        if not was_listed:
            self._move_if_needed("the chosen output device came back")

    def _go_unavailable(self, reason: str) -> None:
        log.info("no audio output: %s", reason)
        dropped = self._take_draining() + self._queue.drop_all(refuse=True)
        self._close_sink()
        self._sleep_if_empty()
        self._announce_unavailable()
        self._emit_cancelled(dropped)

    def _announce_unavailable(self) -> None:
        if self._queue.refusing() and not self._notice_sent:
            self._notice_sent = True
            self.unavailable.emit(UNAVAILABLE_TEXT)

    def _on_devices_audio_outputs_changed(self) -> None:
        outputs = QMediaDevices.audioOutputs()
        if not outputs:
            self._preferred_listed = False
            if self._sink is not None or not self._queue.refusing():
                self._go_unavailable("the last audio output went away")
            return
        self._queue.accept()
        self._notice_sent = False
        # The open sink is left alone: PulseAudio moves a stream to a new default itself (and
        # off a removed sink), and reopening on top of that drops audio. The next sink opens
        # on the device chosen here; a sink left on a dead device stalls and is reopened.
        if self._chosen is not None and all(d.id() != self._chosen.id() for d in outputs):
            self._preferred_listed = False
            self._fall_back_to_default()
        elif self._chosen is None and self._preferred:
            self._restore_preferred(outputs)

    def _on_gui_thread(self) -> bool:
        return QThread.currentThread() == self.thread()
