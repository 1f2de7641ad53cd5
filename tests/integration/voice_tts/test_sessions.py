"""Each session's CartesiaVoice owns one socket; the registry closes it with the session."""

from __future__ import annotations

from typing import Any

from mayadesk.config import Settings
from mayadesk.sessions.registry import SessionRegistry
from mayadesk.voice.speaker import Speaker
from mayadesk.voice.tts_cartesia import CartesiaVoice, make_tts_factory
from tests.fakes.cartesia import FakeCartesia
from tests.helpers.speech_recorders import Events, Sink
from tests.integration.voice_tts.conftest import KEY


def _no_llm(key: str, tools: Any) -> object:
    raise AssertionError("no LLM in this test")


def test_two_sessions_use_two_sockets_and_the_registry_closes_them(
    fake: FakeCartesia, sink: Sink, events: Events
) -> None:
    registry: SessionRegistry[Any, CartesiaVoice] = SessionRegistry(
        _no_llm, make_tts_factory(Settings())
    )
    speakers = [Speaker(sink, events), Speaker(sink, events)]
    try:
        voices = [registry.get_tts(session, KEY) for session in ("tab-a", "tab-b")]
        assert voices[0] is not voices[1]
        assert registry.get_tts("tab-a", KEY) is voices[0]  # cached per session + key
        for n, (speaker, voice) in enumerate(zip(speakers, voices, strict=True)):
            speaker.begin_reply(f"r{n}", voice)
            speaker.feed(f"Cheers! Your drink is ready, guest number {n}.")
            speaker.end_reply()
        for n in range(2):
            assert events.finished(f"r{n}").voices == ("cartesia",)

        assert len(fake.connections) == 2
        first, second = (  # the sockets of tab-a and tab-b, told apart by what they said
            next(c for c in fake.contexts if f"number {n}." in c.transcript).connection
            for n in range(2)
        )
        assert first is not None and second is not None and first is not second
        assert first.accepted and second.accepted
        per_socket = [[c for c in fake.contexts if c.connection is s] for s in (first, second)]
        assert [len(contexts) for contexts in per_socket] == [1, 1]

        assert registry.clear("tab-a") == 1
        fake.wait_until(first.closed.is_set, timeout=5)
        assert not second.closed.is_set()
        assert registry.clear_all() == 1
        fake.wait_until(second.closed.is_set, timeout=5)
        assert registry.stats().violations() == []
    finally:
        for speaker in speakers:
            speaker.close()
        registry.clear_all()


def test_the_factory_builds_with_settings_defaults_and_no_network(fake: FakeCartesia) -> None:
    voice = make_tts_factory(Settings())(KEY)
    try:
        assert (voice.model_id, voice.voice_id) == (
            "sonic-3",
            "6f84f4b8-58a2-430c-8c79-688dad597532",
        )
        assert not voice.is_connected
        assert fake.connections == []
        assert KEY not in repr(voice)
    finally:
        voice.close()
