"""SIGKILL the writer at random moments: every entry it reported committed is there, intact.

The writer is a separate process (`crash_writer`), killed with SIGKILL — no cleanup, no
atexit, no close — after a random number of its reports; the store is reopened each time,
as the app would after a crash, in the same file that earlier rounds left behind.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import uuid
from pathlib import Path

from mayadesk.sessions.history import Message
from mayadesk.storage import ConversationStore
from tests.unit.storage.crash_writer import reply_text, user_text

REPO = Path(__file__).resolve().parents[3]
ROUNDS = 20


def run_and_kill(db_path: Path, conversation_id: str, reports: int) -> set[int]:
    """Start the writer, SIGKILL it after `reports` commit reports; return every seq reported."""
    writer = subprocess.Popen(
        [sys.executable, "-m", "tests.unit.storage.crash_writer", str(db_path), conversation_id],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert writer.stdout is not None and writer.stderr is not None
    try:
        assert writer.stdout.readline() == "ready\n", writer.stderr.read()
        for _ in range(reports):
            assert writer.stdout.readline().startswith("committed "), writer.stderr.read()
        writer.send_signal(signal.SIGKILL)
        assert writer.wait() == -signal.SIGKILL
        output = writer.stdout.read()
    finally:
        if writer.poll() is None:
            writer.kill()
            writer.wait()
        writer.stdout.close()
        writer.stderr.close()
    # The pipe keeps whatever the writer printed before it died, so this is every report
    # (lines read above included: they are counted from `reports`).
    lines = [line for line in output.split("\n")[:-1] if line.startswith("committed ")]
    return set(range(reports + len(lines)))


def check_conversation(store: ConversationStore, conversation_id: str, reported: set[int]) -> None:
    entries = store.load_entries(conversation_id)
    seqs = [e.seq for e in entries]
    assert seqs == list(range(len(entries))), "entries must be contiguous"
    assert reported <= set(seqs), f"lost committed entries {sorted(reported - set(seqs))}"
    assert len(entries) <= len(reported) + 2, "more entries than the writer could have made"
    for stored in entries:
        message = stored.entry
        assert isinstance(message, Message) and not stored.pending
        turn = stored.seq // 2
        if stored.seq % 2 == 0:
            assert message.text == user_text(turn)
        elif stored.seq in reported or not message.stopped:
            assert (message.text, message.stopped) == (reply_text(turn), False)
        else:  # the reply the kill cut off: kept as far as it got, marked stopped
            assert reply_text(turn).startswith(message.text) and message.text


def test_committed_entries_survive_sigkill_at_random_moments(tmp_path: Path) -> None:
    seed = int.from_bytes(os.urandom(4), "little")
    rng = random.Random(seed)
    db_path = tmp_path / "store.sqlite3"
    done: dict[str, set[int]] = {}
    for round_ in range(ROUNDS):
        conversation_id = uuid.uuid4().hex
        reported = run_and_kill(db_path, conversation_id, rng.randint(0, 40))
        with ConversationStore(db_path) as store:
            context = f"seed {seed}, round {round_}"
            assert store.stop_interrupted_replies() <= 1, context
            assert store.integrity_check() == [], context
            done[conversation_id] = reported
            for cid, promised in done.items():
                check_conversation(store, cid, promised)
    with ConversationStore(db_path) as store:
        assert sum(len(p) for p in done.values()) <= sum(
            r.entry_count for r in store.list_conversations()
        )
