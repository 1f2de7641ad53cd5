"""Voice to voice: from the end of the user's speech to Maya's first sound (issue 7).

The app as in bench/ttfa (same injected latencies: Gemini 400 ms to first token then 60
tokens/s, Cartesia 90 ms to first chunk at 2x real time), hands-free, listening on the
loopback microphone (the null sink's monitor). A spoken phrase (espeak-ng) is played into
the sink; the app hears it, detects its end, sends it to Gemini as inline audio (the fake
answers the transcription after 300 ms) and sends the words as the user's message. Both the
phrase and Maya's reply are recorded at the sink's monitor, so "end of speech" and "first
audio" are read off one recording. The steps in between are timed on the same clock:
end-of-speech detection (the VoiceInput starts transcribing), transcription (words back),
first token (shown in the tab), first sentence (sent by Gemini), first audio (heard).

Run by `python -m bench voice` (in a child process: `python -m bench.voice_to_voice child`).
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from typing import TYPE_CHECKING, Any

from bench._child import close_window, open_window, pause, run_child
from bench.ttfa import ASK, Sound, first_sentence_tokens, path_floor

if TYPE_CHECKING:
    from tests.fakes.cartesia import FakeCartesia
    from tests.fakes.gemini import FakeGemini
    from tests.helpers.recording import MonitorRecorder

ROUNDS = 3
TRANSCRIPTION_S = 0.3
PHRASE_RATE = 16000


def play_phrase(samples: Any) -> subprocess.Popen[bytes]:
    """Play the phrase into the test sink (heard by the loopback microphone)."""
    from tests.helpers.speech import to_pcm

    proc = subprocess.Popen(
        ["pacat", "--playback", "-d", "test_sink", "--raw", "--format=s16le",
         f"--rate={PHRASE_RATE}", "--channels=1", "--latency-msec=20", "--client-name=talker"],
        stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    assert proc.stdin is not None
    proc.stdin.write(to_pcm(samples))
    proc.stdin.close()
    return proc


async def measure(
    gemini: FakeGemini, cartesia: FakeCartesia, recorder: MonitorRecorder
) -> dict[str, Any]:
    from tests.fakes.gemini import Reply, Text
    from tests.helpers.speech import phrase, speech_span

    gemini.default_transcription = Reply.of(Text(ASK, delay=TRANSCRIPTION_S))
    window, turns = await open_window()
    glue = getattr(window, "voice_in", None)
    assert glue is not None, "voice input did not start"
    voice = glue.voice
    sound = Sound(recorder)
    tab = window.tabs.conversation(0)
    await pause(0.5)
    # Warm-up: a typed turn opens the clients, as in bench/ttfa.
    tab.composer.setPlainText("Hello!")
    tab.send()
    await sound.first_loud_after(sound.mark())
    await sound.wait_quiet()
    voice.set_hands_free(True)
    await pause(2.0)  # a fresh capture stream takes a moment to deliver (see voice_in tests)
    clean = phrase(ASK) * 0.5
    _, span_end = speech_span(clean, PHRASE_RATE)
    events: dict[str, float] = {}
    voice.transcribing.connect(lambda: events.setdefault("transcribing", time.monotonic()))
    voice.transcribed.connect(lambda _t: events.setdefault("transcribed", time.monotonic()))
    tab.controller.reply_delta.connect(
        lambda _t: events.setdefault("first_token", time.monotonic())
    )
    rounds = []
    for _ in range(ROUNDS):
        path = await path_floor(sound)
        events.clear()
        mark, marked = sound.mark(), time.monotonic()
        player = play_phrase(clean)
        started = await sound.first_loud_after(mark)
        speech_end = started + span_end / PHRASE_RATE  # seconds after mark
        heard = await sound.first_loud_after(mark + speech_end + 0.05)
        maya = speech_end + 0.05 + heard
        end_at = marked + speech_end  # the end of speech on the monotonic clock
        request = [r for r in gemini.generate_requests if r.last_user_text == ASK][-1]
        sentence = request.sent_at[first_sentence_tokens() - 1]
        rounds.append({
            "path": path,
            "voice_to_voice": maya - speech_end,
            "end_detected": events.get("transcribing", float("nan")) - end_at,
            "transcribed": events.get("transcribed", float("nan")) - end_at,
            "first_token": events.get("first_token", float("nan")) - end_at,
            "first_sentence": sentence - end_at,
        })
        player.wait(10)
        await _wait_idle(tab, sound)
    voice.set_hands_free(False)
    close_window(window, turns)
    return {"rounds": rounds}


async def _wait_idle(tab: Any, sound: Sound) -> None:
    deadline = time.monotonic() + 60
    while tab.controller.busy and time.monotonic() < deadline:
        await pause(0.05)
    await sound.wait_quiet(0.5)


def child() -> None:
    from bench import ttfa

    ttfa.measure = measure  # the same services and fakes as bench/ttfa, this measurement
    ttfa.child(in_process_fakes=True)


def run() -> dict[str, float]:
    result = run_child("bench.voice_to_voice", "child", timeout=600)
    rounds = result["rounds"]
    keys = ("end_detected", "transcribed", "first_token", "first_sentence", "voice_to_voice")
    med = {k: 1000 * statistics.median(r[k] for r in rounds) for k in keys}
    path = 1000 * statistics.median(r["path"] for r in rounds)
    for number, r in enumerate(rounds, 1):
        print(f"voice: round {number}: " + ", ".join(
            f"{k.replace('_', ' ')} {1000 * r[k]:6.1f} ms" for k in keys))
    print(f"voice: injected: transcription {1000 * TRANSCRIPTION_S:.0f} ms, Gemini 400 ms to "
          f"first token then 60 tok/s, Cartesia 90 ms to first chunk; sound path {path:.1f} ms")
    print(f"voice: from the end of the user's speech (medians of {len(rounds)}): end detected "
          f"{med['end_detected']:.0f} ms -> words back {med['transcribed']:.0f} ms -> first "
          f"token {med['first_token']:.0f} ms -> first sentence sent {med['first_sentence']:.0f}"
          f" ms -> Maya heard {med['voice_to_voice']:.0f} ms")
    return {f"voice_{k}_ms": v for k, v in med.items()} | {"voice_path_ms": path}


if __name__ == "__main__":
    child() if sys.argv[1:] == ["child"] else run()
