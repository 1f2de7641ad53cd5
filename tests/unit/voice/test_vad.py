"""Hands-free detection on real speech (espeak-ng) in noise, and on what must not trigger it.

The detector runs with the default settings of `config.Settings` (12 dB above background,
700 ms of silence ends an utterance, 250 ms minimum), fed in 20 ms pieces as the microphone
delivers them.
"""

from __future__ import annotations

import numpy as np
import pytest

from mayadesk.config import Settings
from mayadesk.voice.vad import (
    EchoGuard,
    UtteranceEnded,
    UtteranceStarted,
    VadConfig,
    VadEvent,
    VoiceActivityDetector,
)
from tests.helpers.speech import mix_at_snr, noise, phrase, to_pcm

RATE = 16000
TOLERANCE = int(0.300 * RATE)


def config() -> VadConfig:
    defaults = Settings()
    return VadConfig(
        speech_threshold_db=defaults.speech_threshold_db,
        end_silence_ms=defaults.end_silence_ms,
        min_speech_ms=defaults.min_speech_ms,
    )


def run(samples: np.ndarray, detector: VoiceActivityDetector | None = None) -> list[VadEvent]:
    detector = detector or VoiceActivityDetector(config())
    pcm = to_pcm(samples)
    events: list[VadEvent] = []
    for i in range(0, len(pcm), 640):
        events += detector.feed(pcm[i : i + 640])
    return events + detector.flush()


@pytest.mark.parametrize("gain", [1.0, 0.1])
def test_phrase_in_noise_at_10_db_snr_is_one_utterance_near_the_truth(gain: float) -> None:
    mix, (start, end) = mix_at_snr(phrase(), RATE, snr_db=10)
    events = run(mix * gain)
    assert [type(e) for e in events] == [UtteranceStarted, UtteranceEnded], events
    began, ended = events
    assert isinstance(ended, UtteranceEnded)
    assert began.start == ended.start
    assert abs(ended.start - start) <= TOLERANCE, (ended.start - start) / RATE
    assert abs(ended.end - end) <= TOLERANCE, (ended.end - end) / RATE


def test_two_phrases_apart_are_two_utterances() -> None:
    first, _ = mix_at_snr(phrase("One gin, please."), RATE, snr_db=10, tail=1.0)
    second, _ = mix_at_snr(phrase("And a lemonade."), RATE, snr_db=10, lead=0.0)
    events = run(np.concatenate([first, second]))
    assert [type(e) for e in events] == [UtteranceStarted, UtteranceEnded] * 2


def test_end_is_reported_only_after_the_silence_setting() -> None:
    mix, (_, end) = mix_at_snr(phrase(), RATE, snr_db=10, tail=3.0)
    detector = VoiceActivityDetector(config())
    pcm = to_pcm(mix)
    ended_at = None
    for i in range(0, len(pcm), 640):
        if any(isinstance(e, UtteranceEnded) for e in detector.feed(pcm[i : i + 640])):
            ended_at = detector.position
            break
    assert ended_at is not None
    # The detector's end is a little before the truth (a soft last consonant), and it is
    # announced `end_silence_ms` (700) after that.
    waited_ms = (ended_at - end) * 1000 / RATE
    assert 400 <= waited_ms <= 1000, waited_ms


def test_pure_silence_triggers_nothing() -> None:
    assert run(np.zeros(5 * RATE)) == []


@pytest.mark.parametrize("level", [0.001, 0.03, 0.3])
def test_noise_alone_triggers_nothing(level: float) -> None:
    assert run(noise(6.0, RATE, level)) == []


def test_noise_getting_louder_for_good_is_learnt() -> None:
    quiet, loud = noise(3.0, RATE, 0.01, seed=1), noise(8.0, RATE, 0.04, seed=2)
    events = run(np.concatenate([quiet, loud]))
    # A 12 dB step is announced at most once (the detector cannot tell it from a voice at
    # first), then it is the new background: nothing more triggers.
    assert len(events) <= 2


@pytest.mark.parametrize("background", ["silence", "noise"])
def test_a_short_click_triggers_nothing(background: str) -> None:
    samples = np.zeros(4 * RATE) if background == "silence" else noise(4.0, RATE, 0.01)
    click = np.zeros(int(0.005 * RATE))
    click[::2], click[1::2] = 0.9, -0.9
    at = 2 * RATE
    samples[at : at + len(click)] += click
    assert run(samples) == []


def test_a_cough_shorter_than_the_minimum_triggers_nothing() -> None:
    samples = noise(4.0, RATE, 0.01)
    burst = noise(0.15, RATE, 0.3, seed=3)
    samples[RATE : RATE + len(burst)] += burst
    assert run(samples) == []


def test_reset_keeps_the_noise_floor_and_restarts_positions() -> None:
    detector = VoiceActivityDetector(config())
    run(noise(2.0, RATE, 0.02), detector)
    floor = detector.noise_floor_dbfs
    detector.reset()
    assert detector.position == 0
    assert detector.noise_floor_dbfs == floor
    detector.reset(keep_floor=False)
    assert detector.noise_floor_dbfs is None


def test_echo_guard_ignores_the_first_moments_and_quiet_echo() -> None:
    """Maya's voice comes back quietly (her echo); the guard ignores it, but not a user
    who talks over her loudly once her first moments have passed."""
    clean = phrase("Here is your gin and tonic, enjoy it.")
    echo, _ = mix_at_snr(clean * 0.05, RATE, snr_db=20, lead=0.2)
    detector = VoiceActivityDetector(config())
    run(noise(1.0, RATE, 0.0005), detector)
    detector.guard(EchoGuard(ignore_ms=400, min_level_dbfs=-30.0))
    assert run(echo, detector) == []

    detector = VoiceActivityDetector(config())
    detector.guard(EchoGuard(ignore_ms=400, min_level_dbfs=-30.0))
    user, (start, _) = mix_at_snr(phrase() * 2.5, RATE, snr_db=25, lead=1.0)
    events = run(user, detector)
    assert [type(e) for e in events] == [UtteranceStarted, UtteranceEnded]
    assert abs(events[0].start - start) <= TOLERANCE


def test_echo_guard_ignores_even_a_loud_start_within_its_window() -> None:
    detector = VoiceActivityDetector(config())
    run(noise(1.0, RATE, 0.0005), detector)
    detector.guard(EchoGuard(ignore_ms=5000, min_level_dbfs=-60.0))
    loud, _ = mix_at_snr(phrase(), RATE, snr_db=30, lead=0.1, tail=0.5)
    assert run(loud, detector) == []
    detector.guard(None)
    again, _ = mix_at_snr(phrase(), RATE, snr_db=30, lead=0.5)
    assert [type(e) for e in run(again, detector)] == [UtteranceStarted, UtteranceEnded]


def test_pieces_of_any_size_give_the_same_events() -> None:
    mix, _ = mix_at_snr(phrase(), RATE, snr_db=10)
    pcm = to_pcm(mix)
    whole = VoiceActivityDetector(config())
    expected = whole.feed(pcm) + whole.flush()
    odd = VoiceActivityDetector(config())
    events: list[VadEvent] = []
    for i in range(0, len(pcm), 333):  # odd sizes split samples in two
        events += odd.feed(pcm[i : i + 333])
    assert events + odd.flush() == expected
