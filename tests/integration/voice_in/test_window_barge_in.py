"""Barge-in in the real window: Ctrl+Space while Maya's reply plays (the fake Cartesia's tone,
recorded at the null sink's monitor) silences her within 100 ms above the sound path's own
latency, measured in the same run, and cancels the rest of her reply.

Figures worth reporting are printed as `MEASURED ...` (run with `-s` to see them).
"""

from __future__ import annotations

from pytestqt.qtbot import QtBot

from tests.fakes.cartesia import FakeCartesia
from tests.fakes.gemini import FakeGemini
from tests.helpers.recording import MonitorRecorder
from tests.integration.conversation.conftest import WAIT_MS, send
from tests.integration.conversation.conftest import gemini as gemini  # the fixture
from tests.integration.speech.conftest import cartesia as cartesia  # the fixture
from tests.integration.speech.conftest import keys as keys  # the fixture
from tests.integration.voice.sound import last_loud, measure_floor, wait_recorded

from .window_app import CTRL, SPACE, TalkingApp
from .window_app import app_settings as app_settings  # the fixture
from .window_app import talking_app as talking_app  # the fixture

REPLY = "[STATE: happy] Here's your Negroni. Enjoy it slowly, it's a strong one!"


def test_ctrl_space_during_playback_leaves_at_most_100_ms_of_mayas_voice(
    talking_app: TalkingApp,
    gemini: FakeGemini,
    cartesia: FakeCartesia,
    recorder: MonitorRecorder,
    qtbot: QtBot,
) -> None:
    app = talking_app
    output = app.output
    floor, _, marker_end = measure_floor(qtbot, recorder)
    cartesia.ms_per_char = 60  # seconds of tone: the press lands mid-sentence
    tab = app.tab()
    gemini.script(REPLY)
    gemini.default_transcription = "Not what the user said."  # would show up if sent
    with qtbot.waitSignal(output.started, timeout=WAIT_MS):
        send(qtbot, tab, "Something strong, please")
    playing_from = recorder.seconds()
    qtbot.waitUntil(lambda: recorder.seconds() > playing_from + 0.4, timeout=5000)
    assert output.is_playing()
    # Mark right after parec wrote (under load it writes in bursts, and a mark taken from a
    # stale file would count the burst's lag as Maya's sound); before the press, so the
    # press's own cost counts.
    written = recorder.seconds()
    qtbot.waitUntil(lambda: recorder.seconds() > written, timeout=2000)
    press_mark = recorder.seconds()
    with qtbot.waitSignal(app.voice_in.voice.barge_in, timeout=1000):
        qtbot.keyPress(tab.composer, SPACE, CTRL)
    samples = wait_recorded(qtbot, recorder, press_mark + 0.5)
    end = last_loud(samples, marker_end + 0.01)
    assert end is not None and end > press_mark - 0.2, "the reply was not playing at the press"
    after = end - press_mark - floor
    print(
        f"MEASURED floor {1000 * floor:.1f} ms; barge-in (Ctrl+Space): {1000 * after:.1f} ms "
        "of Maya's sound after the key press above the floor"
    )
    assert after <= 0.100
    # The output goes idle once its fade and one buffer of silence have been consumed, which
    # under load may take longer than the half second above; nothing of Maya is heard on the
    # way (a piece queued behind the cut-off one would be).
    qtbot.waitUntil(lambda: not output.is_playing(), timeout=2000)
    idle = recorder.seconds()
    assert last_loud(wait_recorded(qtbot, recorder, idle + 0.2), marker_end + 0.01) == end
    qtbot.waitUntil(lambda: not tab.controller.busy, timeout=WAIT_MS)
    [context] = cartesia.contexts
    assert context.cancelled.is_set() or context.done.is_set()
    assert app.voice_in.voice.is_pressed()  # and the user is being heard now
    # The mic opened while the last of Maya's voice was still in the sound path: that tail
    # is dropped, so a press with no words after it sends nothing and says so.
    qtbot.keyRelease(tab.composer, SPACE, CTRL)
    qtbot.waitUntil(tab.voice_notice.isVisible, timeout=WAIT_MS)
    assert "heard nothing" in tab.voice_notice.text()
    assert gemini.audio_requests == []
    assert [m.text for m in tab.transcript.messages()][-1] == REPLY.split("] ")[1]
