"""The speech pipeline's decisions, with in-memory voices that implement our own protocols.

What is checked here is logic: which voice gets which piece, in what order, with what
separators; that a failure hands over exactly the pieces not fully voiced; that stop drops
everything and returns at once. The real SDK, Piper and speech-dispatcher are exercised in
tests/integration/voice_tts.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence

import pytest

from mayadesk.voice.errors import VoiceError, VoiceErrorCategory
from mayadesk.voice.events import (
    PieceVoiced,
    SpeechEvent,
    SpeechFinished,
    VoiceFailed,
    VoiceUsed,
)
from mayadesk.voice.speaker import Speaker
from mayadesk.voice.tts_base import StreamListener
from tests.helpers.speech_recorders import Events, Sink

REPLY = (
    "Welcome to the bar! Tonight's special is a Negroni at $12.50, stirred. "
    "Would you like one, or shall I surprise you?"
)
PIECES = [
    "Welcome to the bar!",
    "Tonight's special is a Negroni at 12 dollars and 50 cents, stirred.",
    "Would you like one, or shall I surprise you?",
]


class Stream:
    """A scripted remote context: each push is voiced at once unless the script says fail."""

    def __init__(self, voice: Remote, listener: StreamListener) -> None:
        self.voice = voice
        self.listener = listener
        self.pushed: list[str] = []
        self.cancelled = False
        self.closed = False

    def push(self, text: str) -> None:
        self.pushed.append(text)
        index = len(self.pushed) - 1
        if self.closed:
            return
        self.listener.on_audio(b"\x01\x00" * 10, 24000)
        if index == self.voice.fail_in_piece:
            self.closed = True
            self.listener.on_error(self.voice.error)
            return
        self.listener.on_audio(b"\x01\x00" * 10, 24000)
        self.listener.on_piece_done(index)

    def finish(self) -> None:
        if not self.closed:
            self.closed = True
            self.listener.on_done()

    def cancel(self) -> None:
        self.cancelled = self.closed = True


class Remote:
    def __init__(self, *, refuse: VoiceError | None = None, fail_in_piece: int = -1) -> None:
        self.refuse = refuse
        self.fail_in_piece = fail_in_piece
        self.error = VoiceError(
            VoiceErrorCategory.NETWORK, "lost", retryable=True, voice="cartesia"
        )
        self.streams: list[Stream] = []

    def open_stream(self, listener: StreamListener) -> Stream:
        if self.refuse is not None:
            raise self.refuse
        self.streams.append(Stream(self, listener))
        return self.streams[-1]


class Local:
    def __init__(self, *, fail_on: int = -1, gate: threading.Event | None = None) -> None:
        self.texts: list[str] = []
        self.fail_on = fail_on
        self.gate = gate
        self.usable = True

    def available(self) -> bool:
        return self.usable

    def synthesize(
        self, text: str, on_audio: Callable[[bytes, int], None], cancelled: Callable[[], bool]
    ) -> bool:
        if len(self.texts) == self.fail_on:
            self.texts.append("<failed>")
            raise VoiceError(VoiceErrorCategory.BAD_RESPONSE, "x", retryable=True, voice="piper")
        if self.gate is not None:
            self.gate.wait(5)
        if cancelled():
            return False
        self.texts.append(text)
        on_audio(b"\x02\x00" * 10, 22050)
        return True


class Posted:
    def __init__(self, usable: bool = True) -> None:
        self.posts: list[tuple[str, tuple[str, ...]]] = []
        self.stops = 0
        self.usable = usable

    def available(self) -> bool:
        return self.usable

    def post(self, text: str, after: Sequence[str] = ()) -> None:
        self.posts.append((text, tuple(after)))

    def post_stop(self) -> None:
        self.stops += 1


def speak(speaker: Speaker, reply_id: str, remote: Remote | None, text: str = REPLY) -> None:
    speaker.begin_reply(reply_id, remote)
    for start in range(0, len(text), 7):  # streamed in small deltas, as the LLM sends it
        speaker.feed(text[start : start + 7])
    speaker.end_reply()


@pytest.fixture
def events() -> Events:
    return Events()


@pytest.fixture
def sink() -> Sink:
    return Sink()


def test_remote_voice_gets_cleaned_pieces_joined_by_one_space(events: Events, sink: Sink) -> None:
    remote = Remote()
    speaker = Speaker(sink, events, piper=Local(), system=Posted())
    speak(speaker, "r1", remote)
    assert events.finished("r1").voices == ("cartesia",)
    stream = remote.streams[0]
    assert stream.pushed == [PIECES[0], " " + PIECES[1], " " + PIECES[2]]
    assert "".join(stream.pushed) == " ".join(PIECES)
    assert events.voiced() == [(i, text, "cartesia") for i, text in enumerate(PIECES)]
    assert sink.ended == [f"r1#{i}.cartesia" for i in range(3)]
    assert events.items[0] == VoiceUsed("r1", "cartesia")
    speaker.close()


def test_no_remote_voice_means_the_local_voice_says_everything(events: Events, sink: Sink) -> None:
    local = Local()
    speaker = Speaker(sink, events, piper=local, system=Posted())
    speak(speaker, "r1", None)
    assert events.finished("r1").voices == ("piper",)
    assert local.texts == PIECES
    assert list(sink.audio) == [f"r1#{i}.piper" for i in range(3)]
    assert events.of(VoiceFailed) == []
    speaker.close()


@pytest.mark.parametrize("category", [VoiceErrorCategory.AUTH, VoiceErrorCategory.QUOTA])
def test_a_refused_remote_voice_falls_over_visibly(
    events: Events, sink: Sink, category: VoiceErrorCategory
) -> None:
    error = VoiceError(category, "refused", retryable=False, voice="cartesia")
    local = Local()
    speaker = Speaker(sink, events, piper=local, system=Posted())
    speak(speaker, "r1", Remote(refuse=error))
    assert events.finished("r1").voices == ("piper",)
    [failed] = events.of(VoiceFailed)
    assert (failed.voice, failed.error, failed.next_voice) == ("cartesia", error, "piper")
    assert local.texts == PIECES
    speaker.close()


def test_a_failure_mid_piece_hands_over_that_piece_and_the_rest_once(
    events: Events, sink: Sink
) -> None:
    remote = Remote(fail_in_piece=1)
    local = Local()
    speaker = Speaker(sink, events, piper=local, system=Posted())
    speak(speaker, "r1", remote)
    assert events.finished("r1").voices == ("cartesia", "piper")
    assert events.voiced() == [
        (0, PIECES[0], "cartesia"),
        (1, PIECES[1], "piper"),
        (2, PIECES[2], "piper"),
    ]
    assert local.texts == PIECES[1:]
    # The half-received piece is dropped at the sink before Piper says it whole.
    assert "r1#1.cartesia" in sink.cancelled
    assert "r1#0.cartesia" not in sink.cancelled
    assert sink.ended == ["r1#0.cartesia", "r1#1.piper", "r1#2.piper"]
    speaker.close()


def test_a_failing_local_voice_hands_the_rest_to_the_system_voice(
    events: Events, sink: Sink
) -> None:
    system = Posted()
    speaker = Speaker(sink, events, piper=Local(fail_on=1), system=system)
    speak(speaker, "r1", None)
    assert events.finished("r1").voices == ("piper", "system")
    assert [text for text, _ in system.posts] == PIECES[1:]
    # The system voice waits for the audio already sent to the sink.
    assert "r1#0.piper" in system.posts[0][1]
    assert [e.voice for e in events.of(VoiceFailed)] == ["piper"]
    speaker.close()


def test_with_no_voice_left_the_reply_is_text_only(events: Events, sink: Sink) -> None:
    local = Local()
    local.usable = False
    speaker = Speaker(sink, events, piper=local, system=Posted(usable=False))
    speak(speaker, "r1", None)
    assert events.finished("r1").voices == ("text",)
    assert [e.voice for e in events.of(VoiceUsed)] == ["text"]
    assert sink.audio == {}
    speaker.close()


def test_pieces_with_nothing_to_say_are_not_sent(events: Events, sink: Sink) -> None:
    remote = Remote()
    speaker = Speaker(sink, events)
    speak(speaker, "r1", remote, "Here you go:\n```\nprint('hi')\n```\nCheers!")
    events.finished("r1")
    assert remote.streams[0].pushed == ["Here you go:", " Cheers!"]
    speaker.close()


def test_stop_cancels_the_context_drops_audio_and_ignores_the_rest(
    events: Events, sink: Sink
) -> None:
    remote = Remote()
    system = Posted()
    speaker = Speaker(sink, events, system=system)
    speaker.begin_reply("r1", remote)
    speaker.feed(PIECES[0] + " " + PIECES[1] + " ")
    events.wait_for(lambda items: len([e for e in items if isinstance(e, PieceVoiced)]) == 1)
    speaker.stop()
    speaker.feed("More text that nobody will hear. And more.")
    speaker.end_reply()
    assert events.finished("r1").stopped
    assert remote.streams[0].cancelled
    assert sink.cancelled == ["r1#0.cartesia"]
    assert system.stops == 1
    # The next reply speaks normally on the same voice.
    speak(speaker, "r2", remote)
    assert not events.finished("r2").stopped
    assert len(remote.streams) == 2
    speaker.close()


def test_stop_returns_at_once_while_the_local_voice_is_busy(events: Events, sink: Sink) -> None:
    gate = threading.Event()
    local = Local(gate=gate)
    speaker = Speaker(sink, events, piper=local)
    speak(speaker, "r1", None)
    start = time.monotonic()
    speaker.stop()
    took = time.monotonic() - start
    gate.set()
    assert events.finished("r1").stopped
    assert took < 0.05
    speak(speaker, "r2", None, "One more for the road, please.")
    events.finished("r2")
    assert local.texts == ["One more for the road, please."]  # nothing of r1 was said
    assert all(uid.startswith("r2") for uid in sink.audio)
    speaker.close()


def test_an_empty_reply_finishes_without_a_voice(events: Events, sink: Sink) -> None:
    speaker = Speaker(sink, events, piper=Local())
    speak(speaker, "r1", Remote(), "")
    assert events.finished("r1").voices == ()
    speaker.close()


def test_stop_also_silences_a_reply_that_was_fully_sent_but_still_plays(
    events: Events, sink: Sink
) -> None:
    system = Posted()
    speaker = Speaker(sink, events, piper=Local(), system=system)
    speak(speaker, "r1", None)
    events.finished("r1")
    speaker.stop()
    assert sink.cancelled == [f"r1#{i}.piper" for i in range(3)]
    assert system.stops == 1
    assert [e for e in events.of(SpeechFinished) if e.stopped] == []  # it had finished
    speaker.close()


class DeletedWithItsTab(Events):
    """The tab's signal: once the tab's QObject is deleted, emitting raises (as PySide does)."""

    deleted = False

    def __call__(self, event: SpeechEvent) -> None:
        if self.deleted:
            raise RuntimeError("Signal source has been deleted")
        super().__call__(event)


class Handshaking(Remote):
    """A remote voice whose connection is still being made when the test says so."""

    def __init__(self) -> None:
        super().__init__()
        self.entered = threading.Event()
        self.release = threading.Event()

    def open_stream(self, listener: StreamListener) -> Stream:
        self.entered.set()
        self.release.wait(5)
        raise VoiceError(VoiceErrorCategory.NETWORK, "closed", retryable=True, voice="cartesia")


def test_a_tab_closed_during_the_handshake_hands_nothing_on_and_logs_no_error(
    sink: Sink, caplog: pytest.LogCaptureFixture
) -> None:
    events, remote, local = DeletedWithItsTab(), Handshaking(), Local()
    speaker = Speaker(sink, events, piper=local, system=Posted())
    speak(speaker, "r1", remote)
    assert remote.entered.wait(5)
    speaker.close()  # the registry then closes the client: the handshake fails
    events.deleted = True
    remote.release.set()
    assert speaker.join(5)
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING] == []
    assert events.of(VoiceFailed) == [] and local.texts == [] and sink.audio == {}
