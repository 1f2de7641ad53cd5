"""The audio of Maya's replies, kept in memory so Play can say a reply again without asking
a voice to synthesise it a second time.

Why it is shaped like this:

- Only audio that went through the one `AudioOutput` is kept (Cartesia's and Piper's PCM):
  the system voice plays by itself and leaves nothing to keep, so its replies are replayed by
  speaking their text again (DESIGN.md, "Voices and licence").
- A reply is kept piece by piece (the pieces the splitter made, each at its own sample rate,
  since a reply that fell back from Cartesia to Piper changes rate mid-way) and only counts
  once it is *complete*: every piece has audio. A reply stopped half-way, or one a voice
  without audio finished, is dropped — replaying half a reply would be worse than speaking
  the text again.
- Bounded by total bytes, least recently used first (a reply begun, added to or replayed is
  used). A minute of 24 kHz speech is ~2.9 MB, so the default 64 MB holds about twenty
  minutes of Maya. The bound can be changed at run time (`max_bytes`), which tests use.
- Thread-safe: audio arrives on the speech and Cartesia reader threads, Play asks from the
  GUI thread. Every method takes the lock for a few dictionary operations only.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass, field

DEFAULT_MAX_BYTES = 64 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class KeptPiece:
    """One piece of a kept reply: its index in the reply, the voice that said it, its PCM
    (s16le mono) and sample rate."""

    index: int
    voice: str
    pcm: bytes
    rate: int


@dataclass
class _Entry:
    pieces: dict[int, tuple[str, int, bytearray]] = field(default_factory=dict)
    size: int = 0
    complete: bool = False


class ReplayCache:
    """Replies' audio by key (the reply's speech id), bounded by total bytes (LRU)."""

    def __init__(self, max_bytes: int = DEFAULT_MAX_BYTES) -> None:
        self._lock = threading.Lock()
        self._entries: OrderedDict[str, _Entry] = OrderedDict()
        self._total = 0
        self._max = max_bytes
        self.evictions = 0

    @property
    def max_bytes(self) -> int:
        return self._max

    @max_bytes.setter
    def max_bytes(self, value: int) -> None:
        with self._lock:
            self._max = max(0, int(value))
            self._evict()

    @property
    def total_bytes(self) -> int:
        with self._lock:
            return self._total

    def keys(self) -> list[str]:
        """Kept replies' keys, least recently used first (for tests and `doctor`)."""
        with self._lock:
            return list(self._entries)

    def begin(self, key: str) -> None:
        """A reply starts being voiced under `key`; what was kept for it before is replaced
        (a replay that speaks the text again re-records the reply)."""
        with self._lock:
            self._remove(key)
            self._entries[key] = _Entry()

    def add(self, key: str, index: int, voice: str, pcm: bytes, rate: int) -> None:
        """More audio of piece `index`. Ignored for a key not begun (or already evicted): a
        reply that outgrew the bound stays out rather than being kept in part."""
        with self._lock:
            entry = self._entries.get(key)
            if entry is None or entry.complete:
                return
            kept = entry.pieces.get(index)
            if kept is None or kept[0] != voice or kept[1] != rate:
                if kept is not None:  # another voice says this piece again: start it over
                    self._shrink(entry, len(kept[2]))
                kept = entry.pieces[index] = (voice, rate, bytearray())
            kept[2].extend(pcm)
            entry.size += len(pcm)
            self._total += len(pcm)
            self._entries.move_to_end(key)
            self._evict()

    def drop_piece(self, key: str, index: int) -> None:
        """Piece `index` was cut off and will be said again by another voice (or not at all)."""
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None and (kept := entry.pieces.pop(index, None)) is not None:
                self._shrink(entry, len(kept[2]))

    def complete(self, key: str, pieces: int) -> bool:
        """The reply's voicing ended with `pieces` pieces: keep it if each one has audio,
        drop it otherwise. Whether it is kept."""
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return False
            if pieces <= 0 or any(i not in entry.pieces for i in range(pieces)):
                self._remove(key)
                return False
            for index in [i for i in entry.pieces if i >= pieces]:
                self._shrink(entry, len(entry.pieces.pop(index)[2]))
            entry.complete = True
            return True

    def discard(self, key: str) -> None:
        with self._lock:
            self._remove(key)

    def get(self, key: str) -> tuple[KeptPiece, ...] | None:
        """A complete reply's pieces in order (and it becomes the most recently used), or
        None when it was never complete or has been evicted."""
        with self._lock:
            entry = self._entries.get(key)
            if entry is None or not entry.complete:
                return None
            self._entries.move_to_end(key)
            return tuple(
                KeptPiece(index, voice, bytes(pcm), rate)
                for index, (voice, rate, pcm) in sorted(entry.pieces.items())
            )

    def __contains__(self, key: object) -> bool:
        with self._lock:
            entry = self._entries.get(key) if isinstance(key, str) else None
            return entry is not None and entry.complete

    # Under the lock --------------------------------------------------------------------------
    def _shrink(self, entry: _Entry, size: int) -> None:
        entry.size -= size
        self._total -= size

    def _remove(self, key: str) -> None:
        entry = self._entries.pop(key, None)
        if entry is not None:
            self._total -= entry.size

    def _evict(self) -> None:
        while self._total > self._max and self._entries:
            key = next(iter(self._entries))
            self._remove(key)
            self.evictions += 1
