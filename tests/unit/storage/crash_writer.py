"""A stand-in for the app's writer thread, run as its own process so a test can SIGKILL it.

It writes turns the way the app does — the customer's message, then Maya's reply as a draft
that grows while it streams and is completed at the end — and prints `committed <seq>`
right after each call that completed an entry returns, so the test knows what was promised.

Run: python -m tests.unit.storage.crash_writer DB_PATH CONVERSATION_ID
"""

from __future__ import annotations

import sys
from pathlib import Path

from mayadesk.sessions.history import Emotion, Message, Role
from mayadesk.sessions.session import Session
from mayadesk.storage import ConversationStore, session_to_record


def user_text(turn: int) -> str:
    return f"order number {turn}, please"


def reply_text(turn: int) -> str:
    return f"here is drink number {turn}, enjoy"


def main(path: Path, conversation_id: str) -> None:
    store = ConversationStore(path)
    store.save_conversation(session_to_record(Session(id=conversation_id), title="Crash test"))
    print("ready", flush=True)
    turn = 0
    while True:
        seq = store.append_entry(conversation_id, Message(Role.USER, user_text(turn)))
        print(f"committed {seq}", flush=True)
        draft = Message(Role.MAYA, "here", emotion=Emotion.MIXING)
        seq = store.append_entry(conversation_id, draft, voice="cartesia", pending=True)
        for words in ("here is", "here is drink", "here is drink number"):
            grown = Message(Role.MAYA, words, draft.created, emotion=Emotion.MIXING)
            store.update_entry(conversation_id, seq, grown, voice="cartesia", pending=True)
        done = Message(Role.MAYA, reply_text(turn), draft.created, emotion=Emotion.HAPPY)
        store.update_entry(conversation_id, seq, done, voice="cartesia")
        print(f"committed {seq}", flush=True)
        turn += 1


if __name__ == "__main__":
    main(Path(sys.argv[1]), sys.argv[2])
