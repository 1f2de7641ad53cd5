"""SessionRegistry on one thread: caching, key and tool changes, clearing, eviction, secrecy.

The races live in test_registry_races.py; here each behaviour is shown on its own.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import os
import subprocess
import sys
import threading
from collections.abc import Iterator, Sequence
from dataclasses import fields
from typing import Any

import pytest

from mayadesk.sessions.keyhash import KeyHasher, str_hash_is_secret
from mayadesk.sessions.registry import (
    RegistryStats,
    SessionRegistry,
    close_client,
    tool_names,
)

# Shaped like real keys (Gemini: "AIza" + 35, Cartesia: "sk_car_" + 20), so a leak is obvious.
GEMINI_KEY = "AIza" + "SyB-sentinel_GEMINI_0123456789abcde"
GEMINI_KEY_2 = "AIza" + "SyB-sentinel_GEMINI_9876543210zyxwv"
CARTESIA_KEY = "sk_car_" + "sentinelCARTESIA0123"
CARTESIA_KEY_2 = "sk_car_" + "sentinelCARTESIA9876"
ALL_KEYS = (GEMINI_KEY, GEMINI_KEY_2, CARTESIA_KEY, CARTESIA_KEY_2)


class Tool:
    """Stands for a LangChain tool or a function declaration: all the registry reads is `name`."""

    def __init__(self, name: str) -> None:
        self.name = name


TOOLS = (Tool("get_menu"), Tool("add_to_order"))


class FakeClient:
    """A client that counts its closes and remembers only which factory call made it."""

    def __init__(self, kind: str, serial: int) -> None:
        self.kind = kind
        self.serial = serial
        self.close_calls = 0

    def close(self) -> None:
        self.close_calls += 1

    def __repr__(self) -> str:
        return f"FakeClient({self.kind}#{self.serial})"


class Factories:
    """Factory stand-ins that record every client they build and the tools they were given."""

    def __init__(self) -> None:
        self.made: list[FakeClient] = []
        self.tools_seen: list[Sequence[Any]] = []

    def llm(self, key: str, tools: Sequence[Any]) -> FakeClient:
        self.tools_seen.append(tools)
        return self._make("llm")

    def tts(self, key: str) -> FakeClient:
        return self._make("tts")

    def _make(self, kind: str) -> FakeClient:
        client = FakeClient(kind, len(self.made))
        self.made.append(client)
        return client


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def expected_logs() -> list[str]:
    """Warnings a test expects (the suite's fixture, also here so `--noconftest` runs work)."""
    return []


@pytest.fixture
def factories() -> Factories:
    return Factories()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def registry(factories: Factories, clock: FakeClock) -> SessionRegistry[FakeClient, FakeClient]:
    return SessionRegistry(factories.llm, factories.tts, clock=clock)


def assert_adds_up(stats: RegistryStats) -> None:
    assert stats.violations() == []


# -- caching ---------------------------------------------------------------------------------


def test_same_key_returns_the_cached_clients(registry: SessionRegistry[Any, Any]) -> None:
    llm = registry.get_llm("s1", GEMINI_KEY, TOOLS)
    tts = registry.get_tts("s1", CARTESIA_KEY)

    assert registry.get_llm("s1", GEMINI_KEY, TOOLS) is llm
    assert registry.get_tts("s1", CARTESIA_KEY) is tts
    assert llm is not tts
    stats = registry.stats()
    assert (stats.sessions, stats.live_llm, stats.live_tts) == (1, 1, 1)
    assert (stats.hits, stats.misses, stats.creations) == (2, 2, 2)
    assert stats.closed == 0
    assert_adds_up(stats)


def test_peek_shows_the_cached_chat_whatever_its_key_and_counts_nothing(
    registry: SessionRegistry[Any, Any],
) -> None:
    assert registry.peek_llm("s1", TOOLS) is None  # nothing cached: nothing to prepare with
    llm = registry.get_llm("s1", GEMINI_KEY, TOOLS)
    before = registry.stats()
    assert registry.peek_llm("s1", TOOLS) is llm
    assert registry.peek_llm("s1", (Tool("get_menu"),)) is None  # another tool set
    assert registry.peek_llm("s2", TOOLS) is None
    after = registry.stats()
    assert (after.hits, after.misses, after.creations) == (
        before.hits, before.misses, before.creations
    )
    replaced = registry.get_llm("s1", GEMINI_KEY + "-changed", TOOLS)
    assert replaced is not llm and registry.peek_llm("s1", TOOLS) is replaced


def test_the_factory_gets_the_key_and_the_tools(factories: Factories) -> None:
    seen: list[str] = []

    def llm(key: str, tools: Sequence[Any]) -> FakeClient:
        seen.append(key)
        return factories.llm(key, tools)

    def tts(key: str) -> FakeClient:
        seen.append(key)
        return factories.tts(key)

    registry = SessionRegistry(llm, tts)
    registry.get_llm("s1", GEMINI_KEY, TOOLS)
    registry.get_tts("s1", CARTESIA_KEY)

    assert seen == [GEMINI_KEY, CARTESIA_KEY]
    assert factories.tools_seen == [TOOLS]


def test_sessions_do_not_share_clients(registry: SessionRegistry[Any, Any]) -> None:
    a = registry.get_llm("a", GEMINI_KEY, TOOLS)
    b = registry.get_llm("b", GEMINI_KEY, TOOLS)

    assert a is not b
    assert registry.get_llm("a", GEMINI_KEY, TOOLS) is a
    assert registry.stats().sessions == 2


def test_a_changed_gemini_key_replaces_and_closes_the_llm_client(
    registry: SessionRegistry[Any, Any],
) -> None:
    old = registry.get_llm("s1", GEMINI_KEY, TOOLS)
    tts = registry.get_tts("s1", CARTESIA_KEY)

    new = registry.get_llm("s1", GEMINI_KEY_2, TOOLS)

    assert new is not old
    assert old.close_calls == 1
    assert new.close_calls == 0
    assert registry.get_tts("s1", CARTESIA_KEY) is tts, "the TTS client does not depend on it"
    stats = registry.stats()
    assert (stats.replacements, stats.closed, stats.live) == (1, 1, 2)
    assert_adds_up(stats)


def test_a_changed_cartesia_key_replaces_and_closes_the_tts_client(
    registry: SessionRegistry[Any, Any],
) -> None:
    old = registry.get_tts("s1", CARTESIA_KEY)

    new = registry.get_tts("s1", CARTESIA_KEY_2)

    assert new is not old
    assert old.close_calls == 1
    assert registry.get_tts("s1", CARTESIA_KEY_2) is new
    assert_adds_up(registry.stats())


def test_going_back_to_an_old_key_builds_a_new_client(
    registry: SessionRegistry[Any, Any],
) -> None:
    first = registry.get_tts("s1", CARTESIA_KEY)
    registry.get_tts("s1", CARTESIA_KEY_2)

    again = registry.get_tts("s1", CARTESIA_KEY)

    assert again is not first, "the first one was closed when the key changed"
    assert first.close_calls == 1


def test_other_tools_mean_another_llm_client(registry: SessionRegistry[Any, Any]) -> None:
    llm = registry.get_llm("s1", GEMINI_KEY, TOOLS)

    same_names = registry.get_llm("s1", GEMINI_KEY, [Tool("get_menu"), Tool("add_to_order")])
    more_tools = registry.get_llm("s1", GEMINI_KEY, (*TOOLS, Tool("pay_bill")))

    assert same_names is llm, "tools are told apart by name, not by object identity"
    assert more_tools is not llm
    assert llm.close_calls == 1
    assert registry.stats().replacements == 1


def test_a_custom_tools_key_decides_what_counts_as_other_tools(factories: Factories) -> None:
    registry = SessionRegistry(factories.llm, factories.tts, tools_key=len)

    llm = registry.get_llm("s1", GEMINI_KEY, [Tool("a")])

    assert registry.get_llm("s1", GEMINI_KEY, [Tool("b")]) is llm
    assert registry.get_llm("s1", GEMINI_KEY, [Tool("a"), Tool("b")]) is not llm


def test_hits_with_the_same_tools_tuple_do_not_name_the_tools_again(
    factories: Factories,
) -> None:
    named: list[Sequence[Any]] = []

    def counting_names(tools: Sequence[Any]) -> tuple[str, ...]:
        named.append(tools)
        return tool_names(tools)

    registry = SessionRegistry(factories.llm, factories.tts, tools_key=counting_names)
    llm = registry.get_llm("s1", GEMINI_KEY, TOOLS)
    for _ in range(3):
        assert registry.get_llm("s1", GEMINI_KEY, TOOLS) is llm
    assert named == [TOOLS], "named once, on the miss"

    same_names = (Tool("get_menu"), Tool("add_to_order"))
    assert registry.get_llm("s1", GEMINI_KEY, same_names) is llm
    assert registry.get_llm("s1", GEMINI_KEY, same_names) is llm
    assert named == [TOOLS, same_names], "an equal tuple is named once, then remembered"
    stats = registry.stats()
    assert (stats.hits, stats.misses) == (5, 1)
    assert_adds_up(stats)


def test_a_tools_list_changed_in_place_is_noticed(registry: SessionRegistry[Any, Any]) -> None:
    tools = [Tool("get_menu")]
    llm = registry.get_llm("s1", GEMINI_KEY, tools)
    assert registry.get_llm("s1", GEMINI_KEY, tools) is llm

    tools.append(Tool("pay_bill"))  # same object, other tools: identity proves nothing here

    assert registry.get_llm("s1", GEMINI_KEY, tools) is not llm
    assert llm.close_calls == 1


def test_a_changed_key_with_the_same_tools_tuple_is_noticed(
    registry: SessionRegistry[Any, Any],
) -> None:
    llm = registry.get_llm("s1", GEMINI_KEY, TOOLS)

    assert registry.get_llm("s1", GEMINI_KEY_2, TOOLS) is not llm
    assert registry.get_llm("s1", GEMINI_KEY, TOOLS) is not llm


def test_hits_on_many_threads_are_all_counted(registry: SessionRegistry[Any, Any]) -> None:
    """Hits take no lock and are counted per thread; threads that ended still count."""
    tts = registry.get_tts("s1", CARTESIA_KEY)
    start = threading.Barrier(8)
    returned: list[object] = []

    def hammer() -> None:
        start.wait()
        for _ in range(200):
            returned.append(registry.get_tts("s1", CARTESIA_KEY))

    threads = [threading.Thread(target=hammer) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert returned == [tts] * 1600
    stats = registry.stats()
    assert (stats.hits, stats.misses) == (1600, 1)
    assert_adds_up(stats)


def test_a_hit_never_finds_a_client_of_a_cleared_session(
    registry: SessionRegistry[Any, Any],
) -> None:
    """A removed entry is emptied, so even a reader that still holds it finds nothing."""
    old = registry.get_tts("s1", CARTESIA_KEY)
    held = registry._entries["s1"]  # what a hit on another thread may have just read

    registry.clear_all()

    assert (held.llm, held.tts) == (None, None)
    assert registry.get_tts("s1", CARTESIA_KEY) is not old


def test_a_failing_factory_stores_nothing_and_the_next_call_retries(
    factories: Factories,
) -> None:
    calls = 0

    def flaky_tts(key: str) -> FakeClient:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise ConnectionError("network down")
        return factories.tts(key)

    registry = SessionRegistry(factories.llm, flaky_tts)

    with pytest.raises(ConnectionError):
        registry.get_tts("s1", CARTESIA_KEY)
    assert registry.stats().sessions == 0

    tts = registry.get_tts("s1", CARTESIA_KEY)
    assert registry.get_tts("s1", CARTESIA_KEY) is tts
    stats = registry.stats()
    assert (stats.misses, stats.factory_errors, stats.creations, stats.hits) == (2, 1, 1, 1)
    assert_adds_up(stats)


# -- clearing and eviction -------------------------------------------------------------------


def test_clear_closes_that_sessions_clients_only(registry: SessionRegistry[Any, Any]) -> None:
    a_llm = registry.get_llm("a", GEMINI_KEY, TOOLS)
    a_tts = registry.get_tts("a", CARTESIA_KEY)
    b_llm = registry.get_llm("b", GEMINI_KEY, TOOLS)

    assert registry.clear("a") == 2

    assert (a_llm.close_calls, a_tts.close_calls, b_llm.close_calls) == (1, 1, 0)
    assert registry.get_llm("b", GEMINI_KEY, TOOLS) is b_llm
    fresh = registry.get_llm("a", GEMINI_KEY, TOOLS)
    assert fresh is not a_llm, "a cleared session gets new clients"
    stats = registry.stats()
    assert (stats.cleared, stats.closed, stats.sessions) == (2, 2, 2)
    assert_adds_up(stats)


def test_clearing_an_unknown_session_does_nothing(registry: SessionRegistry[Any, Any]) -> None:
    assert registry.clear("nobody") == 0
    assert registry.stats().cleared == 0


def test_clear_all_closes_everything(
    registry: SessionRegistry[Any, Any], factories: Factories
) -> None:
    for sid in ("a", "b", "c"):
        registry.get_llm(sid, GEMINI_KEY, TOOLS)
        registry.get_tts(sid, CARTESIA_KEY)

    assert registry.clear_all() == 6

    assert [client.close_calls for client in factories.made] == [1] * 6
    stats = registry.stats()
    assert (stats.sessions, stats.live, stats.cleared, stats.closed) == (0, 0, 6, 6)
    assert_adds_up(stats)
    assert registry.clear_all() == 0


def test_evict_idle_closes_only_sessions_unused_for_that_long(
    registry: SessionRegistry[Any, Any], clock: FakeClock
) -> None:
    old_llm = registry.get_llm("old", GEMINI_KEY, TOOLS)
    old_tts = registry.get_tts("old", CARTESIA_KEY)
    kept = registry.get_llm("kept", GEMINI_KEY, TOOLS)
    clock.now += 50
    assert registry.get_llm("kept", GEMINI_KEY, TOOLS) is kept  # a hit counts as use
    clock.now += 20

    assert registry.evict_idle(60) == ["old"]

    assert (old_llm.close_calls, old_tts.close_calls, kept.close_calls) == (1, 1, 0)
    assert registry.get_llm("kept", GEMINI_KEY, TOOLS) is kept
    assert registry.get_llm("old", GEMINI_KEY, TOOLS) is not old_llm
    stats = registry.stats()
    assert (stats.evicted, stats.closed, stats.sessions) == (2, 2, 2)
    assert_adds_up(stats)


def test_evict_idle_counts_from_the_last_use_not_the_creation(
    registry: SessionRegistry[Any, Any], clock: FakeClock
) -> None:
    registry.get_tts("s1", CARTESIA_KEY)
    clock.now += 59
    registry.get_tts("s1", CARTESIA_KEY)
    clock.now += 59

    assert registry.evict_idle(60) == []
    clock.now += 1
    assert registry.evict_idle(60) == ["s1"]


def test_evict_idle_refuses_a_negative_age(registry: SessionRegistry[Any, Any]) -> None:
    with pytest.raises(ValueError):
        registry.evict_idle(-1)


# -- closing ---------------------------------------------------------------------------------


def test_a_close_that_raises_is_logged_without_the_key_and_swallowed(
    factories: Factories, caplog: pytest.LogCaptureFixture, expected_logs: list[str]
) -> None:
    expected_logs.append(r"^Closing the llm client of session s1 failed \(RuntimeError\)")

    def closer(client: object) -> None:
        raise RuntimeError(f"pool shutdown failed for key={GEMINI_KEY}")

    registry = SessionRegistry(factories.llm, factories.tts, closer=closer)
    registry.get_llm("s1", GEMINI_KEY, TOOLS)
    caplog.set_level(logging.DEBUG, logger="mayadesk")

    registry.get_llm("s1", GEMINI_KEY_2, TOOLS)  # replaces, so closes the first

    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    message = warnings[0].getMessage()
    assert "s1" in message and "RuntimeError" in message
    assert GEMINI_KEY not in logging.Formatter().format(warnings[0])
    assert registry.clear_all() == 1
    stats = registry.stats()
    assert (stats.closed, stats.close_errors) == (2, 2)
    assert_adds_up(stats)


def test_close_client_calls_close_when_there_is_one() -> None:
    client = FakeClient("tts", 0)
    close_client(client)
    close_client(object())  # nothing to close: fine
    assert client.close_calls == 1


def test_close_client_refuses_an_async_close_without_leaking_the_coroutine() -> None:
    class AsyncClient:
        async def close(self) -> None:
            await asyncio.sleep(0)  # noqa: sleep-ok  (yields to the loop, waits for nothing)

    # warnings are errors in this suite, so an un-awaited coroutine would fail the test
    with pytest.raises(TypeError, match="asynchronous"):
        close_client(AsyncClient())


# -- tool names ------------------------------------------------------------------------------


def test_tool_names_reads_declarations_tools_and_functions() -> None:
    def get_bill() -> None:
        pass

    class Recommend:
        pass

    tools = [{"name": "get_menu", "parameters": {}}, Tool("add_to_order"), get_bill, Recommend]

    assert tool_names(tools) == ("get_menu", "add_to_order", "get_bill", "Recommend")


def test_tool_names_refuses_what_it_cannot_name() -> None:
    with pytest.raises(TypeError, match="tools_key"):
        tool_names([42])
    with pytest.raises(TypeError, match="tools_key"):
        tool_names([{"function_declarations": []}])


# -- stats -----------------------------------------------------------------------------------


def test_stats_violations_name_each_broken_invariant() -> None:
    zero = {f.name: 0 for f in fields(RegistryStats)}
    assert RegistryStats(**zero).violations() == []

    broken = RegistryStats(**{**zero, "misses": 3, "creations": 2, "closed": 1})

    found = broken.violations()
    assert any(v.startswith("misses == creations + factory_errors") for v in found)
    assert any(v.startswith("creations == live + retired") for v in found)
    assert any(v.startswith("closed == retired") for v in found)


def test_stats_is_a_frozen_snapshot(registry: SessionRegistry[Any, Any]) -> None:
    before = registry.stats()
    registry.get_tts("s1", CARTESIA_KEY)

    assert before.misses == 0
    with pytest.raises(AttributeError):
        before.hits = 5  # type: ignore[misc]


# -- secrecy ---------------------------------------------------------------------------------


def _everything_reachable(root: object) -> Iterator[object]:
    """Walk the registry's own data (dicts, tuples, slots); clients and callables are not its."""
    seen: set[int] = set()
    stack = [root]
    while stack:
        obj = stack.pop()
        if id(obj) in seen or isinstance(obj, FakeClient) or callable(obj):
            continue
        seen.add(id(obj))
        yield obj
        if isinstance(obj, dict):
            stack.extend(obj.keys())
            stack.extend(obj.values())
        elif isinstance(obj, list | tuple | set | frozenset):
            stack.extend(obj)
        if hasattr(obj, "__dict__"):
            stack.extend(vars(obj).values())
        for name in getattr(type(obj), "__slots__", ()):
            if hasattr(obj, name):
                stack.append(getattr(obj, name))


def bare_str_hashes(keys: Sequence[str]) -> set[int]:
    """`hash(key)` as an interpreter with a fixed hash seed computes it: a bare hash."""
    script = "import sys; print(*(hash(k) for k in sys.argv[1:]))"
    out = subprocess.run(
        [sys.executable, "-c", script, *keys],
        env={**os.environ, "PYTHONHASHSEED": "0"},
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return {int(word) for word in out.split()}


@pytest.fixture(params=["str-hash", "blake2b"])
def tag_mode(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Run a test with the registry's tags from each source `KeyHasher` can choose."""
    if request.param == "blake2b":
        monkeypatch.setenv("PYTHONHASHSEED", "7")  # a fixed seed: str hashes are not secret
    else:  # the str-hash mode needs a random seed; an interpreter started with a fixed one
        monkeypatch.delenv("PYTHONHASHSEED", raising=False)  # is not what this test covers
        assert str_hash_is_secret(), "PYTHONHASHSEED is fixed for the whole run"
    return str(request.param)


def test_keys_are_not_kept_shown_or_logged(
    factories: Factories,
    caplog: pytest.LogCaptureFixture,
    expected_logs: list[str],
    tag_mode: str,
) -> None:
    expected_logs.append(r"^Closing the (llm|tts) client of session s[12] failed \(ValueError\)")
    caplog.set_level(logging.DEBUG)

    def closer(client: object) -> None:
        raise ValueError(f"could not close client with {CARTESIA_KEY}")

    registry = SessionRegistry(factories.llm, factories.tts, closer=closer)
    registry.get_llm("s1", GEMINI_KEY, TOOLS)
    registry.get_tts("s1", CARTESIA_KEY)
    registry.get_llm("s1", GEMINI_KEY_2, TOOLS)
    registry.get_tts("s1", CARTESIA_KEY_2)
    registry.get_tts("s2", CARTESIA_KEY)

    bare_digests = {hashlib.sha256(k.encode()).digest() for k in ALL_KEYS}
    bare_hexes = {d.hex() for d in bare_digests}
    bare_ints = bare_str_hashes(ALL_KEYS)
    tags = set()
    for obj in _everything_reachable(registry):
        if isinstance(obj, str):
            assert not any(key in obj for key in ALL_KEYS)
            assert obj not in bare_hexes
        if isinstance(obj, bytes):
            assert obj not in bare_digests, "key hashes must be keyed, not bare SHA-256"
            tags.add(obj)
        if isinstance(obj, int) and not isinstance(obj, bool):
            assert obj not in bare_ints, "key tags must be keyed, not a fixed-seed str hash"
            tags.add(obj)
    # The walk must see the three cached clients' tags, or it proves nothing.
    if tag_mode == "str-hash":
        assert {hash(k) for k in (GEMINI_KEY_2, CARTESIA_KEY_2, CARTESIA_KEY)} <= tags
    else:
        assert len({t for t in tags if isinstance(t, bytes) and len(t) == 16}) == 3

    shown = [repr(registry), str(registry), repr(registry.stats()), str(registry.stats())]
    registry.clear_all()
    shown.append(repr(registry.stats()))
    shown.extend(logging.Formatter().format(record) for record in caplog.records)
    assert any("ValueError" in text for text in shown), "the failing closes were logged"
    for text in shown:
        assert not any(key in text for key in ALL_KEYS), text
        assert "AIza" not in text and "sk_car_" not in text


def test_key_digests_are_keyed_blake2b_under_a_per_hasher_secret() -> None:
    for secret in (b"k", bytes(range(32)), bytes(64)):
        hasher = KeyHasher(secret)
        for key in ("", GEMINI_KEY, CARTESIA_KEY, "ключ-ü", "bad\udc80surrogate"):
            data = key.encode("utf-8", "surrogatepass")
            expected = hashlib.blake2b(data, key=secret, digest_size=16).digest()
            assert hasher.digest(key) == expected
            assert hasher.digest(key) == expected, "the keyed state is copied, not used up"

    one, two = KeyHasher(), KeyHasher()
    assert one.digest(GEMINI_KEY) != two.digest(GEMINI_KEY), "a fresh random secret each"
    assert one.digest(GEMINI_KEY) != one.digest(GEMINI_KEY_2)
    assert "hidden" in repr(one)


def test_tags_are_the_interpreters_str_hash_only_while_its_secret_is_random(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with_str_hash = KeyHasher(bytes(32), use_str_hash=True)
    assert with_str_hash.tag(GEMINI_KEY) == hash(GEMINI_KEY)
    assert with_str_hash.tag(GEMINI_KEY) != with_str_hash.tag(GEMINI_KEY_2)
    with_digest = KeyHasher(bytes(32), use_str_hash=False)
    assert with_digest.tag(GEMINI_KEY) == with_digest.digest(GEMINI_KEY)

    random_here = bool(sys.flags.hash_randomization)
    for seed, secret in (("", random_here), ("random", random_here), ("0", False), ("7", False)):
        monkeypatch.setenv("PYTHONHASHSEED", seed)
        assert str_hash_is_secret() is secret, seed
        hasher = KeyHasher(bytes(32))
        expected = hash(GEMINI_KEY) if secret else hasher.digest(GEMINI_KEY)
        assert hasher.tag(GEMINI_KEY) == expected, seed
