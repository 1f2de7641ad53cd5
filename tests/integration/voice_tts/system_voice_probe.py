"""Run as a process: build a SystemVoice in a fresh Qt app, say a sentence, print what happened.

A fresh process is the only way to start Qt under another locale: `QLocale`'s system locale
is read once, when the application starts.
"""

from __future__ import annotations

import json
import sys
import time

from PySide6.QtCore import QCoreApplication, QLocale, QTimer
from PySide6.QtTextToSpeech import QTextToSpeech

from mayadesk.voice.tts_system import SystemVoice


def main() -> int:
    app = QCoreApplication(sys.argv)
    started = time.monotonic()
    voice = SystemVoice()
    construct_ms = (time.monotonic() - started) * 1000
    states: list[str] = []
    result = {
        "system_locale": QLocale.system().name(),
        "available": voice.available(),
        "reason": voice.unavailable_reason(),
        "default_locale_after": QLocale().name(),
        "states": states,
        "construct_ms": construct_ms,
    }

    def on_state(state: QTextToSpeech.State) -> None:
        states.append(state.name)
        if state is QTextToSpeech.State.Ready and "Speaking" in states:
            app.quit()

    voice.state_changed.connect(on_state)
    voice.say(sys.argv[1] if len(sys.argv) > 1 else "Hello from the bar.")
    QTimer.singleShot(15000, app.quit)
    app.exec()
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
