"""Talking to Maya: push-to-talk and hands-free, from the microphone to words for a tab.

One controller per app (there is one microphone); the UI points it at the current tab with
`set_transcriber` and routes the words with the `Transcript.target` it reports (or simply
takes `transcribed(str)` for the tab in front).

- Push-to-talk: `press()` opens the mic (or keeps the hands-free one) and collects what it
  hears; `release()` sends it to be transcribed on a worker thread. Too short, or nothing
  but digital silence: a `notice` instead of a request.
- Hands-free: `set_hands_free(True)` keeps the mic open and runs voice activity detection
  (voice/vad.py) on the chunks; each utterance, with a little audio either side, is
  transcribed on its own.
- Maya's own voice: by default the mic is deaf while she speaks (`maya_speaking()` is asked
  for every chunk), so her reply never comes back as the user's words. With "listen while
  speaking" it stays open, and the detector's echo guard ignores her first moments and
  demands a loud voice until she stops.
- Barge-in: pressing push-to-talk, or the detector hearing the user start, while Maya
  speaks emits `barge_in`; the UI connects it to the tab's Stop.

Results come back to the GUI thread as queued signals; a transcription that finishes after
`cancel()` (or after the controller moved on) is dropped. Nothing here blocks the GUI thread.

- A failed transcription loses nothing: its recording is kept (the last one per target) and
  `retry(target)` sends it again, once the user has fixed the key or the service is back.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt, Signal

from mayadesk.config import Settings
from mayadesk.daemon_executor import DaemonExecutor
from mayadesk.voice.audio_input import AudioInput, level_of
from mayadesk.voice.transcribe import Transcriber, Transcript, TranscriptionError
from mayadesk.voice.vad import (
    EchoGuard,
    UtteranceEnded,
    UtteranceStarted,
    VadConfig,
    VoiceActivityDetector,
)

if TYPE_CHECKING:
    from mayadesk.voice.audio_output import AudioOutput

log = logging.getLogger("mayadesk.voice_input")

RATE = AudioInput.SAMPLE_RATE
BYTES_PER_MS = 2 * RATE // 1000
# After a barge-in the mic opens while the last of Maya's voice is still in the sound path
# (stop leaves 50-65 ms above a ~30 ms path here); that much of the recording is hers.
BARGE_IN_TAIL_MS = 150
PRE_ROLL_MS = 200
"""Audio kept before a detected start: the detector's start is at most a frame late, and a
soft first consonant is better sent than clipped."""
POST_ROLL_MS = 150
MAX_UTTERANCE_MS = 30_000
"""Hands-free: an utterance this long is sent as it is (the detector never heard an end)."""
SILENT_DBFS_LEVEL = 0.08
"""`level_of` of the loudest 50 ms below this (about −55 dBFS) means nothing was heard."""

TOO_SHORT_TEXT = (
    "That was too short to hear — hold the talk button (or Ctrl+Space) while you speak."
)
NOTHING_HEARD_TEXT = (
    "MayaDesk heard nothing from the microphone — check that it is not muted, then try again."
)
NO_WORDS_TEXT = "Maya didn't catch any words in that — try again, a little closer to the mic."
RETRY_GONE_TEXT = "That recording is no longer kept — please say it again."
NO_TRANSCRIBER_TEXT = "Speech can't be sent right now: no conversation is open to take it."


@dataclass(frozen=True, slots=True)
class _Outcome:
    job: int
    text: str | None
    error: TranscriptionError | None
    provider: str
    audio_ms: int
    target: object
    pcm: bytes


class VoiceInput(QObject):
    """Push-to-talk and hands-free listening, transcription off the GUI thread, barge-in.

    Signals:
        listening(bool): the controller started or stopped listening (push-to-talk held, or
            hands-free on), for the mic button's state.
        level(float): the microphone's loudness, 0..1, ~20 times a second while listening.
        speech_started(): hands-free heard the user start an utterance.
        transcribing(): an utterance went off to be transcribed (show a spinner).
        transcribed(str): the words of an utterance, never empty.
        transcript(object): the same, as a `voice.transcribe.Transcript` (text, provider,
            audio length, and the target — the session id — it was said to).
        failed(str): transcription failed; one sentence for the user (`failure` has details).
            The recording is kept for `retry()`.
        failure(object): the `TranscriptionError`.
        notice(str): nothing was sent and why (too short, nothing heard, no words).
        barge_in(): the user started talking (push-to-talk or detected) while Maya speaks.
        unavailable(str): no microphone, or it could not be opened; typing still works.
    """

    listening = Signal(bool)
    level = Signal(float)
    speech_started = Signal()
    transcribing = Signal()
    transcribed = Signal(str)
    transcript = Signal(object)
    failed = Signal(str)
    failure = Signal(object)
    notice = Signal(str)
    barge_in = Signal()
    unavailable = Signal(str)

    _finished = Signal(object)

    def __init__(
        self,
        audio_input: AudioInput,
        transcriber: Transcriber | None = None,
        *,
        settings: Settings | None = None,
        maya_speaking: Callable[[], bool] | None = None,
        echo_guard: EchoGuard | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._audio = audio_input
        self._transcriber = transcriber
        self._maya_speaking: Callable[[], bool] = maya_speaking or (lambda: False)
        self._echo_guard = echo_guard or EchoGuard()
        self._settings = settings or Settings()
        self._vad = VoiceActivityDetector(self._vad_config())
        self._listen_while_speaking = self._settings.listen_while_speaking
        self._hands_free = False
        self._pressed = False
        self._ptt = bytearray()
        self._ptt_skip = 0
        self._stream = bytearray()  # hands-free audio, from VAD position `_stream_base`
        self._stream_base = 0
        self._muted = False
        self._guarded = False
        self._job = 0
        self._first_wanted = 1  # outcomes of earlier jobs were cancelled
        self._executor: DaemonExecutor | None = None
        self._jobs_cancel = threading.Event()
        self._kept: dict[object, bytes] = {}  # a failed recording per target, for retry()
        self._finished.connect(self._on_job_finished, Qt.ConnectionType.QueuedConnection)
        audio_input.chunk.connect(self._on_audio_chunk)
        audio_input.level.connect(self.level)
        audio_input.unavailable.connect(self._on_audio_unavailable)

    # -- configuration ------------------------------------------------------------------

    def apply_settings(self, settings: Settings) -> None:
        """Take the thresholds and "listen while speaking" from `settings` (from now on)."""
        self._settings = settings
        self._listen_while_speaking = settings.listen_while_speaking
        self._vad = VoiceActivityDetector(self._vad_config())
        self._reset_stream()

    def set_transcriber(self, transcriber: Transcriber | None) -> None:
        """Who turns the next utterances into text (the current tab's transcriber)."""
        self._transcriber = transcriber

    def set_maya_speaking(self, speaking: Callable[[], bool]) -> None:
        self._maya_speaking = speaking

    def watch_output(self, output: AudioOutput) -> None:
        """Follow the app's audio output: Maya speaks while it plays."""
        self._maya_speaking = output.is_playing

    def set_listen_while_speaking(self, on: bool) -> None:
        self._listen_while_speaking = on

    # -- push-to-talk -------------------------------------------------------------------

    def press(self) -> None:
        """The talk key went down (or the mic button was clicked on): start collecting."""
        if self._pressed:
            return
        barged = self._maya_speaking()
        if barged:
            self.barge_in.emit()
        if not self._audio.is_active() and not self._audio.start(keep=False):
            return
        self._pressed = True
        self._ptt = bytearray()
        self._ptt_skip = BARGE_IN_TAIL_MS * BYTES_PER_MS if barged else 0
        if not self._hands_free:
            self.listening.emit(True)

    def release(self) -> None:
        """The talk key went up: send what was said to be transcribed (or say why not)."""
        if not self._pressed:
            return
        self._pressed = False
        if not self._hands_free:
            self._audio.stop()  # its last chunk arrives (synchronously) before it returns
            self.listening.emit(False)
        pcm, self._ptt = bytes(self._ptt[self._ptt_skip :]), bytearray()
        self._reset_stream()
        if len(pcm) < self._settings.min_speech_ms * BYTES_PER_MS:
            self.notice.emit(TOO_SHORT_TEXT)
            return
        if _loudest(pcm) < SILENT_DBFS_LEVEL:
            self.notice.emit(NOTHING_HEARD_TEXT)
            return
        self._submit(pcm)

    def is_pressed(self) -> bool:
        return self._pressed

    # -- hands-free ---------------------------------------------------------------------

    def set_hands_free(self, on: bool) -> None:
        """Listen continuously and send each utterance the detector hears."""
        if on == self._hands_free:
            return
        if on:
            if not self._audio.is_active() and not self._audio.start(keep=False):
                return
            self._hands_free = True
            self._vad.reset(keep_floor=False)
            self._reset_stream()
            if not self._pressed:
                self.listening.emit(True)
            return
        self._hands_free = False
        self._reset_stream()
        if not self._pressed:
            self._audio.stop()
            self.listening.emit(False)

    def is_hands_free(self) -> bool:
        return self._hands_free

    def is_listening(self) -> bool:
        return self._hands_free or self._pressed

    # -- a failed transcription, again ---------------------------------------------------

    def has_kept(self, target: object) -> bool:
        """Whether a recording said to `target` failed to transcribe and can be retried."""
        return target in self._kept

    def retry(self, target: object) -> bool:
        """Send `target`'s failed recording to be transcribed again (with its transcriber,
        which must be the current one); False when there is nothing to retry."""
        if target not in self._kept or getattr(self._transcriber, "target", None) != target:
            return False
        self._submit(self._kept.pop(target))
        return True

    def forget(self, target: object) -> None:
        """`target` is gone (its tab closed): its failed recording goes with it."""
        self._kept.pop(target, None)

    # -- stopping -----------------------------------------------------------------------

    def cancel(self) -> None:
        """Drop what is being collected and any transcription not yet delivered."""
        self._jobs_cancel.set()
        self._jobs_cancel = threading.Event()
        self._first_wanted = self._job + 1
        was_pressed, self._pressed = self._pressed, False
        self._ptt = bytearray()
        self._reset_stream()
        if was_pressed and not self._hands_free:
            self._audio.stop()
            self.listening.emit(False)

    def shut_down(self) -> None:
        """At exit: stop listening and abandon pending transcriptions (daemon thread)."""
        self.cancel()
        if self._hands_free:
            self.set_hands_free(False)
        if self._executor is not None:
            self._executor.shutdown(wait=False, cancel_futures=True)
            self._executor = None

    # -- the chunk stream ---------------------------------------------------------------

    def _on_audio_chunk(self, pcm: bytes) -> None:
        if self._pressed:
            self._ptt += pcm
            return
        if not self._hands_free:
            return
        speaking = self._maya_speaking()
        if speaking and not self._listen_while_speaking:
            if not self._muted:
                self._muted = True
                self._reset_stream()
            return
        if self._muted:  # she stopped: start afresh, keeping what was learnt of the room
            self._muted = False
            self._reset_stream()
        if speaking != self._guarded:
            self._guarded = speaking
            self._vad.guard(self._echo_guard if speaking else None)
        self._stream += pcm
        for event in self._vad.feed(pcm):
            if isinstance(event, UtteranceStarted):
                if speaking:
                    self.barge_in.emit()
                self.speech_started.emit()
            elif isinstance(event, UtteranceEnded):
                self._send_utterance(event.start, event.end)
        self._bound_stream()

    def _send_utterance(self, start: int, end: int) -> None:
        first = max(self._stream_base, start - PRE_ROLL_MS * RATE // 1000)
        last = min(self._stream_base + len(self._stream) // 2, end + POST_ROLL_MS * RATE // 1000)
        pcm = bytes(self._stream[2 * (first - self._stream_base) : 2 * (last - self._stream_base)])
        self._submit(pcm)

    def _bound_stream(self) -> None:
        """Keep only what an utterance may still need: its own audio, else a pre-roll."""
        if self._vad.in_speech:
            keep_ms = MAX_UTTERANCE_MS + PRE_ROLL_MS
            if len(self._stream) > keep_ms * BYTES_PER_MS:
                for event in self._vad.flush():
                    if isinstance(event, UtteranceEnded):
                        self._send_utterance(event.start, event.end)
                self._vad.reset()
                self._reset_stream()
            return
        keep = (1000 + PRE_ROLL_MS) * BYTES_PER_MS  # the detector looks back up to 400 ms
        extra = len(self._stream) - keep
        if extra > 0:
            extra -= extra % 2
            del self._stream[:extra]
            self._stream_base += extra // 2

    def _reset_stream(self) -> None:
        self._vad.reset()
        self._guarded = False
        self._stream = bytearray()
        self._stream_base = 0

    def _on_audio_unavailable(self, text: str) -> None:
        stopped = self._pressed or self._hands_free
        self._pressed = self._hands_free = False
        self._ptt = bytearray()
        self._reset_stream()
        if stopped:
            self.listening.emit(False)
        self.unavailable.emit(text)

    # -- transcription ------------------------------------------------------------------

    def _submit(self, pcm: bytes) -> None:
        transcriber = self._transcriber
        if transcriber is None:
            self.notice.emit(NO_TRANSCRIBER_TEXT)
            return
        if self._executor is None:
            self._executor = DaemonExecutor("mayadesk-transcribe")
        self._job += 1
        job, cancel = self._job, self._jobs_cancel
        provider = str(getattr(transcriber, "provider", type(transcriber).__name__))
        target = getattr(transcriber, "target", None)
        audio_ms = len(pcm) // BYTES_PER_MS
        self.transcribing.emit()
        self._executor.submit(self._run, transcriber, pcm, job, cancel, provider, audio_ms, target)

    def _run(
        self,
        transcriber: Transcriber,
        pcm: bytes,
        job: int,
        cancel: threading.Event,
        provider: str,
        audio_ms: int,
        target: object,
    ) -> None:
        """On the worker thread: one transcription; the outcome goes back queued."""
        text: str | None = None
        error: TranscriptionError | None = None
        try:
            text = transcriber.transcribe(pcm, RATE, cancel)
        except TranscriptionError as exc:
            error = exc
        except Exception as exc:  # a bug, not the service: say so plainly, log the type
            log.exception("Transcription failed unexpectedly")
            error = TranscriptionError(
                "bad_response",
                f"Something unexpected went wrong while transcribing ({type(exc).__name__}) "
                "— try again; if it keeps happening, the log has details.",
                retryable=True,
                provider=provider,
            )
        self._finished.emit(_Outcome(job, text, error, provider, audio_ms, target, pcm))

    def _on_job_finished(self, outcome: _Outcome) -> None:
        if outcome.job < self._first_wanted:
            return
        if outcome.error is not None:
            if outcome.error.category.value == "cancelled":
                return
            self._kept[outcome.target] = outcome.pcm
            self.failure.emit(outcome.error)
            self.failed.emit(outcome.error.message)
            return
        self._kept.pop(outcome.target, None)  # a retry that worked, or words said again
        text = (outcome.text or "").strip()
        if not text:
            self.notice.emit(NO_WORDS_TEXT)
            return
        self.transcript.emit(Transcript(text, outcome.provider, outcome.audio_ms, outcome.target))
        self.transcribed.emit(text)

    def _vad_config(self) -> VadConfig:
        s = self._settings
        return VadConfig(
            speech_threshold_db=s.speech_threshold_db,
            end_silence_ms=s.end_silence_ms,
            min_speech_ms=s.min_speech_ms,
        )


def _loudest(pcm: bytes) -> float:
    """The meter level of the loudest 50 ms of `pcm`."""
    step = 50 * BYTES_PER_MS
    return max((level_of(pcm[i : i + step]) for i in range(0, len(pcm), step)), default=0.0)
