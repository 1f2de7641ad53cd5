"""Start-up with 30 restored tabs of 200 messages each, against an empty store.

Both starts are timed the same way as bench/startup.py (launch → window mapped on the X
server), alternating, in fresh copies of the same data so every run restores the same
tabs. Goal: the restored start within 1.5× the empty one.
"""

from __future__ import annotations

import os
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from bench.startup import MAYADESK, time_to_window
from mayadesk.bar.state import BarState
from mayadesk.sessions.history import Emotion, Message, Role
from mayadesk.sessions.session import Session
from mayadesk.storage.mapping import session_to_record
from mayadesk.storage.store import ConversationStore
from mayadesk.workers.conversation_keeper import STORE_FILE_NAME

TABS, MESSAGES = 30, 200


def build_store(data_dir: Path) -> None:
    """30 open conversations of 200 alternating messages, as the app would have saved them."""
    data_dir.mkdir(parents=True)
    now = time.time()
    with ConversationStore(data_dir / STORE_FILE_NAME) as store:
        ids = []
        for tab in range(TABS):
            session = Session(bar=BarState())
            store.save_conversation(session_to_record(session, title=f"Customer {tab}"))
            for n in range(MESSAGES):
                if n % 2 == 0:
                    message = Message(Role.USER, f"Message {n} of tab {tab}: a gin and tonic?",
                                      created=now)
                else:
                    message = Message(Role.MAYA, f"Reply {n}: coming right up, with a slice "
                                      "of lime and plenty of ice. Anything else tonight?",
                                      created=now, emotion=Emotion.HAPPY)
                store.append_entry(session.id, message)
            ids.append(session.id)
        store.set_open_tabs(ids, ids[-1])


def run(runs: int = 5) -> dict[str, float]:
    with tempfile.TemporaryDirectory(prefix="mayadesk-restore-") as base:
        template = Path(base) / "template" / "mayadesk"
        build_store(template)
        empty_times, full_times = [], []
        for run_no in range(runs):
            for kind, times in (("empty", empty_times), ("full", full_times)):
                home = Path(base) / f"{kind}-{run_no}"
                env = dict(os.environ)
                for name in ("CONFIG", "DATA", "STATE", "CACHE"):
                    env[f"XDG_{name}_HOME"] = str(home / name.lower())
                if kind == "full":
                    shutil.copytree(template, home / "data" / "mayadesk")
                times.append(time_to_window(MAYADESK, "MayaDesk", env))
    empty, full = statistics.median(empty_times), statistics.median(full_times)
    print(f"restore: empty store        median {empty * 1000:7.0f} ms  "
          f"runs {[round(t * 1000) for t in empty_times]}")
    print(f"restore: {TABS} tabs x {MESSAGES} msgs median {full * 1000:7.0f} ms  "
          f"runs {[round(t * 1000) for t in full_times]}")
    print(f"restore: ratio restored / empty = {full / empty:.2f}  (goal <= 1.5)")
    return {"restore_empty_ms": empty * 1000, "restore_full_ms": full * 1000,
            "restore_ratio": full / empty}
