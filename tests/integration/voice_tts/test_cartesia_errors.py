"""CartesiaVoice's failures, mapped to VoiceError, with the real SDK against the fake server."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from mayadesk.voice.errors import VoiceError, VoiceErrorCategory
from mayadesk.voice.tts_cartesia import CartesiaVoice
from tests.fakes.cartesia import CartesiaFailure, FakeCartesia
from tests.integration.voice_tts.conftest import KEY


@pytest.fixture
def voice(fake: FakeCartesia) -> Iterator[CartesiaVoice]:
    cartesia = CartesiaVoice(KEY)
    yield cartesia
    cartesia.close()


class Listener:
    """Records what one context reports."""

    def __init__(self) -> None:
        self.error: VoiceError | None = None
        self.done = False
        self.audio = 0

    def on_audio(self, pcm: bytes, sample_rate: int) -> None:
        self.audio += len(pcm)

    def on_piece_done(self, index: int) -> None:
        pass

    def on_done(self) -> None:
        self.done = True

    def on_error(self, error: VoiceError) -> None:
        self.error = error


def test_a_refused_key_is_an_auth_error_remembered_without_another_handshake(
    fake: FakeCartesia,
) -> None:
    voice = CartesiaVoice("sk_car_not_this_one")
    try:
        with pytest.raises(VoiceError) as raised:
            voice.open_stream(Listener())
        assert raised.value.category is VoiceErrorCategory.AUTH
        assert not raised.value.retryable
        assert "Settings → Keys" in raised.value.message
        with pytest.raises(VoiceError):
            voice.open_stream(Listener())
        assert len(fake.connections) == 1
        assert not fake.connections[0].accepted
    finally:
        voice.close()


@pytest.mark.parametrize(
    ("failure", "category", "retryable"),
    [
        (CartesiaFailure.quota(), VoiceErrorCategory.QUOTA, False),
        (CartesiaFailure.rate_limited(), VoiceErrorCategory.QUOTA, True),
    ],
)
def test_an_error_message_fails_the_context_with_its_category(
    fake: FakeCartesia,
    voice: CartesiaVoice,
    failure: CartesiaFailure,
    category: VoiceErrorCategory,
    retryable: bool,
) -> None:
    fake.failure = failure
    listener = Listener()
    stream = voice.open_stream(listener)
    stream.push("Hello.")
    fake.wait_until(lambda: listener.error is not None)
    assert listener.error is not None
    assert (listener.error.category, listener.error.retryable) == (category, retryable)
    assert listener.error.status == failure.status_code


def test_a_dropped_connection_is_a_network_error_and_the_next_reply_reconnects(
    fake: FakeCartesia,
    voice: CartesiaVoice,
) -> None:
    fake.drop_after_chunks = 2
    listener = Listener()
    voice.open_stream(listener).push("A sentence long enough for several chunks of audio.")
    fake.wait_until(lambda: listener.error is not None)
    assert listener.error is not None
    assert (listener.error.category, listener.error.retryable) == (VoiceErrorCategory.NETWORK, True)
    fake.drop_after_chunks = None
    again = Listener()
    stream = voice.open_stream(again)
    stream.push("Hello again.")
    stream.finish()
    fake.wait_until(lambda: again.done)
    assert len(fake.connections) == 2


def test_a_context_that_stops_sending_audio_fails_and_is_cancelled(fake: FakeCartesia) -> None:
    fake.hold_after_chunks = 2
    voice = CartesiaVoice(KEY, stall_timeout=0.5)
    try:
        listener = Listener()
        started = time.monotonic()
        voice.open_stream(listener).push("A sentence long enough for several chunks of audio.")
        fake.wait_until(lambda: listener.error is not None, timeout=5)
        waited = time.monotonic() - started
        assert listener.error is not None
        assert listener.error.category is VoiceErrorCategory.NETWORK
        assert "stopped sending audio" in listener.error.message
        assert 0.5 <= waited < 1.5
        fake.wait_until(fake.contexts[0].cancelled.is_set, timeout=2)
    finally:
        voice.close()
