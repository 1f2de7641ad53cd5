"""The fallback chain for real: the fake Cartesia refuses or drops, the real Piper takes over.

Piper here is the real piper-tts with the bundled voice, so its audio must be speech-like:
22 050 Hz and far from silent. One test plays it through the real AudioOutput and finds it
in the recording of the PulseAudio null sink.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterator

import numpy as np
import pytest
from pytestqt.qtbot import QtBot

from mayadesk.voice.audio_output import AudioOutput
from mayadesk.voice.errors import VoiceErrorCategory
from mayadesk.voice.events import VoiceFailed, VoiceUsed
from mayadesk.voice.speaker import Speaker
from mayadesk.voice.tts_cartesia import CartesiaVoice
from mayadesk.voice.tts_piper import PiperVoice
from tests.fakes.cartesia import CartesiaFailure, FakeCartesia
from tests.helpers.recording import MonitorRecorder, loud_spans
from tests.helpers.speech_recorders import Events, Sink, rms
from tests.integration.voice_tts.conftest import KEY
from tests.integration.voice_tts.test_cartesia import REPLY, SPOKEN, stream_reply


@pytest.fixture
def voice(fake: FakeCartesia) -> Iterator[CartesiaVoice]:
    cartesia = CartesiaVoice(KEY)
    yield cartesia
    cartesia.close()


@pytest.fixture
def speaker(sink: Sink, events: Events) -> Iterator[Speaker]:
    speaker = Speaker(sink, events, piper=PiperVoice())
    yield speaker
    speaker.close()


def assert_speech(sink: Sink, uid: str) -> None:
    """Piper's voice: its own rate, at least half a second, and clearly not silence."""
    samples = sink.samples(uid)
    assert sink.rates[uid] == 22050
    assert len(samples) > 0.5 * 22050
    assert rms(samples) > 0.02
    assert np.max(np.abs(samples)) > 0.2


class _Tee:
    """Records what the speaker sends and passes it on to the real output."""

    def __init__(self, sink: Sink, output: AudioOutput) -> None:
        self.sink, self.output = sink, output

    def play(self, uid: str, pcm: bytes, rate: int) -> None:
        self.sink.play(uid, pcm, rate)
        self.output.play(uid, pcm, rate)

    def end(self, uid: str) -> None:
        self.sink.end(uid)
        self.output.end(uid)

    def cancel(self, uid: str) -> None:
        self.sink.cancel(uid)
        self.output.cancel(uid)


def test_without_a_key_piper_speaks_and_the_sink_hears_it(
    qtbot: QtBot, recorder: MonitorRecorder, sink: Sink, events: Events
) -> None:
    output = AudioOutput()
    finished: list[str] = []
    output.finished.connect(finished.append)
    speaker = Speaker(_Tee(sink, output), events, piper=PiperVoice())
    try:
        qtbot.waitUntil(lambda: recorder.seconds() > 0.1, timeout=5000)  # parec is recording
        mark = recorder.seconds()
        speaker.begin_reply("r1", None)
        speaker.feed("Here's your Negroni. ")
        speaker.feed("Enjoy it slowly, it's a strong one!")
        speaker.end_reply()
        assert events.finished("r1").voices == ("piper",)
        assert events.of(VoiceUsed) == [VoiceUsed("r1", "piper")]
        assert events.of(VoiceFailed) == []
        assert [text for _, text, _ in events.voiced()] == [
            "Here's your Negroni.",
            "Enjoy it slowly, it's a strong one!",
        ]
        for uid in sink.heard():
            assert_speech(sink, uid)
        qtbot.waitUntil(lambda: finished == sink.heard(), timeout=15000)
        samples = recorder.stop()
        heard = [(a, b) for a, b in loud_spans(samples) if a >= mark]
        assert heard, "nothing was played at the sink"
        spoken = sum(b - a for a, b in heard)
        expected = sum(len(sink.audio[uid]) / 2 / 22050 for uid in sink.heard())
        assert spoken > 0.5 * expected  # speech has pauses; most of it is loud
    finally:
        speaker.close()
        output.stop()
        qtbot.waitUntil(lambda: not output.is_playing(), timeout=3000)
        output.deleteLater()


@pytest.mark.parametrize(
    ("failure", "category"),
    [
        (CartesiaFailure.unauthorized(), VoiceErrorCategory.AUTH),
        (CartesiaFailure.quota(), VoiceErrorCategory.QUOTA),
    ],
    ids=["401", "402"],
)
def test_a_refusal_hands_the_whole_reply_to_piper(
    fake: FakeCartesia,
    voice: CartesiaVoice,
    speaker: Speaker,
    sink: Sink,
    events: Events,
    failure: CartesiaFailure,
    category: VoiceErrorCategory,
) -> None:
    fake.failure = failure
    stream_reply(speaker, "r1", voice)
    assert events.finished("r1").voices == ("piper",)
    [failed] = events.of(VoiceFailed)
    assert (failed.voice, failed.next_voice, failed.error.category) == (
        "cartesia",
        "piper",
        category,
    )
    assert events.voiced() == [(i, text, "piper") for i, text in enumerate(SPOKEN)]
    assert sink.heard() == [f"r1#{i}.piper" for i in range(3)]
    for uid in sink.heard():
        assert_speech(sink, uid)
    # The next reply does not knock again: the refusal is remembered.
    connections = len(fake.connections)
    stream_reply(speaker, "r2", voice, "Anything else for you tonight?")
    assert events.finished("r2").voices == ("piper",)
    assert len(fake.connections) == connections


def _chunks(fake: FakeCartesia, text: str) -> int:
    """How many chunk messages the fake sends for one piece (its own arithmetic)."""
    samples = max(
        1, round(min(len(text) * fake.ms_per_char / 1000, fake.max_piece_seconds) * 24000)
    )
    return math.ceil(samples / max(1, int(24000 * fake.chunk_ms / 1000)))


def test_a_drop_mid_reply_hands_the_rest_to_piper_and_nothing_is_said_twice(
    fake: FakeCartesia, voice: CartesiaVoice, speaker: Speaker, sink: Sink, events: Events
) -> None:
    fake.ms_per_char = 20
    fake.drop_after_chunks = _chunks(fake, SPOKEN[0]) + 2  # inside the second sentence
    stream_reply(speaker, "r1", voice, REPLY)
    assert events.finished("r1").voices == ("cartesia", "piper")

    [failed] = events.of(VoiceFailed)
    assert (failed.error.category, failed.error.retryable) == (VoiceErrorCategory.NETWORK, True)
    # Each sentence voiced exactly once, in order: the first by Cartesia, the rest by Piper.
    assert events.voiced() == [
        (0, SPOKEN[0], "cartesia"),
        (1, SPOKEN[1], "piper"),
        (2, SPOKEN[2], "piper"),
    ]
    [context] = fake.contexts
    assert context.connection is not None and context.connection.dropped
    assert context.pieces[0] == SPOKEN[0]
    assert len(context.piece_audio) == 1  # the server finished only the first sentence
    # What reached the sink: all of sentence 1 from Cartesia; the half of sentence 2 that
    # arrived before the drop was cancelled; then Piper's sentences 2 and 3.
    assert bytes(sink.audio["r1#0.cartesia"]) == context.piece_audio[0]
    assert "r1#1.cartesia" in sink.cancelled
    assert sink.heard() == ["r1#0.cartesia", "r1#1.piper", "r1#2.piper"]
    assert_speech(sink, "r1#1.piper")
    assert_speech(sink, "r1#2.piper")
    # The next reply reconnects and speaks with Cartesia again.
    fake.drop_after_chunks = None
    stream_reply(speaker, "r2", voice, "Sorry about that. Where were we?")
    assert events.finished("r2").voices == ("cartesia",)
    assert len(fake.connections) == 2


def test_a_cartesia_reply_plays_as_one_unbroken_span_through_the_real_output(
    qtbot: QtBot,
    recorder: MonitorRecorder,
    fake: FakeCartesia,
    voice: CartesiaVoice,
    events: Events,
) -> None:
    """One utterance per piece costs no gap: the pieces follow each other seamlessly."""
    fake.ms_per_char = 20
    output = AudioOutput()
    finished: list[str] = []
    output.finished.connect(finished.append)
    sink = Sink()
    speaker = Speaker(_Tee(sink, output), events)
    try:
        qtbot.waitUntil(lambda: recorder.seconds() > 0.1, timeout=5000)  # parec is recording
        mark = recorder.seconds()
        stream_reply(speaker, "r1", voice)
        assert events.finished("r1").voices == ("cartesia",)
        qtbot.waitUntil(lambda: finished == sink.heard() and len(finished) == 3, timeout=15000)
        samples = recorder.stop()
        spans = [(a, b) for a, b in loud_spans(samples) if a >= mark]
        expected = sum(len(sink.audio[uid]) / 2 / 24000 for uid in finished)
        gaps = [later[0] - earlier[1] for earlier, later in itertools.pairwise(spans)]
        assert all(gap <= 0.05 for gap in gaps), spans  # issue 5: no gap over 50 ms
        assert abs((spans[-1][1] - spans[0][0]) - expected) < 0.05 + sum(gaps)
    finally:
        speaker.close()
        output.stop()
        qtbot.waitUntil(lambda: not output.is_playing(), timeout=3000)
        output.deleteLater()
