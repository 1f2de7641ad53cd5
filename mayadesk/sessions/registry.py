"""The per-session cache of LLM and TTS clients, shared by every worker thread.

Creating a client is slow (SDK set-up, connection pools) and a tab makes many requests with
the same key, so each session keeps its clients until its key, its tools, or the session
itself changes. Workers of different tabs run in parallel, so changes to the cache are guarded
by one lock that is never held while a client is being created or closed: a slow factory for
one tab must not stall the others. The price is double-checked locking — the first check, a
cache hit, takes no lock at all; a miss creates outside the lock, re-checks under it and, if
another thread won the race with a matching client, adopts that one and closes its own.

Keys never enter the registry's structures or its logs; only keyed hashes of them
(`keyhash.KeyHasher`) do, so a changed key is noticed without the key being kept. Plain Python
threading, no Qt: workers are QThreads, but the registry does not need to know.
"""

from __future__ import annotations

import inspect
import logging
import threading
import time
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final, Generic, Literal, TypeVar, cast

from mayadesk.sessions.keyhash import KeyHasher

log = logging.getLogger("mayadesk.sessions")

LLMT = TypeVar("LLMT")
TTST = TypeVar("TTST")
Kind = Literal["llm", "tts"]

_MISS: Final = object()


def close_client(client: object) -> None:
    """Close `client` through its `close()` method, if it has one.

    An asynchronous `close()` cannot be awaited from a worker thread without an event loop;
    rather than leave its coroutine un-awaited (and the connections open), it is refused
    loudly, so the client wrapper gets a synchronous `close()`.
    """
    close = getattr(client, "close", None)
    if not callable(close):
        return
    result = close()
    if inspect.isawaitable(result):
        if inspect.iscoroutine(result):
            result.close()
        raise TypeError(f"{type(client).__name__}.close() is asynchronous; wrap it in a sync one")


def tool_names(tools: Sequence[Any]) -> tuple[str, ...]:
    """Name the tools an LLM is bound with, so a different tool set means a different client.

    Understands what `bind_tools` accepts by name: declarations as mappings with a "name",
    tool objects with a `name`, and functions or classes (`__name__`). Anything else is refused
    rather than guessed at; pass `tools_key=` to the registry for such tools.
    """
    names = []
    for tool in tools:
        name = tool.get("name") if isinstance(tool, Mapping) else getattr(tool, "name", None)
        if not isinstance(name, str):
            name = getattr(tool, "__name__", None)
        if not isinstance(name, str) or not name:
            raise TypeError(f"cannot name a tool of type {type(tool).__name__}; pass tools_key=")
        names.append(name)
    return tuple(names)


@dataclass(frozen=True, slots=True)
class RegistryStats:
    """Counters of a `SessionRegistry`, for tests, benchmarks and `mayadesk doctor`.

    Every client a factory returns is counted once in `creations` and ends up in exactly one
    place: still cached (`live`), lost a creation race (`discarded_duplicates`), pushed out by
    a client for a new key or tool set (`replacements`), or dropped by `clear`/`clear_all`
    (`cleared`) or `evict_idle` (`evicted`). All but the live ones are closed once.

    While no call of the registry is in flight, these hold (`violations()` checks them):
      hits + misses == calls of get_llm and get_tts
      misses == creations + factory_errors
      creations == live + discarded_duplicates + replacements + cleared + evicted
      closed == discarded_duplicates + replacements + cleared + evicted
      close_errors <= closed
    `closed` counts close attempts, including the `close_errors` ones that raised.
    """

    sessions: int
    live_llm: int
    live_tts: int
    hits: int
    misses: int
    creations: int
    factory_errors: int
    discarded_duplicates: int
    replacements: int
    cleared: int
    evicted: int
    closed: int
    close_errors: int

    @property
    def live(self) -> int:
        """Clients cached now, of both kinds."""
        return self.live_llm + self.live_tts

    @property
    def retired(self) -> int:
        """Clients created and no longer cached: each of them has been or is being closed."""
        return self.discarded_duplicates + self.replacements + self.cleared + self.evicted

    def violations(self) -> list[str]:
        """The invariants that do not hold, in words; empty when the counters add up."""
        checks = [
            (
                "misses == creations + factory_errors",
                self.misses,
                self.creations + self.factory_errors,
            ),
            ("creations == live + retired", self.creations, self.live + self.retired),
            ("closed == retired", self.closed, self.retired),
        ]
        found = [f"{name}: {lhs} != {rhs}" for name, lhs, rhs in checks if lhs != rhs]
        if self.close_errors > self.closed:
            found.append(f"close_errors <= closed: {self.close_errors} > {self.closed}")
        return found


class _Slot:
    """A cached client and what it was built for: a key (by keyed tag) and a variant.

    `tools` is the last tools tuple the LLM client was asked for with: the same tuple comes
    with every turn, so `is` recognises it on the fast path without naming its tools again.
    Holding it keeps it alive, so its identity cannot pass to another object.
    """

    __slots__ = ("client", "key_tag", "tools", "variant")

    def __init__(
        self, client: Any, key_tag: Hashable, variant: Hashable, tools: object = None
    ) -> None:
        self.client = client
        self.key_tag = key_tag
        self.variant = variant  # the tools' identity for an LLM; None for TTS
        self.tools = tools

    def fits(self, key_tag: Hashable, variant: Hashable) -> bool:
        # `==`, not `hmac.compare_digest`: the tags never leave this process, and whoever can
        # time a comparison inside it can read the keys themselves.
        return self.key_tag == key_tag and self.variant == variant

    def __repr__(self) -> str:
        return f"<_Slot {type(self.client).__name__}>"


class _Entry:
    """One session's cached clients.

    Slots change only under the registry lock. `last_used` is also set by lock-free hits:
    racing hits each store a time of their own, and whichever lands is a recent one. Plain
    attributes, one per kind, rather than a dict: the fast path reads one of them.
    """

    __slots__ = ("last_used", "llm", "tts")

    def __init__(self, now: float) -> None:
        self.last_used = now
        self.llm: _Slot | None = None
        self.tts: _Slot | None = None

    def slot(self, kind: Kind) -> _Slot | None:
        return self.llm if kind == "llm" else self.tts

    def put(self, kind: Kind, slot: _Slot) -> None:
        if kind == "llm":
            self.llm = slot
        else:
            self.tts = slot

    def detach(self) -> list[tuple[Kind, _Slot]]:
        """Empty the entry as it leaves the registry; return what it held.

        A lock-free hit may still hold this entry (read from the dict just before it left):
        it then finds no slot and takes the locked path, instead of handing out a client the
        registry has let go of.
        """
        found: list[tuple[Kind, _Slot]] = []
        if self.llm is not None:
            found.append(("llm", self.llm))
        if self.tts is not None:
            found.append(("tts", self.tts))
        self.llm = self.tts = None
        return found


class SessionRegistry(Generic[LLMT, TTST]):
    """Caches each session's LLM client (per Gemini key and tools) and TTS client (per key).

    The factories build real clients; they are passed in so that the SDK wiring lives in the
    composition root and tests can count what is built. A factory must return a new client on
    every call. `closer` releases a client the registry lets go of (default: its `close()`);
    a failing close is logged without its message, which could quote a key, and ignored.
    """

    def __init__(
        self,
        llm_factory: Callable[[str, Sequence[Any]], LLMT],
        tts_factory: Callable[[str], TTST],
        *,
        closer: Callable[[object], None] = close_client,
        tools_key: Callable[[Sequence[Any]], Hashable] = tool_names,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._llm_factory = llm_factory
        self._tts_factory = tts_factory
        self._closer = closer
        self._tools_key = tools_key
        self._clock = clock
        # Bound once: the fast path calls it without looking through the hasher.
        self._tag = KeyHasher().tag
        self._lock = threading.Lock()
        self._entries: dict[str, _Entry] = {}
        # Lock-free hits are counted per thread: `_local.hits` is this thread's one-item list,
        # also listed in `_hit_counters` so that `stats()` can add them up.
        self._local = threading.local()
        self._hit_counters: list[list[int]] = []
        self._hits = self._misses = self._creations = self._factory_errors = 0
        self._discarded = self._replacements = self._cleared = self._evicted = 0
        self._closed = self._close_errors = 0

    # A hit takes no lock: it is the first check of the double-checked locking. One dict
    # read and a few attribute reads, each atomic on its own, find the slot and compare the
    # key's tag; only a miss takes the lock (`_lookup`, then `_store_or_adopt`). The hit is
    # counted on the calling thread's own counter (`_count_hit_here`), so no two threads
    # write one counter and `stats()` still adds up exactly. Nothing is lost by not locking:
    # a concurrent `clear`, key change or eviction may close the client just returned, but
    # under a lock it could do so just after the lock was released, which is no different.
    # A removed entry is emptied (`_Entry.detach`), so a hit that starts after a removal
    # never finds a client the registry has let go of.
    #
    # The getters are written out rather than shared through helpers: a hit is the hot path
    # of every turn, and each extra Python call would cost a fifth of a plain locked dict
    # lookup (bench/registry.py holds a hit to at most twice that lookup).

    def get_llm(self, session_id: str, key: str, tools: Sequence[Any]) -> LLMT:
        """Return the session's LLM client for this Gemini key and tool set, creating it once."""
        key_tag = self._tag(key)
        entry = self._entries.get(session_id)
        if entry is not None:
            slot = entry.llm
            if slot is not None and slot.tools is tools and slot.key_tag == key_tag:
                entry.last_used = self._clock()
                try:
                    self._local.hits[0] += 1
                except AttributeError:
                    self._count_hit_here()
                return slot.client  # Any: a `cast()` would be one more call
        # A miss, a changed slot, or another tools object: name the tools and look again.
        variant = self._tools_key(tools)
        remembered = tools if isinstance(tools, tuple) else None  # a list could change
        client = self._lookup(session_id, "llm", key_tag, variant, remembered)
        if client is _MISS:
            created = self._create(self._llm_factory, key, tools)
            client = self._store_or_adopt(
                session_id, "llm", key_tag, variant, created, remembered
            )
        return cast(LLMT, client)

    def peek_llm(self, session_id: str, tools: Sequence[Any]) -> LLMT | None:
        """The session's cached LLM client for this tool set, whatever key built it; None
        if there is none. Never creates, never counts a hit or a miss.

        For work that may start before the key is read (a turn prepares its request while
        its keys are read): only `get_llm` with the key says whether it may be *used*.
        """
        entry = self._entries.get(session_id)
        slot = entry.llm if entry is not None else None
        if slot is None or slot.tools is not tools:
            return None
        return cast(LLMT, slot.client)

    def get_tts(self, session_id: str, key: str) -> TTST:
        """Return the session's TTS client for this Cartesia key, creating it once."""
        key_tag = self._tag(key)
        entry = self._entries.get(session_id)
        if entry is not None:
            slot = entry.tts
            if slot is not None and slot.key_tag == key_tag:
                entry.last_used = self._clock()
                try:
                    self._local.hits[0] += 1
                except AttributeError:
                    self._count_hit_here()
                return slot.client
        client = self._lookup(session_id, "tts", key_tag, None, None)
        if client is _MISS:
            created = self._create(self._tts_factory, key)
            client = self._store_or_adopt(session_id, "tts", key_tag, None, created)
        return cast(TTST, client)

    def clear(self, session_id: str) -> int:
        """Forget a session (tab closed or reset) and close its clients; return how many.

        A `get_*` already creating for this session stores its client afterwards, as if it had
        been called after the clear; the next `clear` or `clear_all` closes that one.
        """
        with self._lock:
            entry = self._entries.pop(session_id, None)
            if entry is None:
                return 0
            slots = entry.detach()
            self._cleared += len(slots)
        return self._close_slots(session_id, slots)

    def clear_all(self) -> int:
        """Forget every session and close all clients (at exit); return how many were closed."""
        with self._lock:
            entries, self._entries = self._entries, {}
            detached = {sid: entry.detach() for sid, entry in entries.items()}
            self._cleared += sum(len(slots) for slots in detached.values())
        return sum(self._close_slots(sid, slots) for sid, slots in detached.items())

    def evict_idle(self, max_idle_seconds: float) -> list[str]:
        """Close the clients of sessions unused for `max_idle_seconds`; return their ids.

        The session itself lives on elsewhere; its next turn simply creates new clients.
        Choose a limit well above a turn's length: a client in use is not protected.
        """
        if max_idle_seconds < 0:
            raise ValueError("max_idle_seconds must not be negative")
        with self._lock:
            now = self._clock()
            idle = {
                sid: entry
                for sid, entry in self._entries.items()
                if now - entry.last_used >= max_idle_seconds
            }
            detached = {}
            for sid, entry in idle.items():
                del self._entries[sid]
                detached[sid] = entry.detach()
                self._evicted += len(detached[sid])
        for sid, slots in detached.items():
            self._close_slots(sid, slots)
        return list(idle)

    def stats(self) -> RegistryStats:
        """A consistent snapshot of the counters (see `RegistryStats` for what adds up)."""
        with self._lock:
            return RegistryStats(
                sessions=len(self._entries),
                live_llm=sum(entry.llm is not None for entry in self._entries.values()),
                live_tts=sum(entry.tts is not None for entry in self._entries.values()),
                hits=self._hits + sum(counter[0] for counter in self._hit_counters),
                misses=self._misses,
                creations=self._creations,
                factory_errors=self._factory_errors,
                discarded_duplicates=self._discarded,
                replacements=self._replacements,
                cleared=self._cleared,
                evicted=self._evicted,
                closed=self._closed,
                close_errors=self._close_errors,
            )

    def __repr__(self) -> str:
        stats = self.stats()
        return f"<SessionRegistry sessions={stats.sessions} live={stats.live}>"

    # -- internals -------------------------------------------------------------------------

    def _lookup(
        self, session_id: str, kind: Kind, key_tag: Hashable, variant: Hashable, tools: object
    ) -> Any:
        """The cached client if it fits, else `_MISS`; counts the call as a hit or a miss.

        On a hit with another tools tuple of the same names, the slot remembers that tuple,
        so the caller's next call takes the fast path.
        """
        with self._lock:
            entry = self._entries.get(session_id)
            slot = None if entry is None else entry.slot(kind)
            if entry is not None and slot is not None and slot.fits(key_tag, variant):
                self._hits += 1
                entry.last_used = self._clock()
                if tools is not None:
                    slot.tools = tools
                return slot.client
            self._misses += 1
            return _MISS

    def _count_hit_here(self) -> None:
        """Count a lock-free hit on a thread that has not had one yet: give it a counter."""
        counter = [1]
        with self._lock:
            self._hit_counters.append(counter)
        self._local.hits = counter

    def _create(self, factory: Callable[..., Any], *args: Any) -> Any:
        """Call a factory outside the lock, counting failures (the caller gets the error)."""
        try:
            return factory(*args)
        except BaseException:
            with self._lock:
                self._factory_errors += 1
            raise

    def _store_or_adopt(
        self,
        session_id: str,
        kind: Kind,
        key_tag: Hashable,
        variant: Hashable,
        created: Any,
        tools: object = None,
    ) -> Any:
        """Second half of the double-checked lock: store `created`, or adopt a racing twin.

        Another thread may have created and stored a client for the same key while ours was
        being built; then that one stays (callers of one key share one client) and ours is
        closed. Otherwise ours is stored and whatever it replaces is closed. Closing happens
        after the lock is released.
        """
        with self._lock:
            self._creations += 1
            now = self._clock()
            entry = self._entries.get(session_id)
            if entry is None:
                entry = self._entries[session_id] = _Entry(now)
            entry.last_used = now
            twin = self._recheck(entry, kind, key_tag, variant)
            if twin is not None:
                self._discarded += 1
                keep, drop = twin.client, created
            else:
                old = entry.slot(kind)
                entry.put(kind, _Slot(created, key_tag, variant, tools))
                keep, drop = created, _MISS if old is None else old.client
                if old is not None:
                    self._replacements += 1
        if twin is not None:
            log.debug("Session %s: adopted a racing thread's %s client", session_id, kind)
        else:
            log.debug("Session %s: new %s client stored", session_id, kind)
        if drop is not _MISS:
            self._close(session_id, kind, drop)
        return keep

    def _recheck(
        self, entry: _Entry, kind: Kind, key_tag: Hashable, variant: Hashable
    ) -> _Slot | None:
        """The second check: a slot that fits, stored by another thread meanwhile, or None.

        Its own method so the race tests can remove it and show that they then fail.
        """
        slot = entry.slot(kind)
        return slot if slot is not None and slot.fits(key_tag, variant) else None

    def _close_slots(self, session_id: str, slots: list[tuple[Kind, _Slot]]) -> int:
        for kind, slot in slots:
            self._close(session_id, kind, slot.client)
        return len(slots)

    def _close(self, session_id: str, kind: Kind, client: Any) -> None:
        """Close a client the registry let go of, never letting a failure escape.

        Only the exception's type is logged: an SDK error message may quote a request, and
        with it a key.
        """
        failed = False
        try:
            self._closer(client)
        except Exception as exc:
            failed = True
            log.warning(
                "Closing the %s client of session %s failed (%s); ignored",
                kind,
                session_id,
                type(exc).__name__,
            )
        with self._lock:
            self._closed += 1
            self._close_errors += int(failed)
