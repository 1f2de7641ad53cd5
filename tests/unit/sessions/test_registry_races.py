"""SessionRegistry under concurrent use, with races forced open rather than hoped for.

The factories hold every creator of one (session, kind, key) at a gate until all threads of
that session have arrived, so each creation is a race among all of them, every run, with no
timing involved. The same scenario run against a registry whose second check is removed must
be caught: that is what shows the checks have teeth.
"""

from __future__ import annotations

import functools
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, field
from typing import Any

import pytest

from mayadesk.sessions.registry import RegistryStats, SessionRegistry

SESSIONS = 8
THREADS_PER_SESSION = 8  # 64 threads in all
CALLS_PER_PHASE = 25
PHASES = 6
WAIT = 30.0  # seconds: only ever reached when something is broken


@dataclass(frozen=True)
class Tool:
    name: str


TOOLS_A = (Tool("get_menu"), Tool("add_to_order"), Tool("show_order"))
TOOLS_B = (*TOOLS_A, Tool("pay_bill"))


class FakeClient:
    """A client that knows what it was made for and counts its closes (from any thread)."""

    def __init__(self, kind: str, made_for: Hashable) -> None:
        self.kind = kind
        self.made_for = made_for
        self._lock = threading.Lock()
        self.close_calls = 0

    def close(self) -> None:
        with self._lock:
            self.close_calls += 1


class CreationGate:
    """Holds each creator of one wave until `parties` creators of that wave have arrived.

    A wave is named by the phase and what is being created; nothing can be stored while its
    creators wait, so each of the session's threads misses the cache and joins the wave.
    """

    def __init__(self, parties: int) -> None:
        self._parties = parties
        self._arrived: Counter[Hashable] = Counter()
        self._cond = threading.Condition()

    def arrive(self, wave: Hashable) -> None:
        with self._cond:
            self._arrived[wave] += 1
            self._cond.notify_all()
            if not self._cond.wait_for(lambda: self._arrived[wave] >= self._parties, WAIT):
                raise AssertionError(f"only {self._arrived[wave]} creators reached {wave}")

    @property
    def waves(self) -> int:
        return len(self._arrived)


class GatedFactories:
    """Factories that record every client and meet at a `CreationGate` before returning."""

    def __init__(self, parties: int) -> None:
        self.gate = CreationGate(parties)
        self.phase = 0
        self._lock = threading.Lock()
        self.made: list[FakeClient] = []

    def llm(self, key: str, tools: Sequence[Any]) -> FakeClient:
        return self._make("llm", (key, tuple(tool.name for tool in tools)))

    def tts(self, key: str) -> FakeClient:
        return self._make("tts", (key,))

    def _make(self, kind: str, made_for: Hashable) -> FakeClient:
        time.sleep(0)  # noqa: sleep-ok  (yields to the other threads, waits for nothing)
        self.gate.arrive((self.phase, kind, made_for))
        client = FakeClient(kind, made_for)
        with self._lock:
            self.made.append(client)
        return client


@dataclass(frozen=True)
class Want:
    """What one session asks for in one phase."""

    gemini: str
    cartesia: str
    tools: tuple[Tool, ...]

    def made_for(self, kind: str) -> Hashable:
        if kind == "llm":
            return (self.gemini, tuple(tool.name for tool in self.tools))
        return (self.cartesia,)


def plan(phase: int, session: int) -> Want:
    """Keys rotate at different rates per session; one phase swaps the tool set for some."""
    gemini_version = sum((session + p) % 3 == 0 for p in range(1, phase + 1))
    cartesia_version = sum((session + p) % 2 == 0 for p in range(1, phase + 1))
    tools = TOOLS_B if phase == 3 and session % 4 == 0 else TOOLS_A
    return Want(f"gem-{session}-{gemini_version}", f"car-{session}-{cartesia_version}", tools)


def cleared_before(phase: int) -> set[int]:
    """Sessions the main thread clears between phases, as a tab reset would."""
    return {phase % SESSIONS, (phase + 3) % SESSIONS} if phase >= 2 else set()


@dataclass
class Observed:
    """Everything the scenario saw, for `find_violations` to judge."""

    # (phase, kind, session) -> the clients returned to callers, in call order per thread
    returned: dict[tuple[int, str, int], list[FakeClient]] = field(
        default_factory=lambda: defaultdict(list)
    )
    # clients handed out in a phase that were closed by the end of that phase
    closed_while_live: list[tuple[int, str, int]] = field(default_factory=list)
    phase_stats: list[RegistryStats] = field(default_factory=list)
    calls_by_phase_end: list[int] = field(default_factory=list)
    expected_waves: int = 0
    expected_replacements: int = 0
    expected_cleared: int = 0
    made: list[FakeClient] = field(default_factory=list)
    final_stats: RegistryStats | None = None
    errors: list[BaseException] = field(default_factory=list)


def run_scenario(
    prepare: Callable[[SessionRegistry[FakeClient, FakeClient]], None] = lambda registry: None,
) -> Observed:
    """64 threads, 8 per session, through phases of key changes, tool changes and clears."""
    factories = GatedFactories(THREADS_PER_SESSION)
    registry: SessionRegistry[FakeClient, FakeClient] = SessionRegistry(
        factories.llm, factories.tts
    )
    prepare(registry)
    observed = Observed()
    threads = SESSIONS * THREADS_PER_SESSION
    barrier = threading.Barrier(threads + 1, timeout=WAIT)
    records: list[list[tuple[int, str, int, FakeClient]]] = [[] for _ in range(threads)]

    def worker(index: int) -> None:
        session = index % SESSIONS
        try:
            for phase in range(PHASES):
                barrier.wait()
                want = plan(phase, session)
                for _ in range(CALLS_PER_PHASE):
                    llm = registry.get_llm(f"s{session}", want.gemini, want.tools)
                    tts = registry.get_tts(f"s{session}", want.cartesia)
                    records[index].append((phase, "llm", session, llm))
                    records[index].append((phase, "tts", session, tts))
                barrier.wait()
        except BaseException as exc:
            observed.errors.append(exc)
            barrier.abort()

    workers = [threading.Thread(target=worker, args=(i,)) for i in range(threads)]
    for thread in workers:
        thread.start()
    try:
        previous: dict[tuple[str, int], Hashable] = {}
        for phase in range(PHASES):
            for session in cleared_before(phase):
                registry.clear(f"s{session}")
                observed.expected_cleared += 2
                for kind in ("llm", "tts"):
                    previous.pop((kind, session), None)
            for session in range(SESSIONS):
                for kind in ("llm", "tts"):
                    now = plan(phase, session).made_for(kind)
                    before = previous.get((kind, session))
                    if before != now:
                        observed.expected_waves += 1
                        observed.expected_replacements += before is not None
                    previous[(kind, session)] = now
            factories.phase = phase
            barrier.wait()  # start
            barrier.wait()  # end: every worker is parked, nothing is in flight
            handed_out = {
                (p, kind, s, id(client)): client
                for rows in records
                for p, kind, s, client in rows
                if p == phase
            }
            observed.closed_while_live.extend(
                (p, kind, s) for (p, kind, s, _), client in handed_out.items() if client.close_calls
            )
            observed.phase_stats.append(registry.stats())
            observed.calls_by_phase_end.append(sum(len(rows) for rows in records))
    except threading.BrokenBarrierError:
        if not observed.errors:
            raise
    except BaseException:
        barrier.abort()  # only on failure: aborting after the last wait would break it
        raise
    finally:
        for thread in workers:
            thread.join(WAIT)
    assert not any(thread.is_alive() for thread in workers), "a worker hung"
    if observed.errors:
        raise observed.errors[0]

    observed.expected_cleared += 2 * SESSIONS
    registry.clear_all()
    observed.final_stats = registry.stats()
    observed.made = factories.made
    for rows in records:
        for phase, kind, session, client in rows:
            observed.returned[(phase, kind, session)].append(client)
    return observed


def find_violations(observed: Observed) -> list[str]:
    """Everything the scenario saw that a correct registry never does, in words."""
    found = []
    for (phase, kind, session), clients in sorted(observed.returned.items()):
        distinct = {id(client) for client in clients}
        if len(distinct) != 1:
            found.append(
                f"phase {phase} {kind} s{session}: {len(clients)} calls with one key got "
                f"{len(distinct)} different clients"
            )
        want = plan(phase, session).made_for(kind)
        if any(client.made_for != want for client in clients):
            found.append(f"phase {phase} {kind} s{session}: a client made for another key")
    for phase, kind, session in sorted(set(observed.closed_while_live)):
        found.append(f"phase {phase} {kind} s{session}: a client in use was closed")

    for phase, stats in enumerate(observed.phase_stats):
        found.extend(f"after phase {phase}: {v}" for v in stats.violations())
        if stats.hits + stats.misses != observed.calls_by_phase_end[phase]:
            found.append(f"after phase {phase}: hits + misses != calls")
        if (stats.sessions, stats.live_llm, stats.live_tts) != (SESSIONS, SESSIONS, SESSIONS):
            found.append(f"after phase {phase}: not one client of each kind per session")

    closes = Counter(client.close_calls for client in observed.made)
    if set(closes) - {1}:
        found.append(f"after clear_all: clients by number of closes {dict(closes)}, not all 1")
    final = observed.final_stats
    assert final is not None
    found.extend(f"after clear_all: {v}" for v in final.violations())
    waves = observed.expected_waves
    expected = {
        "creations": waves * THREADS_PER_SESSION,
        "discarded_duplicates": waves * (THREADS_PER_SESSION - 1),
        "replacements": observed.expected_replacements,
        "cleared": observed.expected_cleared,
        "closed": len(observed.made),
        "live": 0,
        "sessions": 0,
    }
    for name, value in expected.items():
        if getattr(final, name) != value:
            found.append(f"after clear_all: {name} is {getattr(final, name)}, expected {value}")
    return found


def skip_the_second_check(registry: SessionRegistry[FakeClient, FakeClient]) -> None:
    """Break the registry the way a careless edit would: store without looking again."""
    registry._recheck = lambda entry, kind, key_hash, variant: None  # type: ignore[method-assign]


def test_64_threads_with_key_changes_see_one_client_per_key() -> None:
    observed = run_scenario()

    assert find_violations(observed) == []
    assert observed.expected_waves > 2 * SESSIONS, "the plan really changes keys and tools"
    assert observed.expected_replacements > 0
    final = observed.final_stats
    assert final is not None and final.discarded_duplicates > 0 and final.hits > final.misses


def test_the_race_test_fails_without_the_second_check() -> None:
    observed = run_scenario(skip_the_second_check)

    found = find_violations(observed)

    # Every wave of 8 creators stores 8 clients: callers of one key got different clients,
    # and the ones pushed out were closed while their callers still held them.
    waves_split = [v for v in found if "different clients" in v]
    assert len(waves_split) == observed.expected_waves, found
    assert any("a client in use was closed" in v for v in found), found
    assert any("discarded_duplicates is 0" in v for v in found), found


def test_two_racing_creators_share_the_winners_client() -> None:
    clients, made = race_two_creators(lambda registry: None)

    assert clients[0] is clients[1]
    assert sorted(client.close_calls for client in made) == [0, 1]
    assert next(c for c in made if c is not clients[0]).close_calls == 1


def test_two_racing_creators_without_the_second_check_get_two_clients() -> None:
    clients, made = race_two_creators(skip_the_second_check)

    assert clients[0] is not clients[1]
    assert sorted(client.close_calls for client in made) == [0, 1], "one was replaced"


def race_two_creators(
    prepare: Callable[[SessionRegistry[FakeClient, FakeClient]], None],
) -> tuple[list[FakeClient], list[FakeClient]]:
    """Two threads miss together and create together (a barrier in the factory)."""
    both_created = threading.Barrier(2, timeout=WAIT)
    made: list[FakeClient] = []

    def tts(key: str) -> FakeClient:
        client = FakeClient("tts", key)
        made.append(client)
        both_created.wait()
        return client

    registry: SessionRegistry[FakeClient, FakeClient] = SessionRegistry(unused_llm, tts)
    prepare(registry)
    clients = run_in_threads([lambda: registry.get_tts("s1", "car-1")] * 2)
    stats = registry.stats()
    assert (stats.misses, stats.creations, stats.hits) == (2, 2, 0)
    assert stats.violations() == []
    return clients, made


def unused_llm(key: str, tools: Sequence[Any]) -> FakeClient:
    raise AssertionError("not used here")


def run_in_threads(calls: list[Callable[[], FakeClient]]) -> list[FakeClient]:
    """Run each call on its own thread; return their results in order, or raise their error."""
    results: list[FakeClient | None] = [None] * len(calls)
    errors: list[BaseException] = []

    def run(index: int) -> None:
        try:
            results[index] = calls[index]()
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(WAIT)
    assert not any(thread.is_alive() for thread in threads), "a call hung"
    if errors:
        raise errors[0]
    return [result for result in results if result is not None]


def returns_within(call: Callable[[], Any], seconds: float = 5.0) -> Any:
    """Run `call` on a helper thread; fail (instead of hanging) if it blocks."""
    result: list[Any] = []
    thread = threading.Thread(target=lambda: result.append(call()), daemon=True)
    thread.start()
    thread.join(seconds)
    assert not thread.is_alive(), "blocked behind another session's slow factory or close"
    return result[0]


def test_a_slow_factory_does_not_block_other_sessions() -> None:
    entered, release = threading.Event(), threading.Event()

    def llm(key: str, tools: Sequence[Any]) -> FakeClient:
        if key == "slow":
            entered.set()
            assert release.wait(WAIT)
        return FakeClient("llm", key)

    registry: SessionRegistry[FakeClient, FakeClient] = SessionRegistry(
        llm, lambda key: FakeClient("tts", key)
    )
    cached = registry.get_llm("B", "fast", TOOLS_A)
    slow = threading.Thread(target=registry.get_llm, args=("A", "slow", TOOLS_A))
    slow.start()
    try:
        assert entered.wait(WAIT)
        assert returns_within(lambda: registry.get_llm("B", "fast", TOOLS_A)) is cached
        assert returns_within(lambda: registry.get_tts("A", "car")).kind == "tts"
        assert returns_within(registry.stats).sessions == 2
        assert returns_within(lambda: registry.clear("B")) == 1
    finally:
        release.set()
        slow.join(WAIT)
    assert registry.stats().violations() == []


def test_a_slow_close_does_not_block_other_sessions() -> None:
    closing, release = threading.Event(), threading.Event()

    def closer(client: object) -> None:
        closing.set()
        assert release.wait(WAIT)

    registry: SessionRegistry[FakeClient, FakeClient] = SessionRegistry(
        unused_llm, lambda key: FakeClient("tts", key), closer=closer
    )
    cached = registry.get_tts("B", "car-b")
    registry.get_tts("A", "car-a1")
    rotating = threading.Thread(target=registry.get_tts, args=("A", "car-a2"))
    rotating.start()
    try:
        assert closing.wait(WAIT)
        assert returns_within(lambda: registry.get_tts("B", "car-b")) is cached
    finally:
        release.set()
        rotating.join(WAIT)
    assert registry.stats().violations() == []


def test_a_clear_during_creation_leaves_the_new_client_to_the_next_clear() -> None:
    entered, release = threading.Event(), threading.Event()
    made: list[FakeClient] = []

    def tts(key: str) -> FakeClient:
        entered.set()
        assert release.wait(WAIT)
        made.append(FakeClient("tts", key))
        return made[-1]

    registry: SessionRegistry[FakeClient, FakeClient] = SessionRegistry(unused_llm, tts)
    creating = threading.Thread(target=registry.get_tts, args=("A", "car"))
    creating.start()
    assert entered.wait(WAIT)
    assert registry.clear("A") == 0
    release.set()
    creating.join(WAIT)

    assert registry.stats().live_tts == 1 and made[0].close_calls == 0
    assert registry.clear("A") == 1
    assert made[0].close_calls == 1
    assert registry.stats().violations() == []


@pytest.mark.parametrize("round_", range(3))
def test_hammering_one_session_with_two_alternating_keys_stays_consistent(round_: int) -> None:
    """No gate here: free-running threads flip one session between two keys."""
    made: list[FakeClient] = []
    made_lock = threading.Lock()

    def tts(key: str) -> FakeClient:
        time.sleep(0)  # noqa: sleep-ok  (yields to the other threads)
        client = FakeClient("tts", key)
        with made_lock:
            made.append(client)
        return client

    registry: SessionRegistry[FakeClient, FakeClient] = SessionRegistry(unused_llm, tts)
    start = threading.Barrier(64, timeout=WAIT)

    def hammer(index: int) -> FakeClient:
        start.wait()
        client = FakeClient("tts", None)
        for call in range(50):
            key = f"car-{(index + call) % 2}"
            client = registry.get_tts("s1", key)
            assert client.made_for == key, "never a client for the other key"
        return client

    run_in_threads([functools.partial(hammer, i) for i in range(64)])

    stats = registry.stats()
    assert stats.violations() == []
    assert stats.hits + stats.misses == 64 * 50
    assert stats.creations == len(made)
    registry.clear_all()
    assert [client.close_calls for client in made] == [1] * len(made)
