"""The system voice (QTextToSpeech, speech-dispatcher on Linux): the last voice before text.

It plays by itself — straight to the sound server, not through `AudioOutput` — so it is
stopped with `QTextToSpeech.stop()`, and a replay speaks the text again. It is a QObject
that must live on the GUI thread; the speech pipeline runs elsewhere, so it talks to this
object only through `post()` / `post_stop()`, which travel as queued signals.

Two things learnt on Debian 12 (see the integration test):

- speech-dispatcher (autospawned by libspeechd from this process, inheriting its
  environment) exits at once with "setlocale: No such file or directory" when ``LANG`` names
  a locale that is not generated; Qt then reports "Connection to speech-dispatcher failed".
  That is a system problem we can only diagnose: `unavailable_reason()` says so.
- With ``LANG=C.UTF-8`` the server runs, but Qt's plugin initialises its voice from the
  default `QLocale` (C), finds none and reports Error. Maya speaks English whatever the
  desktop's language, so the engine is created with an English default locale (restored
  right after), which makes it pick an English voice.

Audio order: when the chain falls back to this voice mid-reply, earlier sentences may still
be queued in `AudioOutput`. A posted sentence can name those utterances (`after`); it is held
until the output has finished or dropped all of them, so the two paths never talk at once.
"""

from __future__ import annotations

import locale
import logging
from collections.abc import Sequence
from typing import Protocol

from PySide6.QtCore import QLocale, QObject, Qt, Signal, SignalInstance
from PySide6.QtTextToSpeech import QTextToSpeech

log = logging.getLogger("mayadesk.tts")

ENGINE = "speechd"


class UtterancePlayer(Protocol):
    """What of `AudioOutput` the system voice waits on (its GUI-thread API and signals)."""

    finished: SignalInstance
    cancelled: SignalInstance

    def current_utterance(self) -> str | None: ...
    def queued_utterances(self) -> list[str]: ...


class SystemVoice(QObject):
    """QTextToSpeech behind a thread-safe front. GUI thread only, except `post*` and
    `available()`.

    Signals:
        state_changed(QTextToSpeech.State): the engine's state (Speaking, Ready, Error...).
    """

    name = "system"
    state_changed = Signal(object)

    _posted = Signal(str, object)
    _stop_posted = Signal()

    def __init__(
        self,
        parent: QObject | None = None,
        *,
        engine: str = ENGINE,
        audio: UtterancePlayer | None = None,
    ) -> None:
        super().__init__(parent)
        self._audio = audio
        self._pending: list[tuple[str, frozenset[str]]] = []
        self._tts = _english_engine(engine, self)
        self._reason = f"The system voice can't be used: Qt has no {engine!r} speech engine here."
        self._available = False
        if self._tts is not None:
            self._note_state(self._tts.state())
            self._tts.stateChanged.connect(self._on_tts_state_changed)
        self._posted.connect(self._on_posted, Qt.ConnectionType.QueuedConnection)
        self._stop_posted.connect(self.stop, Qt.ConnectionType.QueuedConnection)
        if audio is not None:
            audio.finished.connect(self._on_audio_done)
            audio.cancelled.connect(self._on_audio_done)

    # ------------------------------------------------------------------ any thread

    def available(self) -> bool:
        return self._available

    def unavailable_reason(self) -> str:
        """One sentence for the user when `available()` is false; empty otherwise."""
        return self._reason

    def post(self, text: str, after: Sequence[str] = ()) -> None:
        """Speak `text` on the GUI thread, once the utterances `after` are no longer heard."""
        self._posted.emit(text, frozenset(after))

    def post_stop(self) -> None:
        self._stop_posted.emit()

    # ------------------------------------------------------------------ GUI thread

    def state(self) -> QTextToSpeech.State:
        return QTextToSpeech.State.Error if self._tts is None else self._tts.state()

    def say(self, text: str) -> None:
        """Queue `text` behind what is being said (`QTextToSpeech.say` would cut it off)."""
        if self._tts is not None and self._available and text.strip():
            self._tts.enqueue(text)

    def stop(self) -> None:
        """Silence now and forget what was waiting.

        Asked of the engine whatever its state: between two queued sentences it reports
        Ready for a moment, and skipping the stop then would let the next one play."""
        self._pending.clear()
        if self._tts is not None and self._available:
            self._tts.stop(QTextToSpeech.BoundaryHint.Immediate)

    def _on_posted(self, text: str, after: frozenset[str]) -> None:
        self._pending.append((text, after))
        self._release()

    def _on_audio_done(self, _utterance_id: str) -> None:
        if self._pending:
            self._release()

    def _release(self) -> None:
        """Hand the engine every waiting sentence whose earlier audio is over, in order."""
        while self._pending:
            text, after = self._pending[0]
            if after and self._audio is not None:
                heard = {self._audio.current_utterance(), *self._audio.queued_utterances()}
                if after & heard:
                    return
            self._pending.pop(0)
            self.say(text)

    def _on_tts_state_changed(self, state: QTextToSpeech.State) -> None:
        self._note_state(state)
        self.state_changed.emit(state)

    def _note_state(self, state: QTextToSpeech.State) -> None:
        if state is QTextToSpeech.State.Error:
            error = "" if self._tts is None else self._tts.errorString()
            self._available = False
            self._reason = _explain(error)
            log.info("System voice unavailable: %s", error)
        else:
            self._available = True
            self._reason = ""


def _english_engine(engine: str, parent: QObject) -> QTextToSpeech | None:
    """The engine, created while the default locale is English, so it picks an English voice;
    None when Qt has no such engine (creating it anyway only logs a Qt warning)."""
    if engine not in QTextToSpeech.availableEngines():
        return None
    saved = QLocale()
    if saved.language() != QLocale.Language.English:
        QLocale.setDefault(QLocale(QLocale.Language.English, QLocale.Country.UnitedStates))
    try:
        return QTextToSpeech(engine, parent)
    finally:
        QLocale.setDefault(saved)


def _explain(error: str) -> str:
    if "connection" in error.lower() and not _locale_usable():
        return (
            "The system voice can't start: speech-dispatcher needs the language set in LANG "
            "to be installed on this computer (or LANG=C.UTF-8)."
        )
    if "connection" in error.lower():
        return "The system voice can't start: speech-dispatcher is not running or installed."
    return "The system voice reported an error and can't be used."


def _locale_usable() -> bool:
    """Whether the C library accepts the environment's locale (what speech-dispatcher needs)."""
    saved = locale.setlocale(locale.LC_MESSAGES)
    try:
        locale.setlocale(locale.LC_MESSAGES, "")
    except locale.Error:
        return False
    finally:
        locale.setlocale(locale.LC_MESSAGES, saved)
    return True
