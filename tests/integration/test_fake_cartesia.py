"""The fake Cartesia server, driven by the real ``cartesia`` SDK 4.2 (sync and async).

Pins the fake to the SDK's real wire format (HTTP, SSE, WebSocket contexts, auth) and shows
the SDK behaviours the app has to live with (see the "SDK behaviour" section).
"""

from __future__ import annotations

import asyncio
import io
import threading
import time
import wave
from collections.abc import Iterator
from typing import Any, cast

import cartesia
import pytest
from cartesia import AsyncCartesia, Cartesia
from cartesia.types import RawOutputFormatParam, WAVOutputFormatParam
from cartesia.types.voice_specifier_param import TTSRequestVoiceObject
from cartesia.types.websocket_response import FlushDone, Timestamps
from websockets.exceptions import ConnectionClosedError, InvalidStatus

from tests.fakes.audio import decode_pcm, dominant_frequency, rms
from tests.fakes.cartesia import MAYA_VOICE_ID, CartesiaFailure, FakeCartesia

KEY = "sk_car_fake_test_key"
RATE = 24000
FMT: RawOutputFormatParam = {"container": "raw", "encoding": "pcm_s16le", "sample_rate": 24000}
VOICE: TTSRequestVoiceObject = {"id": MAYA_VOICE_ID}
MODEL = "sonic-3"


@pytest.fixture
def tts() -> Iterator[FakeCartesia]:
    before = set(threading.enumerate())
    with FakeCartesia(accepted_keys={KEY}) as fake:
        yield fake
    assert fake.problems == []
    leaked = [t.name for t in set(threading.enumerate()) - before if t.name.startswith("Fake")]
    assert leaked == []


def make_client(fake: FakeCartesia, key: str = KEY) -> Cartesia:
    return Cartesia(
        api_key=key, base_url=fake.base_url, websocket_base_url=fake.ws_url, max_retries=0
    )


@pytest.fixture
def client(tts: FakeCartesia) -> Iterator[Cartesia]:
    with make_client(tts) as sdk:
        yield sdk


def expected_bytes(text: str, ms_per_char: float = 60.0, rate: int = RATE) -> int:
    """Audio length the fake produces for one piece of text, in 16-bit bytes."""
    return round(len(text) * ms_per_char / 1000 * rate) * 2


# --------------------------------------------------------------------------------------
# HTTP
# --------------------------------------------------------------------------------------


def test_generate_returns_the_contexts_tone_for_the_text_length(
    tts: FakeCartesia, client: Cartesia
) -> None:
    text = "Welcome to the bar!"
    audio = client.tts.generate(
        model_id=MODEL, transcript=text, voice=VOICE, output_format=FMT
    ).read()

    assert len(audio) == expected_bytes(text)
    (ctx,) = tts.contexts
    assert ctx.source == "bytes"
    assert ctx.transcript == text
    assert ctx.model_id == MODEL
    assert ctx.voice == VOICE
    assert ctx.frequency == 440.0
    assert dominant_frequency(audio, RATE) == pytest.approx(440.0, abs=2)
    assert rms(audio) > 0.1
    assert bytes(ctx.audio) == audio
    (request,) = tts.requests
    assert request.path == "/tts/bytes"
    assert request.headers["authorization"] == f"Bearer {KEY}"
    assert request.auth_via == "bearer"
    assert request.headers["cartesia-version"] == "2026-08-14"
    assert request.body["transcript"] == text


def test_generate_wav_container_is_a_valid_wav_file(tts: FakeCartesia, client: Cartesia) -> None:
    fmt: WAVOutputFormatParam = {"container": "wav", "encoding": "pcm_s16le", "sample_rate": 16000}
    data = client.tts.generate(
        model_id=MODEL, transcript="Cheers!", voice=VOICE, output_format=fmt
    ).read()

    with wave.open(io.BytesIO(data)) as wav:
        assert (wav.getnchannels(), wav.getsampwidth(), wav.getframerate()) == (1, 2, 16000)
        frames = wav.readframes(wav.getnframes())
    assert len(frames) == expected_bytes("Cheers!", rate=16000)
    assert dominant_frequency(frames, 16000) == pytest.approx(440.0, abs=2)


def test_generate_sse_streams_chunk_events_then_done(tts: FakeCartesia, client: Cartesia) -> None:
    text = "One more round."
    events = list(
        client.tts.generate_sse(model_id=MODEL, transcript=text, voice=VOICE, output_format=FMT)
    )

    assert [e.type for e in events[:-1]] == ["chunk"] * (len(events) - 1)
    assert events[-1].type == "done"
    assert len(events) > 3
    audio = b"".join(e.audio or b"" for e in events if e.type == "chunk")
    assert len(audio) == expected_bytes(text)
    assert tts.contexts[0].source == "sse"


def test_voices_list_is_a_cursor_page_the_sdk_can_paginate(
    tts: FakeCartesia, client: Cartesia
) -> None:
    ids = [voice.id for voice in client.voices.list(limit=1)]  # auto-pagination
    assert ids == [MAYA_VOICE_ID, "6ccbfb76-1fc6-48f7-b71d-91ac6298247b"]
    assert client.voices.get(MAYA_VOICE_ID).name == "Maya (fake)"
    paths = [(r.path, r.query.get("starting_after")) for r in tts.requests]
    assert paths[:2] == [("/voices", None), ("/voices", MAYA_VOICE_ID)]
    status = client.get_status()
    assert status.ok


def test_wrong_key_is_refused_over_http(tts: FakeCartesia) -> None:
    with make_client(tts, key="sk_car_wrong") as bad:
        with pytest.raises(cartesia.AuthenticationError) as caught:
            bad.voices.list()
        assert caught.value.status_code == 401
        with pytest.raises(cartesia.AuthenticationError):
            bad.tts.generate(model_id=MODEL, transcript="x", voice=VOICE, output_format=FMT)
    assert all(r.status == 401 for r in tts.requests)
    assert tts.contexts == []


def test_quota_failure_over_http(tts: FakeCartesia, client: Cartesia) -> None:
    tts.failure = CartesiaFailure.quota()
    with pytest.raises(cartesia.APIStatusError) as caught:
        client.tts.generate(model_id=MODEL, transcript="x", voice=VOICE, output_format=FMT)
    assert caught.value.status_code == 402
    assert cast(dict[str, Any], caught.value.body)["title"] == "Payment Required"
    client.voices.list()  # a quota problem is not a key problem


def test_invalid_request_is_a_400(tts: FakeCartesia, client: Cartesia) -> None:
    bad_format = cast(RawOutputFormatParam, {**FMT, "sample_rate": 5})
    with pytest.raises(cartesia.BadRequestError, match="sample_rate"):
        client.tts.generate(model_id=MODEL, transcript="x", voice=VOICE, output_format=bad_format)


# --------------------------------------------------------------------------------------
# WebSocket (sync client)
# --------------------------------------------------------------------------------------


def test_websocket_context_streams_chunks_then_done(tts: FakeCartesia, client: Cartesia) -> None:
    pieces = ["[ignored by TTS] ", "Hello there. ", "What'll it be?"]
    with client.tts.websocket_connect() as conn:
        ctx = conn.context(model_id=MODEL, voice=VOICE, output_format=FMT)
        for piece in pieces:
            ctx.push(piece)
        ctx.no_more_inputs()
        events = list(ctx.receive())

    assert [e.type for e in events[:-1]] == ["chunk"] * (len(events) - 1)
    assert events[-1].type == "done"
    assert {e.context_id for e in events} == {ctx._context_id}
    audio = b"".join(e.audio or b"" for e in events if e.type == "chunk")
    assert len(audio) == sum(expected_bytes(p) for p in pieces)
    # 40 ms chunks: 960 samples = 1920 bytes each (the last of each piece may be shorter).
    assert max(len(e.audio or b"") for e in events if e.type == "chunk") == 1920

    record = tts.context(ctx._context_id)
    assert record.transcript == "".join(pieces)
    assert [m["continue"] for m in record.messages] == [True, True, True, False]
    assert record.messages[-1]["transcript"] == ""
    assert record.done.is_set()
    (connection,) = tts.connections
    assert connection.accepted
    assert connection.path == "/tts/websocket"
    assert connection.headers["authorization"] == f"Bearer {KEY}"
    assert connection.auth_via == "bearer"
    assert connection.query == {}
    assert connection.headers["cartesia-version"] == "2026-08-14"
    tts.wait_until(lambda: connection.closed.is_set())


def test_two_contexts_get_distinct_tones(tts: FakeCartesia, client: Cartesia) -> None:
    with client.tts.websocket_connect() as conn:
        first = conn.context(model_id=MODEL, voice=VOICE, output_format=FMT)
        second = conn.context(model_id=MODEL, voice=VOICE, output_format=FMT)
        first.push("A mojito for the lady. ")
        second.push("And a beer for me. ")
        first.no_more_inputs()
        second.no_more_inputs()
        audio_first = b"".join(e.audio or b"" for e in first.receive() if e.type == "chunk")
        audio_second = b"".join(e.audio or b"" for e in second.receive() if e.type == "chunk")

    f1 = tts.frequency_for(first._context_id)
    f2 = tts.frequency_for(second._context_id)
    assert (f1, f2) == (440.0, 660.0)
    assert dominant_frequency(audio_first, RATE) == pytest.approx(f1, abs=2)
    assert dominant_frequency(audio_second, RATE) == pytest.approx(f2, abs=2)


def test_cancel_stops_a_context_and_the_connection_goes_on(tts: FakeCartesia) -> None:
    tts.hold_after_chunks = 2
    with make_client(tts) as client, client.tts.websocket_connect() as conn:
        ctx = conn.context(model_id=MODEL, voice=VOICE, output_format=FMT)
        ctx.push("A long sentence that would take a few seconds to say. ")
        received = []
        for event in ctx.receive():
            received.append(event)
            if len(received) == 2:
                break
        record = tts.context(ctx._context_id)
        assert record.held.wait(5)

        ctx.cancel()

        tts.wait_until(lambda: record.cancelled.is_set())
        tts.release.set()
        follow = conn.context(model_id=MODEL, voice=VOICE, output_format=FMT)
        follow.push("Next.")
        follow.no_more_inputs()
        events = list(follow.receive())

    assert record.chunks_sent == 2
    assert not record.done.is_set()
    assert record.messages[-1] == {"cancel": True, "context_id": ctx._context_id}
    assert [e.type for e in events][-1] == "done"
    assert {e.context_id for e in events} == {follow._context_id}
    assert tts.context(follow._context_id).frequency == 660.0


def test_wrong_key_refuses_the_websocket_handshake(tts: FakeCartesia) -> None:
    with (
        make_client(tts, key="sk_car_wrong") as bad,
        pytest.raises(InvalidStatus) as caught,
        bad.tts.websocket_connect(),
    ):
        pass
    assert caught.value.response.status_code == 401
    assert b"Invalid API key" in caught.value.response.body
    (connection,) = tts.connections
    assert not connection.accepted
    assert connection.api_key == "sk_car_wrong"


def test_quota_failure_ends_the_context_with_an_error_event(
    tts: FakeCartesia, client: Cartesia
) -> None:
    tts.failure = CartesiaFailure.quota()
    with client.tts.websocket_connect() as conn:
        ctx = conn.context(model_id=MODEL, voice=VOICE, output_format=FMT)
        ctx.push("Hello.")
        events = list(ctx.receive())
    (event,) = events
    assert event.type == "error"
    assert event.status_code == 402
    assert event.context_id == ctx._context_id
    assert event.error == "Payment Required: " + CartesiaFailure.quota().message


def test_dropped_connection_raises_in_receive(tts: FakeCartesia, client: Cartesia) -> None:
    tts.drop_after_chunks = 3
    chunks = 0
    with (
        pytest.raises(ConnectionClosedError),
        client.tts.websocket_connect() as conn,
    ):
        ctx = conn.context(model_id=MODEL, voice=VOICE, output_format=FMT)
        ctx.push("This reply will be cut off by the network.")
        for event in ctx.receive():
            chunks += event.type == "chunk"
    assert chunks == 3
    assert tts.connections[0].dropped


def test_first_chunk_latency_is_injected(tts: FakeCartesia, client: Cartesia) -> None:
    tts.first_chunk_latency = 0.3
    with client.tts.websocket_connect() as conn:
        ctx = conn.context(model_id=MODEL, voice=VOICE, output_format=FMT)
        sent = time.monotonic()
        ctx.push("Hi.")
        ctx.no_more_inputs()
        first = next(iter(ctx.receive()))
        waited = time.monotonic() - sent
        list(ctx.receive())
    assert first.type == "chunk"
    assert waited >= 0.28
    record = tts.context(ctx._context_id)
    assert record.first_chunk_at is not None
    assert record.first_chunk_at - record.started_at >= 0.29


def test_flush_and_timestamps(tts: FakeCartesia, client: Cartesia) -> None:
    with client.tts.websocket_connect() as conn:
        ctx = conn.context(model_id=MODEL, voice=VOICE, output_format=FMT, add_timestamps=True)
        ctx.push("Two beers, ", flush=True)
        ctx.no_more_inputs()
        events = list(ctx.receive())
    types = [e.type for e in events]
    assert types.index("timestamps") < types.index("flush_done") < types.index("done")
    timestamps = events[types.index("timestamps")]
    assert isinstance(timestamps, Timestamps)
    stamps = timestamps.word_timestamps
    assert stamps is not None
    assert stamps.words == ["Two", "beers,"]
    assert stamps.end[-1] == pytest.approx(0.6)
    flush_done = events[types.index("flush_done")]
    assert isinstance(flush_done, FlushDone)
    assert flush_done.flush_id == 1


def test_float_output_at_another_rate(tts: FakeCartesia, client: Cartesia) -> None:
    fmt: RawOutputFormatParam = {"container": "raw", "encoding": "pcm_f32le", "sample_rate": 44100}
    with client.tts.websocket_connect() as conn:
        ctx = conn.context(model_id=MODEL, voice=VOICE, output_format=fmt)
        ctx.push("Float audio.")
        ctx.no_more_inputs()
        audio = b"".join(e.audio or b"" for e in ctx.receive() if e.type == "chunk")
    samples = decode_pcm(audio, "pcm_f32le")
    assert samples.size == round(len("Float audio.") * 0.06 * 44100)
    assert dominant_frequency(samples, 44100) == pytest.approx(440.0, abs=2)


def test_stop_is_quick_even_with_a_held_websocket(client: Cartesia) -> None:
    fake = FakeCartesia(hold_after_chunks=1).start()
    try:
        with make_client(fake, key="any") as local:
            conn = local.tts.websocket_connect().enter()
            ctx = conn.context(model_id=MODEL, voice=VOICE, output_format=FMT)
            ctx.push("Held forever.")
            assert next(iter(ctx.receive())).type == "chunk"
            assert fake.contexts[0].held.wait(5)
            started = time.monotonic()
            fake.stop()
            assert time.monotonic() - started < 2.0
            with pytest.raises(ConnectionClosedError):
                list(ctx.receive())
            conn.close()
    finally:
        fake.stop()
    assert fake.problems == []


# --------------------------------------------------------------------------------------
# WebSocket (async client)
# --------------------------------------------------------------------------------------


def test_async_client_two_concurrent_contexts(tts: FakeCartesia) -> None:
    async def speak(conn: Any, text: str) -> tuple[str, bytes, list[str]]:
        ctx = conn.context(model_id=MODEL, voice=VOICE, output_format=FMT)
        await ctx.push(text)
        await ctx.no_more_inputs()
        events = [e async for e in ctx.receive()]
        audio = b"".join(e.audio or b"" for e in events if e.type == "chunk")
        return ctx._context_id, audio, [e.type for e in events]

    async def run() -> list[tuple[str, bytes, list[str]]]:
        client = AsyncCartesia(
            api_key=KEY, base_url=tts.base_url, websocket_base_url=tts.ws_url, max_retries=0
        )
        try:
            async with client.tts.websocket_connect() as conn:
                return list(
                    await asyncio.gather(
                        speak(conn, "First tab speaking. "), speak(conn, "Second tab here. ")
                    )
                )
        finally:
            await client.close()

    results = asyncio.run(run())

    frequencies = set()
    for context_id, audio, types in results:
        assert types[-1] == "done"
        assert set(types[:-1]) == {"chunk"}
        expected = tts.frequency_for(context_id)
        assert dominant_frequency(audio, RATE) == pytest.approx(expected, abs=2)
        frequencies.add(expected)
    assert len(frequencies) == 2
    assert tts.connections[0].headers["x-stainless-async"].startswith("async")


def test_async_client_wrong_key(tts: FakeCartesia) -> None:
    async def run() -> None:
        client = AsyncCartesia(
            api_key="nope", base_url=tts.base_url, websocket_base_url=tts.ws_url, max_retries=0
        )
        try:
            async with client.tts.websocket_connect():
                pass
        finally:
            await client.close()

    with pytest.raises(InvalidStatus, match="401"):
        asyncio.run(run())


# --------------------------------------------------------------------------------------
# SDK behaviour the app has to live with (documented by tests, so an SDK upgrade that
# changes it is noticed)
# --------------------------------------------------------------------------------------


def test_sync_sdk_hands_a_cancelled_contexts_in_flight_chunk_to_the_next_receive(
    tts: FakeCartesia, client: Cartesia
) -> None:
    """After ``ctx.cancel()`` the sync SDK forgets the context, so a chunk of it already on
    the wire is yielded by the *next* context's ``receive()``. Filter on ``context_id``."""
    tts.hold_after_chunks = 2
    with client.tts.websocket_connect() as conn:
        old = conn.context(model_id=MODEL, voice=VOICE, output_format=FMT)
        old.push("Something long enough for several chunks.")
        assert next(iter(old.receive())).type == "chunk"  # chunk 2 stays unread
        assert tts.context(old._context_id).held.wait(5)
        old.cancel()
        tts.wait_until(lambda: tts.context(old._context_id).cancelled.is_set())
        tts.release.set()
        new = conn.context(model_id=MODEL, voice=VOICE, output_format=FMT)
        new.push("Next.")
        new.no_more_inputs()
        events = list(new.receive())
    assert events[0].context_id == old._context_id
    assert {e.context_id for e in events[1:]} == {new._context_id}


def test_twenty_connections_with_five_contexts_each(tts: FakeCartesia) -> None:
    """The load of "20 tabs x 5 turns": 100 contexts, 100 distinct, recognisable tones."""
    audio: dict[str, bytes] = {}
    lock = threading.Lock()

    def tab(index: int) -> None:
        with make_client(tts) as client, client.tts.websocket_connect() as conn:
            for turn in range(5):
                ctx = conn.context(model_id=MODEL, voice=VOICE, output_format=FMT)
                ctx.push(f"Tab {index}, turn {turn}. ")
                ctx.no_more_inputs()
                data = b"".join(e.audio or b"" for e in ctx.receive() if e.type == "chunk")
                with lock:
                    audio[ctx._context_id] = data

    threads = [threading.Thread(target=tab, args=(i,)) for i in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    assert len(audio) == 100
    frequencies = {tts.frequency_for(context_id) for context_id in audio}
    assert len(frequencies) == 100
    for context_id, data in audio.items():
        expected = tts.frequency_for(context_id)
        assert dominant_frequency(data, RATE) == pytest.approx(expected, abs=3)
    assert len(tts.connections) == 20
