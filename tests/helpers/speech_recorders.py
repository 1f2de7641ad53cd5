"""What the speech pipeline produced, recorded so a test can wait on it and judge it."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import TypeVar

import numpy as np

from mayadesk.voice.events import PieceVoiced, SpeechEvent, SpeechFinished

E = TypeVar("E")


class Events:
    """Thread-safe list of speech events that a test can wait on (no sleeping)."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self.items: list[SpeechEvent] = []

    def __call__(self, event: SpeechEvent) -> None:
        with self._cond:
            self.items.append(event)
            self._cond.notify_all()

    def wait_for(self, predicate: Callable[[list[SpeechEvent]], bool], timeout: float = 20) -> None:
        with self._cond:
            assert self._cond.wait_for(lambda: predicate(self.items), timeout), self.items

    def finished(self, reply_id: str, timeout: float = 20) -> SpeechFinished:
        def match(e: SpeechEvent) -> bool:
            return isinstance(e, SpeechFinished) and e.reply_id == reply_id

        self.wait_for(lambda items: any(match(e) for e in items), timeout)
        return next(e for e in self.of(SpeechFinished) if e.reply_id == reply_id)

    def of(self, kind: type[E]) -> list[E]:
        with self._cond:
            return [e for e in self.items if isinstance(e, kind)]

    def voiced(self) -> list[tuple[int, str, str]]:
        return [(e.index, e.text, e.voice) for e in self.of(PieceVoiced)]


class Sink:
    """An in-memory audio output with AudioOutput's rules: an id is used once, chunks after
    its end or cancel are dropped."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self.audio: dict[str, bytearray] = {}
        self.rates: dict[str, int] = {}
        self.ended: list[str] = []
        self.cancelled: list[str] = []
        self.first_audio_at: float | None = None
        self.chunks = 0
        self.sequence: list[str] = []  # the utterance of every chunk, in arrival order

    def play(self, uid: str, pcm: bytes, rate: int) -> None:
        with self._cond:
            if uid in self.ended or uid in self.cancelled:
                return
            if self.first_audio_at is None:
                self.first_audio_at = time.monotonic()
            self.audio.setdefault(uid, bytearray()).extend(pcm)
            self.rates[uid] = rate
            self.chunks += 1
            self.sequence.append(uid)
            self._cond.notify_all()

    def end(self, uid: str) -> None:
        with self._cond:
            self.ended.append(uid)
            self._cond.notify_all()

    def cancel(self, uid: str) -> None:
        with self._cond:
            self.cancelled.append(uid)
            self._cond.notify_all()

    def wait_for(self, predicate: Callable[[], bool], timeout: float = 10) -> None:
        with self._cond:
            assert self._cond.wait_for(predicate, timeout)

    def heard(self) -> list[str]:
        """Utterances that were played and not cancelled, in order."""
        with self._cond:
            return [uid for uid in self.audio if uid not in self.cancelled]

    def samples(self, uid: str) -> np.ndarray:
        return np.frombuffer(bytes(self.audio[uid]), dtype="<i2").astype(np.float64) / 32768.0


def rms(samples: np.ndarray) -> float:
    return float(np.sqrt(np.mean(samples**2))) if len(samples) else 0.0
