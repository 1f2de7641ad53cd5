"""Cost of a SessionRegistry cache hit against a plain dict lookup under a lock.

Issue 4 asks that a hit of `get_llm` / `get_tts` cost at most twice a plain locked dict
lookup, at 1 and at 8 threads. Every worker calls the registry once per turn, so this is the
price of sharing one cache between threads with keys checked by keyed hash.

The baseline is the simplest cache there is, reached the same way the registry is, through a
method: `with lock: return d.get(session_id)`. The same lookup written inline in the loop (no
call) is measured too, for context. Each figure is the wall time of N calls split over the
threads (run together from a barrier, so at 8 threads they contend for the lock and the GIL),
minus an empty loop of the same length, divided by N; the best of several rounds, with the
subjects interleaved so that machine noise hits them alike.
"""

from __future__ import annotations

import gc
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import repeat
from typing import Any

from mayadesk.sessions.registry import SessionRegistry

GOAL = 2.0
THREAD_COUNTS = (1, 8)
SESSIONS = 100
GEMINI_KEY = "AIza" + "SyB-bench-registry-key_0123456789abc"
CARTESIA_KEY = "sk_car_" + "benchRegistryKey0123"


@dataclass(frozen=True)
class Tool:
    """Stands for a function declaration: the registry only reads its name."""

    name: str


TOOLS = tuple(Tool(name) for name in ("get_menu", "recommend", "add_to_order", "show_order"))


class PlainCache:
    """The baseline: a dict under a lock, read through a method like the registry."""

    def __init__(self, entries: dict[str, object]) -> None:
        self._lock = threading.Lock()
        self._entries = entries

    def get(self, session_id: str) -> object:
        with self._lock:
            return self._entries.get(session_id)


# One loop per subject, so each iteration does nothing but the call being measured.
def _empty(n: int, sid: str) -> None:
    for _ in repeat(None, n):
        pass


def _inline(n: int, sid: str, lock: threading.Lock, entries: dict[str, object]) -> None:
    for _ in repeat(None, n):
        with lock:
            entries.get(sid)


def _plain(n: int, sid: str, get: Callable[[str], object]) -> None:
    for _ in repeat(None, n):
        get(sid)


def _tts(n: int, sid: str, get_tts: Callable[[str, str], object], key: str) -> None:
    for _ in repeat(None, n):
        get_tts(sid, key)


def _llm(
    n: int, sid: str, get_llm: Callable[[str, str, Sequence[Any]], object], key: str,
    tools: Sequence[Any],
) -> None:
    for _ in repeat(None, n):
        get_llm(sid, key, tools)


def _wall(loop: Callable[..., None], args: tuple[Any, ...], calls: int, threads: int) -> float:
    """Seconds for `calls` calls split over `threads` threads started together."""
    per_thread = calls // threads
    start = threading.Barrier(threads + 1)

    def run(index: int) -> None:
        start.wait()
        loop(per_thread, f"s{index}", *args)

    workers = [threading.Thread(target=run, args=(i,)) for i in range(threads)]
    for worker in workers:
        worker.start()
    start.wait()
    began = time.perf_counter()
    for worker in workers:
        worker.join()
    return time.perf_counter() - began


def run(calls: int = 50_000, rounds: int = 15) -> dict[str, float]:
    """Measure, print one line per figure, and return the figures for the results file."""
    registry: SessionRegistry[object, object] = SessionRegistry(
        lambda key, tools: object(), lambda key: object()
    )
    entries: dict[str, object] = {}
    for i in range(SESSIONS):
        entries[f"s{i}"] = registry.get_llm(f"s{i}", GEMINI_KEY, TOOLS)
        registry.get_tts(f"s{i}", CARTESIA_KEY)
    plain = PlainCache(entries)
    subjects: dict[str, tuple[Callable[..., None], tuple[Any, ...]]] = {
        "empty": (_empty, ()),
        "inline": (_inline, (threading.Lock(), entries)),
        "plain": (_plain, (plain.get,)),
        "get_tts": (_tts, (registry.get_tts, CARTESIA_KEY)),
        "get_llm": (_llm, (registry.get_llm, GEMINI_KEY, TOOLS)),
    }
    before = registry.stats()
    best: dict[tuple[str, int], float] = {}
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        for _ in range(rounds):
            for threads in THREAD_COUNTS:
                for name, (loop, args) in subjects.items():
                    seconds = _wall(loop, args, calls, threads)
                    key = (name, threads)
                    best[key] = min(best.get(key, seconds), seconds)
    finally:
        if gc_was_enabled:
            gc.enable()
    after = registry.stats()
    assert after.misses == before.misses, "every timed registry call was a hit"

    figures: dict[str, float] = {}
    for threads in THREAD_COUNTS:
        def ns(name: str, threads: int = threads) -> float:
            return (best[(name, threads)] - best[("empty", threads)]) / calls * 1e9

        base = ns("plain")
        print(f"registry: {threads} thread(s): plain locked dict lookup {base:6.0f} ns/call "
              f"(inline, no call: {ns('inline'):.0f} ns)")
        figures[f"registry_plain_ns_{threads}t"] = base
        figures[f"registry_inline_ns_{threads}t"] = ns("inline")
        for name in ("get_llm", "get_tts"):
            cost = ns(name)
            ratio = cost / base
            print(f"registry: {threads} thread(s): {name} hit {cost:6.0f} ns/call  "
                  f"ratio {name} / plain = {ratio:.2f}  (goal <= {GOAL:g})")
            figures[f"registry_{name}_ns_{threads}t"] = cost
            figures[f"registry_{name}_ratio_{threads}t"] = ratio
    return figures


if __name__ == "__main__":
    run()
