"""CartesiaVoice and the Speaker with the real cartesia SDK against the fake Cartesia server.

Figures worth reporting are printed as `MEASURED ...` (run with `-s` to see them).
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from mayadesk.voice.sentences import split_all
from mayadesk.voice.speaker import Speaker
from mayadesk.voice.speech_text import text_for_speech
from mayadesk.voice.tts_cartesia import CartesiaVoice, cartesia_ws_url
from tests.fakes.cartesia import MAYA_VOICE_ID, FakeCartesia
from tests.helpers.speech_recorders import Events, Sink
from tests.integration.voice_tts.conftest import KEY

REPLY = (
    "Welcome to the bar! Tonight's special is a Negroni at $12.50, stirred. "
    "Would you like one, or shall I surprise you?"
)
SPOKEN = [
    "Welcome to the bar!",
    "Tonight's special is a Negroni at 12 dollars and 50 cents, stirred.",
    "Would you like one, or shall I surprise you?",
]


@pytest.fixture
def voice(fake: FakeCartesia) -> Iterator[CartesiaVoice]:
    cartesia = CartesiaVoice(KEY)
    yield cartesia
    cartesia.close()
    fake.wait_until(lambda: all(c.closed.is_set() for c in fake.connections))


@pytest.fixture
def speaker(sink: Sink, events: Events) -> Iterator[Speaker]:
    speaker = Speaker(sink, events)
    yield speaker
    speaker.close()


def stream_reply(speaker: Speaker, reply_id: str, voice: CartesiaVoice, text: str = REPLY) -> None:
    speaker.begin_reply(reply_id, voice)
    for start in range(0, len(text), 5):
        speaker.feed(text[start : start + 5])
    speaker.end_reply()


def test_the_override_is_used_and_the_websocket_url_derived(
    fake: FakeCartesia, voice: CartesiaVoice
) -> None:
    assert voice.base_url == fake.base_url
    assert voice.ws_url == fake.ws_url


@pytest.mark.parametrize(
    ("base", "ws_env", "expected"),
    [
        ("http://127.0.0.1:9", None, "ws://127.0.0.1:9"),
        ("https://proxy.example/cartesia/", None, "wss://proxy.example/cartesia"),
        ("https://api.cartesia.ai", "ws://127.0.0.1:7/", "ws://127.0.0.1:7"),
        (None, None, "wss://api.cartesia.ai"),
    ],
)
def test_websocket_url_comes_from_its_override_or_the_http_base(
    monkeypatch: pytest.MonkeyPatch, base: str | None, ws_env: str | None, expected: str
) -> None:
    for name, value in (("MAYADESK_CARTESIA_BASE_URL", base), ("MAYADESK_CARTESIA_WS_URL", ws_env)):
        if value is None:
            monkeypatch.delenv(name, raising=False)
        else:
            monkeypatch.setenv(name, value)
    assert cartesia_ws_url() == expected


def test_a_reply_is_one_context_of_continued_sentences_with_the_exact_transcript(
    fake: FakeCartesia, voice: CartesiaVoice, speaker: Speaker, sink: Sink, events: Events
) -> None:
    assert [text_for_speech(p) for p in split_all(REPLY)] == SPOKEN
    stream_reply(speaker, "r1", voice)
    assert events.finished("r1").voices == ("cartesia",)

    [connection] = fake.connections
    assert (connection.api_key, connection.auth_via) == (KEY, "bearer")
    [context] = fake.contexts
    assert context.transcript == " ".join(SPOKEN)
    assert context.pieces == [SPOKEN[0], " " + SPOKEN[1], " " + SPOKEN[2]]
    *pushes, last = context.messages
    assert [m["continue"] for m in pushes] == [True, True, True]
    assert all(m["flush"] is True for m in pushes)
    assert (last["transcript"], last["continue"]) == ("", False)  # no_more_inputs()
    for message in context.messages:
        assert message["max_buffer_delay_ms"] == 0
    assert context.model_id == "sonic-3"
    assert context.voice == {"id": MAYA_VOICE_ID}
    assert context.output_format == {
        "container": "raw",
        "encoding": "pcm_s16le",
        "sample_rate": 24000,
    }
    # Each piece is its own utterance, holding exactly the audio the server sent for it.
    uids = [f"r1#{i}.cartesia" for i in range(3)]
    assert sink.heard() == uids
    assert sink.ended == uids
    assert [bytes(sink.audio[uid]) for uid in uids] == context.piece_audio
    assert {sink.rates[uid] for uid in uids} == {24000}
    assert events.voiced() == [(i, text, "cartesia") for i, text in enumerate(SPOKEN)]


def test_replies_share_the_socket_and_each_gets_its_own_context(
    fake: FakeCartesia, voice: CartesiaVoice, speaker: Speaker, events: Events
) -> None:
    stream_reply(speaker, "r1", voice)
    events.finished("r1")
    stream_reply(speaker, "r2", voice, "Coming right up. One Negroni, stirred not shaken.")
    events.finished("r2")
    assert len(fake.connections) == 1
    first, second = fake.contexts
    assert first.context_id != second.context_id
    assert first.frequency != second.frequency
    assert second.transcript == "Coming right up. One Negroni, stirred not shaken."


def test_stop_sends_cancel_returns_at_once_and_the_socket_stays_usable(
    fake: FakeCartesia, voice: CartesiaVoice, speaker: Speaker, sink: Sink, events: Events
) -> None:
    fake.hold_after_chunks = 3
    stream_reply(speaker, "r1", voice)
    fake.wait_until(lambda: bool(fake.contexts) and fake.contexts[0].held.is_set())
    context = fake.contexts[0]
    sink.wait_for(lambda: sink.chunks == 3)

    start = time.monotonic()
    speaker.stop()
    returned = time.monotonic() - start
    fake.wait_until(context.cancelled.is_set, timeout=2)
    at_server = time.monotonic() - start
    print(
        f"MEASURED stop() returned in {returned * 1000:.2f} ms; "
        f"cancel at the server after {at_server * 1000:.2f} ms"
    )
    assert returned < 0.1
    assert context.messages[-1] == {"cancel": True, "context_id": context.context_id}
    assert events.finished("r1").stopped
    assert sink.cancelled == ["r1#0.cartesia"]

    fake.hold_after_chunks = None
    fake.release.set()
    stream_reply(speaker, "r2", voice, "Something else, then? Our mojito is lovely tonight.")
    assert events.finished("r2").voices == ("cartesia",)
    assert len(fake.connections) == 1
    assert sink.chunks > 3 and all(not uid.startswith("r1") for uid in sink.heard()[1:])


@pytest.mark.parametrize("latency", [0.0, 0.09])
def test_time_to_first_audio_from_the_first_push(
    fake: FakeCartesia,
    voice: CartesiaVoice,
    speaker: Speaker,
    sink: Sink,
    events: Events,
    latency: float,
) -> None:
    stream_reply(speaker, "warm-up", voice, "Hello there.")  # the socket is open already
    events.finished("warm-up")
    fake.first_chunk_latency = latency
    first = Sink()
    speaker_b = Speaker(first, events)
    try:
        speaker_b.begin_reply("r1", voice)
        complete = time.monotonic()
        speaker_b.feed("Sure thing! ")  # a plain first sentence leaves with its delta
        speaker_b.feed("Coming right up.")
        fake.wait_until(lambda: len(fake.contexts) == 2)
        pushed_at = fake.contexts[1].started_at
        first.wait_for(lambda: first.first_audio_at is not None)
        assert first.first_audio_at is not None
        took = first.first_audio_at - pushed_at
        overall = first.first_audio_at - complete
        print(
            f"MEASURED first push (at the server) -> first PCM at the sink: {took * 1000:.1f} ms; "
            f"sentence complete -> first PCM: {overall * 1000:.1f} ms "
            f"(fake latency {latency * 1000:.0f} ms)"
        )
        assert latency <= took < latency + 0.1
        assert overall < latency + 0.1
        speaker_b.end_reply()
        events.finished("r1")
    finally:
        speaker_b.close()


def test_warm_up_opens_the_socket_before_the_first_reply(
    fake: FakeCartesia, voice: CartesiaVoice
) -> None:
    voice.warm_up()
    assert voice.is_connected
    assert len(fake.connections) == 1 and fake.contexts == []


def test_overlapping_replies_on_one_socket_each_get_only_their_own_audio(
    fake: FakeCartesia, voice: CartesiaVoice, speaker: Speaker, sink: Sink, events: Events
) -> None:
    fake.chunk_interval = 0.004  # slow enough that the two contexts interleave on the wire
    stream_reply(speaker, "r1", voice)
    stream_reply(speaker, "r2", voice, "And for your friend? The mojito is lovely tonight.")
    events.finished("r1")
    events.finished("r2")
    first, second = fake.contexts
    assert first.connection is second.connection
    order = [uid.split("#")[0] for uid in sink.sequence]
    assert order.index("r2") < len(order) - 1 - order[::-1].index("r1")  # they interleaved
    for reply, context in (("r1", first), ("r2", second)):
        uids = [uid for uid in sink.heard() if uid.startswith(reply + "#")]
        assert [bytes(sink.audio[uid]) for uid in uids] == context.piece_audio
