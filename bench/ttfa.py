"""Time to first audio: from Enter to Maya's first sound at the speaker (issue 5).

The app runs as a user has it: MayaDesk's window and turn services, keys in a private
Secret Service, speech started as `finish_start_up` starts it, the one AudioOutput playing
to a private PulseAudio null sink (with its low-latency keep-alive) whose monitor `parec`
records. The fake services inject the latencies of the real ones:

- Gemini: 400 ms to the first token, then 60 tokens/s (one word per token);
- Cartesia: 90 ms to a context's first chunk, audio produced at 2x real time.

Pipelined (the app): Enter → streamed tokens → first sentence → Cartesia context → first
chunk played. Naive (the earlier web version, measured in the same run as the baseline):
the whole reply (generateContent), then the whole text to `/tts/bytes`, all of its audio,
then played through the same AudioOutput.

Times are read off the recording, as the tests do: a mark is the recording's length when
Enter is pressed, the first loud sample after it is when the sound came out. The sound
path's own latency (a tone written straight to a QAudioSink, marked the same way) is the
"path" figure; the floor for the app is when the first sentence is complete at the server
(400 ms + its tokens at 60/s) + Cartesia's 90 ms + the path. Rounds alternate the two
pipelines; each figure is the median of the rounds. Before them, and after them in a new
tab, a tab's first turn is measured on its own: its text is typed over a second (the tab
builds its Gemini client meanwhile) and nothing has been sent from it before.

The measuring must not tax the app it measures, which shares this process: the recording
is read from the mark on (not the whole growing file every 10 ms), and the naive baseline's
clients are closed and its garbage collected before the app's next turn.

Run by `python -m bench ttfa` (in a child process: `python -m bench.ttfa child`).
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import json
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bench._child import close_window, open_window, pause, report, run_child

if TYPE_CHECKING:
    from mayadesk.ui.conversation_tab import ConversationTab
    from mayadesk.voice.audio_output import AudioOutput
    from tests.fakes.cartesia import FakeCartesia
    from tests.fakes.gemini import FakeGemini
    from tests.helpers.recording import MonitorRecorder

ROUNDS = 5
FIRST_TOKEN_S = 0.4
TOKENS_PER_S = 60.0
CARTESIA_FIRST_CHUNK_S = 0.09
CHUNK_MS = 40.0  # sent every 20 ms: audio at 2x real time
GOAL_RATIO = 0.35
GOAL_ABOVE_FLOOR_MS = 30.0
GEMINI_KEY = "AIza" + "SyD_bench-ttfa-key_0123456789abcdefg"
CARTESIA_KEY = "sk_car_bench_ttfa_key"
ASK = "A gin and tonic, please."
REPLY = (
    "Coming right up, one gin and tonic with a fresh slice of lime for you. "
    "It's our house gin, so it's smooth and a little floral. "
    "Would you like something to nibble on while I mix it?"
)
TYPING_S = 1.0  # the shortest a person takes to type a drink order
LOUD = 0.02


def reply_tokens() -> list[str]:
    """The reply as Gemini streams it: the state tag with the first word, then word by word."""
    words = REPLY.split(" ")
    return [f"[STATE: happy] {words[0]}"] + [" " + word for word in words[1:]]


def first_sentence_tokens() -> int:
    """How many tokens until the first sentence is complete."""
    for count, token in enumerate(reply_tokens(), 1):
        if token.rstrip().endswith((".", "!", "?")):
            return count
    return len(reply_tokens())


def scripted(request: Any) -> Any:
    """Gemini's side: the reply with 400 ms to the first token, then 60 tokens/s."""
    from tests.fakes.gemini import Reply, Text

    tokens = reply_tokens()
    gap = 1.0 / TOKENS_PER_S
    return Reply.of(
        Text(tokens[0], delay=FIRST_TOKEN_S), *(Text(t, delay=gap) for t in tokens[1:])
    )


# -- measuring ------------------------------------------------------------------------------


class Sound:
    """The recording of the sink's monitor, read while it grows."""

    def __init__(self, recorder: MonitorRecorder) -> None:
        self.recorder = recorder

    def mark(self) -> float:
        return self.recorder.seconds()

    def _read(self, offset: int, length: int = -1) -> bytes:
        """Bytes of the recording from `offset`, never the whole (growing) file."""
        with self.recorder.path.open("rb") as recording:
            recording.seek(offset)
            return recording.read(length)

    async def first_loud_after(self, mark: float, timeout: float = 30.0) -> float:
        """Seconds from `mark` to the first loud sample (waits for it to be recorded)."""
        import numpy as np

        rate = self.recorder.rate
        start = int(mark * rate) * 2
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            # Only what was recorded after the mark: the whole file is megabytes by now,
            # and reading it every 10 ms on the app's GUI thread would count against it.
            data = self._read(start)
            samples = np.frombuffer(data[: len(data) // 2 * 2], "<i2")
            hits = np.nonzero(np.abs(samples.astype(np.float64) / 32768.0) > LOUD)[0]
            if len(hits):
                return float(hits[0]) / rate
            await pause(0.01)
        raise TimeoutError("no sound was recorded")

    async def wait_quiet(self, seconds: float = 0.3, timeout: float = 60.0) -> None:
        """Until the last `seconds` of the recording are silent (the previous round ended)."""
        import numpy as np

        rate = self.recorder.rate
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            await pause(0.05)
            size = self.recorder.path.stat().st_size // 2 * 2
            length = int(seconds * rate) * 2
            tail = np.frombuffer(self._read(max(0, size - length), length), "<i2")
            if len(tail) and np.max(np.abs(tail.astype(np.float64) / 32768.0)) < LOUD:
                return
        raise TimeoutError("the sink did not go quiet")


async def path_floor(sound: Sound) -> float:
    """The sound path's own latency: a tone written straight to a QAudioSink."""
    import numpy as np
    from PySide6.QtMultimedia import QAudioFormat, QAudioSink, QMediaDevices

    fmt = QAudioFormat()
    fmt.setSampleRate(24000)
    fmt.setChannelCount(1)
    fmt.setSampleFormat(QAudioFormat.SampleFormat.Int16)
    sink = QAudioSink(QMediaDevices.defaultAudioOutput(), fmt)
    device = sink.start()
    assert device is not None, "no audio output"
    await pause(0.2)
    t = np.arange(int(0.06 * 24000)) / 24000
    tone = (0.5 * np.sin(2 * np.pi * 880 * t) * 32767).astype("<i2").tobytes()
    mark = sound.mark()
    device.write(tone + bytes(24000 * 2 // 5))
    latency = await sound.first_loud_after(mark)
    await pause(0.3)
    sink.stop()
    sink.deleteLater()
    await sound.wait_quiet()
    return latency


async def pipelined_turn(
    tab: ConversationTab, sound: Sound, fakes: Fakes
) -> dict[str, float]:
    """Enter in the app; when the first token was shown and the first sound was heard, and
    where the time went on the way (seen by the fake servers, same clock)."""
    controller = tab.controller
    first_token: list[float] = []
    done = asyncio.Event()

    def on_delta(_text: str) -> None:
        if not first_token:
            first_token.append(time.monotonic())

    def on_busy(busy: bool) -> None:
        if not busy:
            done.set()

    controller.reply_delta.connect(on_delta)
    controller.busy_changed.connect(on_busy)
    tab.composer.setPlainText(ASK)
    mark, entered = sound.mark(), time.monotonic()
    tab.send()
    try:
        heard = await sound.first_loud_after(mark)
        await asyncio.wait_for(done.wait(), 60)
    finally:
        controller.reply_delta.disconnect(on_delta)
        controller.busy_changed.disconnect(on_busy)
    seen = fakes.last_turn()
    return {
        "ttfa": heard,
        "ttft": first_token[0] - entered if first_token else float("nan"),
        "request_at": seen["received_at"] - entered,
        "context_at": seen["context_at"] - entered,
        "first_chunk_at": seen["first_chunk_at"] - entered,
        "sentence_at": seen["sentence_at"] - entered,
        "first_piece_words": seen["first_piece_words"],
    }


def last_turn_seen(gemini: FakeGemini, cartesia: FakeCartesia) -> dict[str, float]:
    """What the fakes saw of the last turn, as times on the shared monotonic clock."""
    request = [r for r in gemini.generate_requests if r.last_user_text == ASK][-1]
    context = [c for c in cartesia.contexts if c.source == "websocket"][-1]
    return {
        "received_at": request.received_at,
        "context_at": context.started_at,
        "first_chunk_at": context.first_chunk_at or float("nan"),
        "sentence_at": request.sent_at[first_sentence_tokens() - 1],
        "first_piece_words": float(len(context.pieces[0].split())) if context.pieces else 0.0,
    }


class Fakes:
    """The fake Gemini and Cartesia in a process of their own, as real servers are: their
    threads must not take the GIL from the app being measured (their own request parsing
    would count as the app's time). `time.monotonic` is one clock for both processes."""

    def __init__(self) -> None:
        self._proc = subprocess.Popen(
            [sys.executable, "-m", "bench.ttfa", "serve"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
        )
        urls = json.loads(self._read())
        self.gemini_url: str = urls["gemini"]
        self.cartesia_url: str = urls["cartesia"]
        self.ws_url: str = urls["ws"]

    def _read(self) -> str:
        assert self._proc.stdout is not None
        line = self._proc.stdout.readline()
        if not line:
            raise RuntimeError("the fake servers' process ended")
        return line

    def last_turn(self) -> dict[str, float]:
        assert self._proc.stdin is not None
        self._proc.stdin.write("last\n")
        self._proc.stdin.flush()
        seen: dict[str, float] = json.loads(self._read())
        return seen

    def close(self) -> None:
        if self._proc.stdin is not None:
            self._proc.stdin.close()
        self._proc.wait(30)


@contextlib.contextmanager
def fake_services() -> Iterator[tuple[FakeGemini, FakeCartesia]]:
    """Gemini and Cartesia with the issue's injected latencies (in or out of process)."""
    from tests.fakes.cartesia import FakeCartesia
    from tests.fakes.gemini import FakeGemini

    with (
        FakeGemini(accepted_keys={GEMINI_KEY}, responder=scripted) as gemini,
        FakeCartesia(
            accepted_keys={CARTESIA_KEY}, first_chunk_latency=CARTESIA_FIRST_CHUNK_S,
            chunk_ms=CHUNK_MS, chunk_interval=CHUNK_MS / 2000.0, max_piece_seconds=60.0,
        ) as cartesia,
    ):
        yield gemini, cartesia


def serve() -> None:
    """The fakes' process: URLs on the first line, then one line per "last" asked."""
    with fake_services() as (gemini, cartesia):
        print(json.dumps({"gemini": gemini.base_url, "cartesia": cartesia.base_url,
                          "ws": cartesia.ws_url}), flush=True)
        for _ in sys.stdin:
            print(json.dumps(last_turn_seen(gemini, cartesia)), flush=True)


async def naive_turn(output: AudioOutput, sound: Sound, gemini_url: str, cartesia_url: str,
                     number: int) -> dict[str, float]:
    """The earlier version's pipeline: whole reply, then whole-text TTS, then play."""
    loop = asyncio.get_running_loop()
    mark, entered = sound.mark(), time.monotonic()
    text, pcm, replied = await loop.run_in_executor(
        None, _naive_synthesis, gemini_url, cartesia_url
    )
    output.play(f"naive.{number}", pcm, 24000)
    output.end(f"naive.{number}")
    heard = await sound.first_loud_after(mark)
    assert "gin and tonic" in text
    return {"ttfa": heard, "reply": replied - entered}


def _naive_synthesis(gemini_url: str, cartesia_url: str) -> tuple[str, bytes, float]:
    """Blocking: generateContent for the whole reply, then `/tts/bytes` for all its audio."""
    from cartesia import Cartesia
    from langchain_google_genai import ChatGoogleGenerativeAI

    from mayadesk.llm.emotion import split_tag

    model = ChatGoogleGenerativeAI(
        model="gemini-flash-latest", google_api_key=GEMINI_KEY, base_url=gemini_url,
        max_retries=0, timeout=30,
    )
    try:
        raw = str(model.invoke(ASK).content)
    finally:
        model.client.close()
    replied = time.monotonic()
    text = split_tag(raw)[1]
    with Cartesia(api_key=CARTESIA_KEY, base_url=cartesia_url) as client:
        pcm = b"".join(client.tts.bytes(
            model_id="sonic-3", transcript=text,
            voice={"mode": "id", "id": "6f84f4b8-58a2-430c-8c79-688dad597532"},
            output_format={"container": "raw", "encoding": "pcm_s16le", "sample_rate": 24000},
        ))
    return text, pcm, replied


async def measure(fakes: Fakes, recorder: MonitorRecorder) -> dict[str, Any]:
    window, turns = await open_window()
    output = turns.speech.sink if turns.speech is not None else None
    assert output is not None, "speech did not start"
    sound = Sound(recorder)
    tab = window.tabs.conversation(0)
    await pause(0.5)
    # The app's first turn, typed as a person types (the tab builds its client meanwhile);
    # after it, the clients exist and their connections are open for the measured rounds.
    first = [await first_turn(tab, sound, fakes)]
    paths, pipelined, naive = [], [], []
    for number in range(ROUNDS):
        paths.append(await path_floor(sound))
        pipelined.append(await pipelined_turn(tab, sound, fakes))
        await sound.wait_quiet()
        naive.append(await naive_turn(output, sound, fakes.gemini_url, fakes.cartesia_url, number))
        await sound.wait_quiet()
        # The baseline's clients die in reference cycles (sockets, SSL contexts); left to
        # the collector they were finalised inside the app's next measured turn (1-7 ms).
        gc.collect()
    first.append(await first_turn(window.new_tab(), sound, fakes))  # a new tab's first turn
    close_window(window, turns)
    return {"path": paths, "pipelined": pipelined, "naive": naive, "first": first}


async def first_turn(tab: ConversationTab, sound: Sound, fakes: Fakes) -> dict[str, float]:
    """A tab's first turn: the text is typed over `TYPING_S` before Enter."""
    await pause(0.3)
    path = await path_floor(sound)
    tab.composer.setPlainText(ASK)
    await pause(TYPING_S)
    turn = await pipelined_turn(tab, sound, fakes)
    await sound.wait_quiet()
    return {**turn, "path": path}


def child(in_process_fakes: bool = False) -> None:
    """Services and the app in this process (the fakes next door, unless
    `in_process_fakes`: then `measure` gets the FakeGemini and FakeCartesia objects);
    prints the RESULT line."""
    import os

    from tests.helpers.recording import MonitorRecorder
    from tests.helpers.services import PulseAudio, SecretService

    with tempfile.TemporaryDirectory(prefix="mayadesk-bench-ttfa-") as tmp:
        base = Path(tmp)
        pulse = PulseAudio.start(base / "pulse")
        os.environ.update(pulse.env)
        secrets = SecretService.start(base / "secrets")
        os.environ.update(secrets.env)
        recorder = None
        try:
            recorder = MonitorRecorder(base / "monitor.raw")
            if in_process_fakes:
                result = _with_fakes(lambda g, c: _run_app((g, c), recorder))
            else:
                fakes = Fakes()
                try:
                    os.environ["MAYADESK_GEMINI_BASE_URL"] = fakes.gemini_url
                    os.environ["MAYADESK_CARTESIA_BASE_URL"] = fakes.cartesia_url
                    os.environ["MAYADESK_CARTESIA_WS_URL"] = fakes.ws_url
                    result = _run_app((fakes,), recorder)
                finally:
                    fakes.close()
            report(result)
        finally:
            if recorder is not None:
                recorder.stop()
            secrets.stop()
            pulse.stop()


def _with_fakes(run: Callable[[FakeGemini, FakeCartesia], dict[str, Any]]) -> dict[str, Any]:
    with fake_services() as (gemini, cartesia):
        import os

        os.environ["MAYADESK_GEMINI_BASE_URL"] = gemini.base_url
        os.environ["MAYADESK_CARTESIA_BASE_URL"] = cartesia.base_url
        os.environ["MAYADESK_CARTESIA_WS_URL"] = cartesia.ws_url
        return run(gemini, cartesia)


def _run_app(fakes: tuple[Any, ...], recorder: MonitorRecorder) -> dict[str, Any]:
    import os

    os.environ.setdefault("QT_API", "pyside6")
    import keyring
    import qasync
    from keyring.backends import SecretService as SecretServiceBackend
    from PySide6.QtWidgets import QApplication

    keyring.set_keyring(SecretServiceBackend.Keyring())
    keyring.set_password("mayadesk", "default/gemini", GEMINI_KEY)
    keyring.set_password("mayadesk", "default/cartesia", CARTESIA_KEY)
    app = QApplication([sys.argv[0]])
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    with loop:
        result: dict[str, Any] = loop.run_until_complete(measure(*fakes, recorder))
        return result


# -- the parent's side ----------------------------------------------------------------------


def nominal_floor(path: float) -> float:
    """The floor as if the request reached Gemini the instant Enter was pressed: first
    sentence complete (400 ms + its tokens at 60/s) + Cartesia's 90 ms + the sound path."""
    sentence = FIRST_TOKEN_S + (first_sentence_tokens() - 1) / TOKENS_PER_S
    return sentence + CARTESIA_FIRST_CHUNK_S + path


def run() -> dict[str, float]:
    result = run_child("bench.ttfa", "child", timeout=600)
    rounds = list(zip(result["path"], result["pipelined"], result["naive"], strict=True))
    path = statistics.median(result["path"])
    ttfa = statistics.median(r["ttfa"] for r in result["pipelined"])
    ttft = statistics.median(r["ttft"] for r in result["pipelined"])
    naive = statistics.median(r["ttfa"] for r in result["naive"])
    # The floor of each round: when Gemini actually sent the token completing the first
    # sentence (its clock, the same as ours) + Cartesia's 90 ms + that round's sound path.
    floors = [a["sentence_at"] + CARTESIA_FIRST_CHUNK_S + p for p, a, _ in rounds]
    above = statistics.median(a["ttfa"] - f for (_, a, _), f in zip(rounds, floors, strict=True))
    floor = statistics.median(floors)
    for number, (p, a, n) in enumerate(rounds, 1):
        print(f"ttfa: round {number}: path {1000 * p:5.1f} ms, app first token "
              f"{1000 * a['ttft']:6.1f} ms, first audio {1000 * a['ttfa']:6.1f} ms (floor "
              f"{1000 * floors[number - 1]:6.1f} ms), naive first audio {1000 * n['ttfa']:7.1f} "
              f"ms (whole reply after {1000 * n['reply']:6.1f} ms)")
    print(f"ttfa: latencies injected: Gemini {1000 * FIRST_TOKEN_S:.0f} ms to first token then "
          f"{TOKENS_PER_S:.0f} tok/s; Cartesia {1000 * CARTESIA_FIRST_CHUNK_S:.0f} ms to first "
          f"chunk, audio at 2x real time; PulseAudio keep-alive on")
    steps = {
        key: 1000 * statistics.median(r[key] for r in result["pipelined"])
        for key in ("request_at", "sentence_at", "context_at", "first_chunk_at")
    }
    for name, turn in zip(("the app's first tab", "a new tab"), result["first"], strict=True):
        above_first = turn["ttfa"] - (turn["sentence_at"] + CARTESIA_FIRST_CHUNK_S + turn["path"])
        print(f"ttfa: first turn of {name} (typed over {TYPING_S:g} s): request at Gemini "
              f"{1000 * turn['request_at']:.1f} ms, first audio {1000 * turn['ttfa']:.1f} ms, "
              f"above the floor {1000 * above_first:.1f} ms")
    words = statistics.median(r["first_piece_words"] for r in result["pipelined"])
    print(f"ttfa: where the time goes (medians, from Enter): request at Gemini "
          f"{steps['request_at']:.1f} ms; first sentence sent by Gemini "
          f"{steps['sentence_at']:.1f} ms; Cartesia context opened {steps['context_at']:.1f} ms "
          f"(first piece {words:.0f} words); first chunk sent {steps['first_chunk_at']:.1f} ms; "
          f"heard {1000 * ttfa:.1f} ms (of which the sound path {1000 * path:.1f} ms)")
    print(f"ttfa: app: first token {1000 * ttft:.1f} ms, first audio {1000 * ttfa:.1f} ms; "
          f"naive pipeline first audio {1000 * naive:.1f} ms (median of {ROUNDS})")
    print(f"ttfa: ratio app / naive = {ttfa / naive:.3f}  (goal <= {GOAL_RATIO})")
    print(f"ttfa: floor (first sentence sent + 90 ms + sound path) {1000 * floor:.1f} ms; "
          f"above the floor {1000 * above:.1f} ms  (goal <= {GOAL_ABOVE_FLOOR_MS:g} ms); "
          f"above the nominal floor (request at Enter) "
          f"{1000 * (ttfa - nominal_floor(path)):.1f} ms")
    return {
        "ttfa_path_ms": 1000 * path,
        "ttfa_floor_ms": 1000 * floor,
        "ttfa_first_token_ms": 1000 * ttft,
        "ttfa_app_ms": 1000 * ttfa,
        "ttfa_naive_ms": 1000 * naive,
        "ttfa_ratio_app_naive": ttfa / naive,
        "ttfa_above_floor_ms": 1000 * above,
        "ttfa_above_nominal_floor_ms": 1000 * (ttfa - nominal_floor(path)),
        "ttfa_request_at_ms": steps["request_at"],
        "ttfa_first_turn_request_at_ms": 1000 * result["first"][0]["request_at"],
        "ttfa_new_tab_request_at_ms": 1000 * result["first"][1]["request_at"],
    }


if __name__ == "__main__":
    if sys.argv[1:] == ["serve"]:
        serve()
    elif sys.argv[1:] == ["child"]:
        child()
    else:
        run()
