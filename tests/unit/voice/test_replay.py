"""Replay: which audio is kept (complete replies only, bounded by bytes, least recently used
first) and how the speaker says a reply again — from kept audio without asking any voice,
or by speaking its text through the chain, whose audio is then kept.

Logic only, with the in-memory voices of test_speaker; the real output, Cartesia and the
window are in tests/integration/speech/test_replay_and_background.py.
"""

from __future__ import annotations

import threading

from mayadesk.voice.events import SpeechFinished, VoiceUsed
from mayadesk.voice.replay import ReplayCache
from mayadesk.voice.speaker import Speaker
from mayadesk.voice.tts_base import StreamingVoice
from tests.unit.voice.test_speaker import PIECES, Events, Local, Posted, Remote, Sink, speak

PCM = b"\x01\x00" * 100  # 200 bytes


def kept_cache(*keys: str, size: int = 1000) -> ReplayCache:
    cache = ReplayCache(max_bytes=size)
    for key in keys:
        cache.begin(key)
        cache.add(key, 0, "cartesia", PCM, 24000)
        assert cache.complete(key, 1)
    return cache


def test_a_complete_reply_is_kept_in_order_with_each_pieces_rate() -> None:
    cache = ReplayCache()
    cache.begin("r1")
    cache.add("r1", 1, "piper", b"\x02\x00", 22050)
    cache.add("r1", 0, "cartesia", b"\x01\x00", 24000)
    cache.add("r1", 0, "cartesia", b"\x03\x00", 24000)
    assert cache.get("r1") is None  # not complete yet
    assert cache.complete("r1", 2)
    pieces = cache.get("r1")
    assert pieces is not None
    assert [(p.index, p.voice, p.pcm, p.rate) for p in pieces] == [
        (0, "cartesia", b"\x01\x00\x03\x00", 24000),
        (1, "piper", b"\x02\x00", 22050),
    ]
    assert cache.total_bytes == 6


def test_a_reply_missing_a_piece_is_not_kept() -> None:
    """A piece the system voice said (no audio here) means the reply is replayed as text."""
    cache = ReplayCache()
    cache.begin("r1")
    cache.add("r1", 0, "cartesia", PCM, 24000)
    assert not cache.complete("r1", 2)
    assert "r1" not in cache
    assert cache.total_bytes == 0


def test_a_piece_said_again_by_another_voice_replaces_the_cut_off_one() -> None:
    cache = ReplayCache()
    cache.begin("r1")
    cache.add("r1", 0, "cartesia", PCM, 24000)
    cache.drop_piece("r1", 0)
    cache.add("r1", 0, "piper", b"\x02\x00", 22050)
    assert cache.complete("r1", 1)
    pieces = cache.get("r1")
    assert pieces is not None and [(p.voice, p.pcm) for p in pieces] == [("piper", b"\x02\x00")]
    assert cache.total_bytes == 2


def test_the_bound_evicts_the_least_recently_used_reply() -> None:
    cache = kept_cache("a", "b", "c", size=600)
    assert cache.get("a") is not None  # "a" is now the most recently used
    cache.begin("d")
    cache.add("d", 0, "cartesia", PCM, 24000)
    assert cache.complete("d", 1)
    assert cache.keys() == ["c", "a", "d"]
    assert "b" not in cache
    assert cache.total_bytes == 600
    assert cache.evictions == 1


def test_lowering_the_bound_evicts_at_once_and_a_reply_larger_than_it_is_not_kept() -> None:
    cache = kept_cache("a", "b", "c")
    cache.max_bytes = 250
    assert cache.keys() == ["c"]
    cache.begin("big")
    cache.add("big", 0, "cartesia", PCM * 2, 24000)
    cache.add("big", 0, "cartesia", PCM, 24000)  # ignored: already evicted
    assert not cache.complete("big", 1)
    assert cache.total_bytes <= 250


def test_the_speaker_keeps_a_cartesia_reply_and_replays_it_without_any_voice() -> None:
    events, sink, cache = Events(), Sink(), ReplayCache()
    remote = Remote()
    speaker = Speaker(sink, events, piper=Local(), system=Posted(), replay=cache)
    speak(speaker, "r1", remote)
    events.finished("r1")
    pieces = cache.get("r1")
    assert pieces is not None
    assert [p.index for p in pieces] == [0, 1, 2]
    assert [p.pcm for p in pieces] == [bytes(sink.audio[f"r1#{i}.cartesia"]) for i in range(3)]

    speaker.replay_audio("r1.r1", pieces)
    assert not events.finished("r1.r1").stopped
    assert len(remote.streams) == 1  # nobody synthesised it again
    replayed = [f"r1.r1#{i}.cartesia" for i in range(3)]
    assert [bytes(sink.audio[uid]) for uid in replayed] == [p.pcm for p in pieces]
    assert sink.ended[-3:] == replayed
    assert VoiceUsed("r1.r1", "cartesia") in events.items
    speaker.close()


def test_a_fallback_keeps_cartesias_whole_pieces_and_pipers_redo_of_the_cut_one() -> None:
    events, sink, cache = Events(), Sink(), ReplayCache()
    speaker = Speaker(sink, events, piper=Local(), system=Posted(), replay=cache)
    speak(speaker, "r1", Remote(fail_in_piece=1))
    events.finished("r1")
    pieces = cache.get("r1")
    assert pieces is not None
    assert [(p.index, p.voice, p.rate) for p in pieces] == [
        (0, "cartesia", 24000),
        (1, "piper", 22050),
        (2, "piper", 22050),
    ]
    speaker.close()


def test_a_stopped_reply_and_a_system_voice_reply_are_not_kept() -> None:
    events, sink, cache = Events(), Sink(), ReplayCache()
    gate = threading.Event()
    speaker = Speaker(sink, events, piper=Local(gate=gate), replay=cache)
    speak(speaker, "r1", None)
    speaker.stop()
    gate.set()
    assert events.finished("r1").stopped
    assert "r1" not in cache

    local = Local()
    local.usable = False
    speaker2 = Speaker(Sink(), events, piper=local, system=Posted(), replay=cache)
    speak(speaker2, "r2", None)
    assert events.finished("r2").voices == ("system",)
    assert "r2" not in cache
    assert cache.total_bytes == 0
    speaker.close()
    speaker2.close()


def test_speaking_text_again_asks_for_cartesia_on_the_speech_thread_and_keeps_the_audio() -> None:
    events, sink, cache = Events(), Sink(), ReplayCache()
    remote = Remote()
    asked_on: list[str] = []

    def cartesia() -> StreamingVoice:
        asked_on.append(threading.current_thread().name)
        return remote

    speaker = Speaker(sink, events, piper=Local(), replay=cache)
    speaker.speak_text("m1.r1", " ".join(PIECES), cache_key="m1", cartesia=cartesia)
    finished = events.finished("m1.r1")
    assert finished == SpeechFinished("m1.r1", ("cartesia",))
    assert asked_on == ["mayadesk-speech"]
    assert [p.lstrip() for p in remote.streams[0].pushed] == PIECES
    assert list(sink.audio) == [f"m1.r1#{i}.cartesia" for i in range(3)]
    kept = cache.get("m1")
    assert kept is not None and len(kept) == 3
    speaker.close()


def test_stop_silences_a_replay_like_a_reply() -> None:
    events, sink, cache = Events(), Sink(), kept_cache("r1")
    pieces = cache.get("r1")
    assert pieces is not None
    gate = threading.Event()
    speaker = Speaker(sink, events, piper=Local(gate=gate), replay=cache)
    speak(speaker, "busy", None)  # holds the speech thread, so the replay waits in line
    speaker.replay_audio("r1.r1", pieces)
    assert speaker.busy
    speaker.stop()
    gate.set()
    assert events.finished("r1.r1").stopped
    assert "r1.r1#0.cartesia" not in sink.audio
    assert not speaker.busy
    assert "r1" in cache  # a replay cut short leaves the kept audio alone
    speaker.close()
