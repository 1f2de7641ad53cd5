"""Maya's replies heard at the sink: typed in a real tab, spoken by the voice that can.

Figures worth reporting are printed as `MEASURED ...` (run with `-s` to see them).
"""

from __future__ import annotations

import time

import keyring
import numpy as np
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from mayadesk.ui.conversation_tab import ConversationTab
from mayadesk.ui.main_window import MainWindow
from mayadesk.voice.audio_output import AudioOutput
from tests.fakes.cartesia import FakeCartesia
from tests.fakes.gemini import FakeGemini, Gate, Reply
from tests.helpers.recording import RATE, MonitorRecorder, dominant_frequency, loud_spans
from tests.integration.conversation.conftest import WAIT_MS, send
from tests.integration.voice.sound import last_loud, measure_floor, recorded, wait_recorded

Window = tuple[MainWindow, AudioOutput]
REPLY = "[STATE: happy] Here's your Negroni. Enjoy it slowly, it's a strong one!"


def spans_after(samples: np.ndarray, mark: float) -> list[tuple[float, float]]:
    return [(a, b) for a, b in loud_spans(samples) if a >= mark]


def tones(samples: np.ndarray, spans: list[tuple[float, float]], window: float = 0.05) -> set[int]:
    """The dominant frequency (rounded to 10 Hz) of every 50 ms inside the loud spans."""
    found = set()
    for start, end in spans:
        t = start + 0.01
        while t + window <= end - 0.01:
            chunk = samples[int(t * RATE) : int((t + window) * RATE)]
            found.add(round(dominant_frequency(chunk) / 10) * 10)
            t += window
    return found


def loud_for(recorder: MonitorRecorder, mark: float) -> float:
    """Seconds of sound recorded since `mark`."""
    return sum(b - a for a, b in spans_after(recorded(recorder), mark))


def wait_silent(qtbot: QtBot, tab: ConversationTab, output: AudioOutput) -> None:
    qtbot.waitUntil(lambda: not tab.controller.busy, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: not output.is_playing(), timeout=WAIT_MS)


def test_a_typed_reply_is_heard_in_cartesia_and_the_badge_says_so(
    speaking_window: Window,
    gemini: FakeGemini,
    cartesia: FakeCartesia,
    recorder: MonitorRecorder,
    qtbot: QtBot,
) -> None:
    window, output = speaking_window
    tab = window.tabs.conversation(0)
    gemini.script(REPLY)
    qtbot.waitUntil(lambda: recorder.seconds() > 0.2, timeout=5000)  # parec is recording
    mark = recorder.seconds()
    sent_at = time.monotonic()
    with qtbot.waitSignal(output.started, timeout=WAIT_MS):
        send(qtbot, tab, "Something strong, please")
    print(f"MEASURED Enter → first audio written to the sink: {time.monotonic() - sent_at:.3f} s")
    qtbot.waitUntil(lambda: tab.voice_badge.text() == "Voice: Cartesia", timeout=WAIT_MS)
    assert tab.voice_badge.isVisible()
    wait_silent(qtbot, tab, output)
    [context] = cartesia.contexts
    assert context.transcript == "Here's your Negroni. Enjoy it slowly, it's a strong one!"
    samples = wait_recorded(qtbot, recorder, recorder.seconds() + 0.3)
    heard = spans_after(samples, mark)
    assert heard, "nothing was played at the sink"
    first = heard[0][0]
    lag = first - mark
    print(f"MEASURED Enter → first sound at the sink (with the null sink's lag): {lag:.3f} s")
    assert tones(samples, heard) == {round(context.frequency / 10) * 10}
    spoken = sum(b - a for a, b in heard)
    assert spoken > 0.8 * len(context.audio) / 2 / RATE


def test_without_a_cartesia_key_piper_is_heard_and_the_badge_says_piper(
    speaking_window: Window,
    gemini: FakeGemini,
    cartesia: FakeCartesia,
    recorder: MonitorRecorder,
    qtbot: QtBot,
) -> None:
    window, output = speaking_window
    keyring.delete_password("mayadesk", "default/cartesia")  # read again by the next turn
    tab = window.tabs.conversation(0)
    gemini.script(REPLY)
    qtbot.waitUntil(lambda: recorder.seconds() > 0.2, timeout=5000)
    mark = recorder.seconds()
    send(qtbot, tab, "Something strong, please")
    qtbot.waitUntil(lambda: tab.voice_badge.text() == "Voice: Piper", timeout=WAIT_MS)
    wait_silent(qtbot, tab, output)
    samples = wait_recorded(qtbot, recorder, recorder.seconds() + 0.3)
    heard = spans_after(samples, mark)
    spoken = sum(b - a for a, b in heard)
    assert spoken > 0.8, f"Piper's speech was not heard at the sink: {heard}"
    assert float(np.max(np.abs(samples[int(mark * RATE) :]))) > 0.2
    assert cartesia.contexts == []  # no key: Cartesia is never asked


def test_esc_during_playback_leaves_at_most_100_ms_of_sound(
    speaking_window: Window,
    gemini: FakeGemini,
    cartesia: FakeCartesia,
    recorder: MonitorRecorder,
    qtbot: QtBot,
) -> None:
    window, output = speaking_window
    floor, _, marker_end = measure_floor(qtbot, recorder)
    cartesia.ms_per_char = 60  # seconds of tone: Esc lands mid-sentence
    tab = window.tabs.conversation(0)
    gemini.script(REPLY)
    with qtbot.waitSignal(output.started, timeout=WAIT_MS):
        send(qtbot, tab, "Something strong, please")
    playing_from = recorder.seconds()
    qtbot.waitUntil(lambda: recorder.seconds() > playing_from + 0.4, timeout=5000)
    qtbot.keyClick(tab.composer, Qt.Key.Key_Escape)
    stop_mark = recorder.seconds()
    samples = wait_recorded(qtbot, recorder, stop_mark + 0.5)
    end = last_loud(samples, marker_end + 0.01)
    assert end is not None and end > stop_mark - 0.2, "the reply was not playing at Esc"
    after = end - stop_mark - floor
    print(
        f"MEASURED floor {1000 * floor:.1f} ms; Esc: {1000 * after:.1f} ms of sound after the "
        "key press above the floor"
    )
    assert after <= 0.100
    wait_silent(qtbot, tab, output)
    [context] = cartesia.contexts
    # The fake synthesises faster than real time: by Esc it has usually sent everything
    # (done); a context still producing is cancelled with the sound.
    assert context.cancelled.is_set() or context.done.is_set()


def test_two_tabs_replying_at_once_never_overlap(
    speaking_window: Window,
    gemini: FakeGemini,
    cartesia: FakeCartesia,
    recorder: MonitorRecorder,
    qtbot: QtBot,
) -> None:
    """Tab A starts speaking; tab B comes to the front and replies while A's reply is still
    streaming: A falls silent at once and the rest of its reply is never voiced."""
    window, output = speaking_window
    cartesia.ms_per_char = 30
    gate = Gate()
    gemini.script(
        # The splitter knows the first sentence is complete when the next one begins.
        Reply.of("[STATE: happy] Tab A has a first sentence to say. And", gate, " a second one."),
        "[STATE: happy] Tab B speaks now, and only tab B is heard.",
    )
    tab_a = window.tabs.conversation(0)
    qtbot.waitUntil(lambda: recorder.seconds() > 0.2, timeout=5000)
    mark = recorder.seconds()
    with qtbot.waitSignal(output.started, timeout=WAIT_MS):
        send(qtbot, tab_a, "Tab A here")
    qtbot.waitUntil(lambda: tab_a.voice_badge.text() == "Voice: Cartesia", timeout=WAIT_MS)
    qtbot.waitUntil(lambda: loud_for(recorder, mark) > 0.2, timeout=WAIT_MS)  # A is heard
    tab_b = window.new_tab()
    switched = recorder.seconds()
    send(qtbot, tab_b, "Tab B here")
    qtbot.waitUntil(lambda: len(cartesia.contexts) == 2, timeout=WAIT_MS)
    gate.open()  # A's reply goes on streaming, in the background
    qtbot.waitUntil(lambda: not tab_a.controller.busy, timeout=WAIT_MS)
    wait_silent(qtbot, tab_b, output)
    assert "And a second one." in tab_a.transcript.toPlainText()  # shown, not spoken
    context_a, context_b = cartesia.contexts
    assert "second" not in context_a.transcript
    assert tab_b.voice_badge.text() == "Voice: Cartesia"
    samples = recorded(recorder)
    before = [(a, min(b, switched)) for a, b in spans_after(samples, mark) if a < switched]
    assert tones(samples, before) == {round(context_a.frequency / 10) * 10}
    # After the switch (and the sound path's lag): only B's tone, never both at once.
    settle = switched + 0.3
    after = [(max(a, settle), b) for a, b in spans_after(samples, switched) if b > settle]
    assert tones(samples, after) == {round(context_b.frequency / 10) * 10}
