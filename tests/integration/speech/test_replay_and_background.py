"""Play / Stop on Maya's messages, background replies, and per-reply timings — in a real
window, with the real Cartesia SDK against the fake (a distinct tone per context) and the
real AudioOutput recorded at the null sink's monitor.

A tone tells who is heard: a replay of kept audio has the *original* context's tone (and no
new context is made); a reply spoken again has a new context's tone. Figures are printed as
`MEASURED ...` (run with `-s`).
"""

from __future__ import annotations

import re
import time

import numpy as np
from PySide6.QtCore import QEvent, QPoint, Qt
from PySide6.QtGui import QHelpEvent, QTextCursor
from PySide6.QtWidgets import QApplication, QToolTip
from pytestqt.qtbot import QtBot

from mayadesk.sessions.history import Message, Role
from mayadesk.sessions.session import Session
from mayadesk.ui.conversation_tab import ConversationTab
from mayadesk.ui.transcript_view import UNHEARD_MARK, TranscriptView
from mayadesk.voice.speech_text import text_for_speech
from tests.fakes.cartesia import FakeCartesia, TTSContext
from tests.fakes.gemini import FakeGemini, Gate, Reply
from tests.helpers.recording import MonitorRecorder, loud_spans
from tests.integration.conversation.conftest import WAIT_MS, send
from tests.integration.speech.conftest import SpeakingApp
from tests.integration.speech.test_spoken_replies import (
    REPLY,
    loud_for,
    spans_after,
    tones,
    wait_silent,
)
from tests.integration.voice.sound import last_loud, measure_floor, wait_recorded

SPOKEN = "Here's your Negroni. Enjoy it slowly, it's a strong one!"
TIMINGS = re.compile(r"^First words after (\d+\.\d\d) s · first sound after (\d+\.\d\d) s$")


def hz(context: TTSContext) -> int:
    return round(context.frequency / 10) * 10


def maya_index(tab: ConversationTab, starts: str) -> int:
    """The transcript index of Maya's message that starts with `starts`."""
    messages = tab.transcript.messages()
    [index] = [
        i for i, m in enumerate(messages) if m.role is Role.MAYA and m.text.startswith(starts)
    ]
    return index


def link_point(transcript: TranscriptView, href: str) -> QPoint:
    """Where the link `href` is drawn (viewport coordinates), scrolled into view."""
    block = transcript.document().lastBlock()
    while block.isValid():
        it = block.begin()
        while not it.atEnd():
            fragment = it.fragment()
            if fragment.charFormat().anchorHref() == href:
                cursor = QTextCursor(transcript.document())
                cursor.setPosition(fragment.position() + fragment.length() // 2)
                transcript.setTextCursor(cursor)
                transcript.ensureCursorVisible()
                point = transcript.cursorRect(cursor).center()
                assert transcript.anchorAt(point) == href
                return point
            it += 1
        block = block.previous()
    raise AssertionError(f"no link {href} in the transcript")


def click_link(qtbot: QtBot, tab: ConversationTab, action: str, index: int) -> None:
    """Click Play or Stop on message `index`, with the mouse, as a user does."""
    point = link_point(tab.transcript, f"mayadesk:{action}/{index}")
    qtbot.mouseClick(tab.transcript.viewport(), Qt.MouseButton.LeftButton, pos=point)


def hover_text(tab: ConversationTab, index: int) -> str:
    """The tooltip shown when hovering message `index` (the event a hover delivers)."""
    point = link_point(tab.transcript, f"mayadesk:play/{index}") - QPoint(40, 0)
    viewport = tab.transcript.viewport()
    event = QHelpEvent(QEvent.Type.ToolTip, point, viewport.mapToGlobal(point))
    QApplication.sendEvent(viewport, event)
    assert QToolTip.isVisible()
    return QToolTip.text()


def wait_quiet(qtbot: QtBot, app: SpeakingApp) -> None:
    """Until nothing speaks: no tab still voicing a reply or replay, the output idle. (The
    output alone may pause between two sentences; a turn may end before its first sound.)"""
    speech = app.turns.speech
    assert speech is not None
    qtbot.waitUntil(lambda: not any(t.controller.busy for t in app.window.tabs.conversations()))
    qtbot.waitUntil(speech.floor.idle, timeout=WAIT_MS)


def heard_since(samples: np.ndarray, start: float) -> list[tuple[float, float]]:
    """The loud spans from `start` on, cut there (a sound may run across it)."""
    return [(max(a, start), b) for a, b in loud_spans(samples) if b > start + 0.07]


def started_by(prefix: str) -> object:
    return lambda uid: uid.startswith(prefix)


def contexts_saying(cartesia: FakeCartesia, words: str) -> list[TTSContext]:
    return [c for c in cartesia.contexts if words in c.transcript]


def test_play_replays_the_kept_audio_and_hover_shows_the_turns_timings(
    speaking_app: SpeakingApp,
    gemini: FakeGemini,
    cartesia: FakeCartesia,
    recorder: MonitorRecorder,
    qtbot: QtBot,
) -> None:
    window, output = speaking_app.window, speaking_app.output
    tab = window.tabs.conversation(0)
    gemini.script(REPLY)
    qtbot.waitUntil(lambda: recorder.seconds() > 0.2, timeout=5000)
    before_typing = time.monotonic()
    with qtbot.waitSignal(output.started, timeout=WAIT_MS):
        send(qtbot, tab, "Something strong, please")
    seen_by_test = time.monotonic() - before_typing
    wait_quiet(qtbot, speaking_app)
    [context] = cartesia.contexts
    index = maya_index(tab, "Here's your Negroni")
    record = tab.transcript.messages()[index].record
    assert record is not None and record.spoken and record.voices == ["cartesia"]
    assert record.first_token is not None and record.first_audio is not None
    # Measured from Enter, so inside what the test saw from before it started typing.
    assert 0 < record.first_token < record.first_audio <= seen_by_test
    text = hover_text(tab, index)
    match = TIMINGS.match(text)
    assert match is not None, text
    assert float(match.group(1)) == round(record.first_token, 2)
    assert float(match.group(2)) == round(record.first_audio, 2)
    print(
        f"MEASURED turn timings: first token {record.first_token:.3f} s, first audio "
        f"{record.first_audio:.3f} s (test saw {seen_by_test:.3f} s incl. typing)"
    )
    assert speaking_app.turns.speech is not None
    assert record.speech_id in speaking_app.turns.speech.replay

    mark = recorder.seconds()
    clicked = time.monotonic()
    with qtbot.waitSignal(
        output.started, timeout=WAIT_MS, check_params_cb=started_by(record.speech_id + ".r")
    ):
        click_link(qtbot, tab, "play", index)
    print(f"MEASURED Play → replay's first audio written: {time.monotonic() - clicked:.3f} s")
    wait_quiet(qtbot, speaking_app)
    assert len(cartesia.contexts) == 1  # played from memory: nothing synthesised again
    samples = wait_recorded(qtbot, recorder, recorder.seconds() + 0.3)
    heard = heard_since(samples, mark)
    assert tones(samples, heard) == {hz(context)}
    assert sum(b - a for a, b in heard) > 0.8 * len(context.audio) / 2 / 24000
    assert tab.voice_badge.text() == "Voice: Cartesia"


def test_esc_silences_a_replay_within_100_ms(
    speaking_app: SpeakingApp,
    gemini: FakeGemini,
    cartesia: FakeCartesia,
    recorder: MonitorRecorder,
    qtbot: QtBot,
) -> None:
    window, output = speaking_app.window, speaking_app.output
    floor, _, marker_end = measure_floor(qtbot, recorder)
    cartesia.ms_per_char = 60  # seconds of tone: Esc lands mid-replay
    tab = window.tabs.conversation(0)
    gemini.script(REPLY)
    send(qtbot, tab, "Something strong, please")
    qtbot.waitUntil(lambda: tab.voice_badge.text() == "Voice: Cartesia", timeout=WAIT_MS)
    qtbot.keyClick(tab.composer, Qt.Key.Key_Escape)  # the reply itself need not be heard
    wait_silent(qtbot, tab, output)
    index = maya_index(tab, "Here's your Negroni")
    record = tab.transcript.messages()[index].record
    assert record is not None and speaking_app.turns.speech is not None
    # Esc after all its audio had arrived (the fake synthesises faster than real time)
    # keeps it; Esc before that drops it, and Play speaks the text again.
    kept = record.speech_id in speaking_app.turns.speech.replay
    with qtbot.waitSignal(output.started, timeout=WAIT_MS):
        click_link(qtbot, tab, "play", index)
    playing_from = recorder.seconds()
    qtbot.waitUntil(lambda: recorder.seconds() > playing_from + 0.4, timeout=5000)
    qtbot.keyClick(tab.composer, Qt.Key.Key_Escape)
    stop_mark = recorder.seconds()
    samples = wait_recorded(qtbot, recorder, stop_mark + 0.5)
    end = last_loud(samples, marker_end + 0.01)
    assert end is not None and end > stop_mark - 0.2, "the replay was not playing at Esc"
    after = end - stop_mark - floor
    print(f"MEASURED Esc on a replay: {1000 * after:.1f} ms of sound after the key, above floor")
    assert after <= 0.100
    qtbot.waitUntil(lambda: not output.is_playing(), timeout=WAIT_MS)
    assert len(contexts_saying(cartesia, SPOKEN)) == (1 if kept else 2)


def test_evicted_audio_is_spoken_again_and_kept_for_the_next_play(
    speaking_app: SpeakingApp,
    gemini: FakeGemini,
    cartesia: FakeCartesia,
    recorder: MonitorRecorder,
    qtbot: QtBot,
) -> None:
    window, output = speaking_app.window, speaking_app.output
    assert speaking_app.turns.speech is not None
    cache = speaking_app.turns.speech.replay
    tab = window.tabs.conversation(0)
    gemini.script(REPLY)
    qtbot.waitUntil(lambda: recorder.seconds() > 0.2, timeout=5000)
    send(qtbot, tab, "Something strong, please")
    wait_quiet(qtbot, speaking_app)
    index = maya_index(tab, "Here's your Negroni")
    record = tab.transcript.messages()[index].record
    assert record is not None and record.speech_id in cache
    bound = cache.max_bytes
    cache.max_bytes = 1000  # smaller than one reply: it is evicted at once
    assert record.speech_id not in cache and cache.total_bytes == 0
    cache.max_bytes = bound

    mark = recorder.seconds()
    click_link(qtbot, tab, "play", index)
    qtbot.waitUntil(lambda: len(cartesia.contexts) == 2, timeout=WAIT_MS)
    wait_quiet(qtbot, speaking_app)
    first, again = cartesia.contexts
    assert again.transcript == first.transcript == SPOKEN
    samples = wait_recorded(qtbot, recorder, recorder.seconds() + 0.3)
    assert tones(samples, heard_since(samples, mark)) == {hz(again)}

    mark = recorder.seconds()
    with qtbot.waitSignal(output.started, timeout=WAIT_MS):
        click_link(qtbot, tab, "play", index)
    wait_quiet(qtbot, speaking_app)
    assert len(cartesia.contexts) == 2  # the spoken-again audio was kept
    samples = wait_recorded(qtbot, recorder, recorder.seconds() + 0.3)
    assert tones(samples, heard_since(samples, mark)) == {hz(again)}


def test_restored_and_greeting_messages_are_spoken_and_stop_silences_them(
    speaking_app: SpeakingApp,
    cartesia: FakeCartesia,
    recorder: MonitorRecorder,
    qtbot: QtBot,
) -> None:
    window, output = speaking_app.window, speaking_app.output
    session = Session()
    session.add_message(Message(Role.USER, "What did you pour me last night?"))
    session.add_message(Message(Role.MAYA, "A Negroni, stirred. You liked it!"))
    tab = window.new_tab(session, save=False)
    qtbot.waitUntil(tab.transcript.isVisible, timeout=WAIT_MS)
    index = maya_index(tab, "A Negroni, stirred")
    assert tab.transcript.messages()[index].record is None  # history: nothing measured
    qtbot.waitUntil(lambda: recorder.seconds() > 0.2, timeout=5000)
    mark = recorder.seconds()
    with qtbot.waitSignal(output.started, timeout=WAIT_MS):
        click_link(qtbot, tab, "play", index)
    wait_quiet(qtbot, speaking_app)
    [context] = cartesia.contexts
    assert context.transcript == "A Negroni, stirred. You liked it!"
    samples = wait_recorded(qtbot, recorder, recorder.seconds() + 0.3)
    assert tones(samples, spans_after(samples, mark)) == {hz(context)}

    # The greeting of a fresh tab is shown locally, never spoken; Play speaks it, Stop ends it.
    cartesia.ms_per_char = 60
    greeting_tab = window.new_tab()
    greeting = greeting_tab.transcript.messages()[0]
    assert greeting.role is Role.MAYA
    with qtbot.waitSignal(output.started, timeout=WAIT_MS):
        click_link(qtbot, greeting_tab, "play", 0)
    playing_from = recorder.seconds()
    qtbot.waitUntil(lambda: recorder.seconds() > playing_from + 0.3, timeout=5000)
    with qtbot.waitSignal(output.stopped, timeout=WAIT_MS, raising=False):
        click_link(qtbot, greeting_tab, "stop", 0)
    stop_mark = recorder.seconds()
    qtbot.waitUntil(lambda: not output.is_playing(), timeout=1000)
    spoken = cartesia.contexts[1]
    assert spoken.transcript.startswith(text_for_speech(greeting.text)[:20])
    samples = wait_recorded(qtbot, recorder, stop_mark + 0.5)
    end = last_loud(samples, playing_from)
    assert end is not None and end < stop_mark + 0.3  # cut short (the floor's lag included)
    assert len(spoken.transcript) * 0.06 > 1.0  # it had much more to say


def test_a_reply_finishing_in_a_background_tab_stays_silent_with_play(
    speaking_app: SpeakingApp,
    gemini: FakeGemini,
    cartesia: FakeCartesia,
    recorder: MonitorRecorder,
    qtbot: QtBot,
) -> None:
    window = speaking_app.window
    assert speaking_app.settings.background_replies == "silent"  # the default
    gate = Gate()
    gemini.script(
        Reply.of("[STATE: happy] Tab A will answer", gate, " once you have gone."),
        "[STATE: happy] Tab B is right here with you.",
    )
    tab_a = window.tabs.conversation(0)
    unheard: list[int] = []
    tab_a.unheard_changed.connect(unheard.append)
    send(qtbot, tab_a, "Tab A here")
    qtbot.waitUntil(gate.reached.is_set, timeout=WAIT_MS)
    tab_b = window.new_tab()
    send(qtbot, tab_b, "Tab B here")
    qtbot.waitUntil(lambda: bool(contexts_saying(cartesia, "Tab B")), timeout=WAIT_MS)
    gate.open()
    qtbot.waitUntil(lambda: unheard == [1], timeout=WAIT_MS)
    wait_quiet(qtbot, speaking_app)
    assert contexts_saying(cartesia, "gone") == []  # not spoken over tab B, nor after it
    index = maya_index(tab_a, "Tab A will answer")
    record = tab_a.transcript.messages()[index].record
    assert record is not None and record.unheard and record.first_token is not None
    assert hover_text(tab_a, index).endswith("not spoken: it finished in a background tab")
    assert f"({UNHEARD_MARK})" in tab_a.transcript.toPlainText()

    window.tabs.setCurrentIndex(0)
    qtbot.waitUntil(tab_a.transcript.isVisible, timeout=WAIT_MS)
    mark = recorder.seconds()
    click_link(qtbot, tab_a, "play", index)
    qtbot.waitUntil(lambda: unheard == [1, 0], timeout=WAIT_MS)
    wait_quiet(qtbot, speaking_app)
    [spoken] = contexts_saying(cartesia, "gone")
    assert spoken.transcript == "Tab A will answer once you have gone."
    samples = wait_recorded(qtbot, recorder, recorder.seconds() + 0.3)
    assert tones(samples, spans_after(samples, mark)) == {hz(spoken)}
    assert UNHEARD_MARK not in tab_a.transcript.toPlainText()
    assert not record.unheard


def test_queued_background_reply_waits_its_turn_and_play_silences_it(
    speaking_app: SpeakingApp,
    gemini: FakeGemini,
    cartesia: FakeCartesia,
    recorder: MonitorRecorder,
    qtbot: QtBot,
) -> None:
    """Queue mode: tab A's reply finishes behind tab B while B is talking; it is heard only
    after B's reply ends. Then Play on B's message, while A's is heard, silences A."""
    window, output = speaking_app.window, speaking_app.output
    speaking_app.settings.background_replies = "queue"  # as the Settings dialog sets it
    cartesia.ms_per_char = 40
    gate = Gate()
    gemini.script(
        Reply.of("[STATE: happy] Tab A waits", gate, " and speaks after tab B is done talking."),
        "[STATE: happy] Tab B speaks first, and tab A must wait for me to finish.",
    )
    tab_a = window.tabs.conversation(0)
    send(qtbot, tab_a, "Tab A here")
    qtbot.waitUntil(gate.reached.is_set, timeout=WAIT_MS)
    tab_b = window.new_tab()
    qtbot.waitUntil(lambda: recorder.seconds() > 0.2, timeout=5000)
    mark = recorder.seconds()
    send(qtbot, tab_b, "Tab B here")
    qtbot.waitUntil(lambda: loud_for(recorder, mark) > 0.3, timeout=WAIT_MS)  # B is heard
    gate.open()
    qtbot.waitUntil(lambda: not tab_a.controller.busy, timeout=WAIT_MS)
    index_a = maya_index(tab_a, "Tab A waits")
    record_a = tab_a.transcript.messages()[index_a].record
    assert record_a is not None and record_a.unheard
    assert contexts_saying(cartesia, "done talking") == []  # B is still talking
    with qtbot.waitSignal(
        output.started, timeout=WAIT_MS, check_params_cb=started_by(record_a.speech_id + ".r")
    ):
        pass
    [context_b] = contexts_saying(cartesia, "Tab B")
    [context_a] = contexts_saying(cartesia, "done talking")
    a_from = recorder.seconds()
    qtbot.waitUntil(lambda: recorder.seconds() > a_from + 0.4, timeout=5000)

    index_b = maya_index(tab_b, "Tab B speaks first")
    record_b = tab_b.transcript.messages()[index_b].record
    assert record_b is not None
    play_mark = recorder.seconds()
    with qtbot.waitSignal(
        output.started, timeout=WAIT_MS, check_params_cb=started_by(record_b.speech_id + ".r")
    ):
        click_link(qtbot, tab_b, "play", index_b)
    wait_quiet(qtbot, speaking_app)
    assert len(cartesia.contexts) == 2  # B's replay came from memory
    samples = wait_recorded(qtbot, recorder, recorder.seconds() + 0.3)

    def windows_of(frequency: int, start: float, end: float) -> list[float]:
        found = []
        for a, b in spans_after(samples, start):
            t = a + 0.01
            while t + 0.05 <= min(b, end) - 0.01:
                if tones(samples, [(t - 0.01, t + 0.06)]) == {frequency}:
                    found.append(t)
                t += 0.05
        return found

    b_first = windows_of(hz(context_b), mark, play_mark)
    a_queued = windows_of(hz(context_a), mark, play_mark)
    assert b_first and a_queued
    gap = min(a_queued) - max(b_first)
    print(f"MEASURED queued reply: heard {gap:.2f} s after the front tab's last sound")
    assert max(b_first) < min(a_queued)  # A only after B: never both at once
    settle = play_mark + 0.3
    assert tones(samples, heard_since(samples, settle)) == {hz(context_b)}
    assert record_a.unheard  # cut short: still marked, with Play
    assert f"({UNHEARD_MARK})" in tab_a.transcript.toPlainText()


def test_a_text_only_reply_says_so_on_hover(
    speaking_app: SpeakingApp, gemini: FakeGemini, cartesia: FakeCartesia, qtbot: QtBot
) -> None:
    """Voice off (no speech for the tab, as Settings → "Speak replies" leaves it): the
    reply's first words are still timed, and hovering says it was not spoken."""
    speaking_app.turns.speech = None
    tab = speaking_app.window.tabs.conversation(0)
    gemini.script(REPLY)
    send(qtbot, tab, "Something strong, please")
    qtbot.waitUntil(lambda: not tab.controller.busy, timeout=WAIT_MS)
    index = maya_index(tab, "Here's your Negroni")
    text = hover_text(tab, index)
    assert re.fullmatch(r"First words after \d+\.\d\d s · text only, not spoken", text), text
    assert cartesia.contexts == []
