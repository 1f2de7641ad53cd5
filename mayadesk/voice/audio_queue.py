"""The utterance queue behind the audio output: PCM in from any thread, audio out in order.

Plain Python with one lock, no Qt: producers (TTS workers) append, the output's pump on the
GUI thread takes. It also owns the edits that must happen where the samples wait: each
utterance fades in over its first FADE_MS, and the last FADE_MS of an unfinished utterance is
held back so that `end()` can still fade it out (an abrupt end clicks).
"""

from __future__ import annotations

import threading
from collections import OrderedDict, deque
from dataclasses import dataclass, field

from mayadesk.voice import audio_pcm as pcm

FADE_MS = 5
_TOMBSTONES = 4096


@dataclass(eq=False)
class _Segment:
    """Queued PCM of one utterance at one sample rate (a fallback voice may change the rate)."""

    uid: str
    rate: int  # 0 for an utterance that ended without audio
    data: bytearray = field(default_factory=bytearray)
    odd: bytes = b""  # half a sample, waiting for the chunk that completes it
    received: int = 0  # samples received so far, so the fade-in spans small chunks
    ended: bool = False  # no more PCM will come for this segment
    last: bool = True  # False when the utterance continues in a segment at another rate
    started: bool = False  # audio has been taken from it

    def hold(self) -> int:
        return 0 if self.ended else pcm.byte_count(self.rate, FADE_MS)


@dataclass
class Taken:
    """What one pass over the queue produced, for the pump to act on outside the lock."""

    audio: bytes = b""
    starts: list[str] = field(default_factory=list)  # utterances whose first audio this is
    ends: list[tuple[str, int, bool]] = field(default_factory=list)  # (id, offset, last)
    next_rate: int = 0  # rate the head of the queue needs; 0 when the queue is empty
    ready: bool = False  # the head has audio to give (or is an ended, empty utterance)


@dataclass
class Head:
    """The utterance at the front of the queue, as the pump needs to see it."""

    uid: str
    rate: int
    queued: int  # bytes waiting
    ended: bool
    started: bool


class UtteranceQueue:
    """Thread-safe queue of utterances. An id is used once: after end(), drop() or
    drop_all(), chunks for it are ignored, so a late chunk can't restart a cancelled reply."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._segments: deque[_Segment] = deque()
        self._open: dict[str, _Segment] = {}
        self._closed: OrderedDict[str, None] = OrderedDict()
        self._refusing = False
        self._awake = False  # the consumer is running (or has been told to)
        self._starved = False  # the consumer wanted more audio than was queued

    # ------------------------------------------------------------------ producers

    def append(self, uid: str, data: bytes, rate: int) -> bool:
        """Queue PCM for `uid`; returns whether the consumer must be woken."""
        with self._lock:
            if self._refusing or uid in self._closed:
                return False
            segment = self._open.get(uid)
            if segment is None:
                segment = self._new(uid, rate)
            elif segment.rate != rate:
                self._end(segment, last=False)
                segment = self._new(uid, rate)
            raw = segment.odd + bytes(data)
            whole = len(raw) - len(raw) % pcm.SAMPLE_BYTES
            segment.odd = raw[whole:]
            segment.data += pcm.fade_in(raw[:whole], segment.received, pcm.frames(rate, FADE_MS))
            segment.received += whole // pcm.SAMPLE_BYTES
            return self._claim_wake()

    def end(self, uid: str) -> bool:
        """No more PCM for `uid` (queued empty if it never had any); returns whether to wake."""
        with self._lock:
            if self._refusing or uid in self._closed:
                return False
            segment = self._open.get(uid) or self._new(uid, 0)
            self._end(segment, last=True)
            self._close(uid)
            return self._claim_wake()

    # ------------------------------------------------------------------ the consumer

    def take(self, limit: int, rate: int) -> Taken:
        """Take up to `limit` bytes of audio at `rate`, in utterance order."""
        taken = Taken()
        out = bytearray()
        with self._lock:
            while self._segments:
                segment = self._segments[0]
                if segment.rate and segment.rate != rate and (segment.data or not segment.ended):
                    break  # the sink must drain and reopen at this segment's rate first
                count = min(max(0, len(segment.data) - segment.hold()), limit - len(out))
                if count:
                    out += segment.data[:count]
                    del segment.data[:count]
                    if not segment.started:
                        segment.started = True
                        taken.starts.append(segment.uid)
                if segment.ended and not segment.data:
                    self._segments.popleft()
                    taken.ends.append((segment.uid, len(out), segment.last))
                    continue
                break
            taken.audio = bytes(out)
            self._starved = len(out) < limit
            if self._segments:
                head = self._segments[0]
                taken.next_rate = head.rate or rate
                taken.ready = len(head.data) > head.hold() or head.ended
        return taken

    def head(self) -> Head | None:
        with self._lock:
            if not self._segments:
                return None
            s = self._segments[0]
            return Head(s.uid, s.rate, len(s.data), s.ended, s.started)

    def want_more(self) -> None:
        """The consumer waits for audio: the next append wakes it at once."""
        with self._lock:
            self._starved = True

    def sleep_if_empty(self) -> bool:
        """Mark the consumer asleep if nothing is queued; returns whether it may sleep."""
        with self._lock:
            if self._segments:
                return False
            self._awake = False
            return True

    def head_tail(self, uid: str | None = None) -> bytes:
        """The next FADE_MS of the playing utterance (`uid`, if given): what a fade-out uses."""
        with self._lock:
            head = self._segments[0] if self._segments else None
            if head is None or not head.started or (uid is not None and head.uid != uid):
                return b""
            return bytes(head.data[: pcm.byte_count(head.rate, FADE_MS)])

    # ------------------------------------------------------------------ dropping

    def drop(self, uid: str) -> bool:
        """Drop one utterance; returns whether it was queued."""
        with self._lock:
            known = any(s.uid == uid for s in self._segments)
            self._segments = deque(s for s in self._segments if s.uid != uid)
            self._open.pop(uid, None)
            self._close(uid)
            return known

    def drop_waiting(self) -> list[str]:
        """Drop every utterance that has not started; returns them in queue order."""
        with self._lock:
            playing = (
                self._segments[0].uid if self._segments and self._segments[0].started else None
            )
            dropped = list(dict.fromkeys(s.uid for s in self._segments if s.uid != playing))
            self._segments = deque(s for s in self._segments if s.uid == playing)
            for uid in dropped:
                self._open.pop(uid, None)
                self._close(uid)
            return dropped

    def drop_all(self, *, refuse: bool = False) -> list[str]:
        """Drop everything (and with `refuse`, ignore appends until `accept()`)."""
        with self._lock:
            dropped = list(dict.fromkeys(s.uid for s in self._segments))
            for uid in dropped:
                self._close(uid)
            self._segments.clear()
            self._open.clear()
            self._refusing = self._refusing or refuse
            return dropped

    def accept(self) -> None:
        with self._lock:
            self._refusing = False

    def refusing(self) -> bool:
        with self._lock:
            return self._refusing

    # ------------------------------------------------------------------ looking

    def waiting(self) -> list[str]:
        with self._lock:
            return list(dict.fromkeys(s.uid for s in self._segments if not s.started))

    def __bool__(self) -> bool:
        with self._lock:
            return bool(self._segments)

    # ------------------------------------------------------------------ internals (lock held)

    def _new(self, uid: str, rate: int) -> _Segment:
        segment = _Segment(uid, rate)
        self._segments.append(segment)
        self._open[uid] = segment
        return segment

    def _end(self, segment: _Segment, *, last: bool) -> None:
        segment.ended, segment.last, segment.odd = True, last, b""
        if segment.data:
            fade = min(len(segment.data), pcm.byte_count(segment.rate, FADE_MS))
            segment.data[-fade:] = pcm.fade_out(segment.data[-fade:])
        if last:
            self._open.pop(segment.uid, None)

    def _close(self, uid: str) -> None:
        self._closed[uid] = None
        while len(self._closed) > _TOMBSTONES:
            self._closed.popitem(last=False)

    def _claim_wake(self) -> bool:
        """Wake a sleeping consumer, or a starved one at once rather than at its next tick:
        that gives a chunk that arrives just in time 10 ms more margin."""
        if self._awake and not self._starved:
            return False
        self._awake = True
        self._starved = False
        return True
