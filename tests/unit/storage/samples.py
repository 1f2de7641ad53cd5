"""Conversations to store in tests: one of every kind of entry, and a bar with a real tab."""

from __future__ import annotations

from mayadesk.sessions.history import (
    Emotion,
    Entry,
    Message,
    MessageKind,
    Role,
    ToolCall,
    ToolExchange,
    ToolResult,
)
from mayadesk.sessions.session import Phase, Session
from mayadesk.storage import ConversationStore, session_to_record

T0 = 1_767_225_600.0
SIGNATURE = "Q2lnbmF0dXJlLW9wYXF1ZQ=="


def rich_session() -> Session:
    """A customer two rounds in: martinis placed with a tip, a mojito pending, one bill paid."""
    session = Session(profile="work")
    bar = session.bar
    bar.add_to_order("Negroni")
    bar.place_order()
    bar.pay()
    bar.add_to_order("Martini", 2, ["dry"])
    bar.place_order()
    bar.set_tip_percent(15)
    bar.add_to_order("Mojito")
    session.phase = Phase.SMALL_TALK
    session.emotion = Emotion.MIXING
    session.small_talk_turns = 3
    for entry in rich_entries():
        session.add_entry(entry)
    return session


def rich_entries() -> list[Entry]:
    call = ToolCall(
        "call-1",
        "add_to_order",
        {"item": "Martini", "quantity": 2, "modifiers": ["dry"]},
        signature=SIGNATURE,
    )
    return [
        Message(Role.MAYA, "Evening! What can I get you?", created=T0, emotion=Emotion.HAPPY),
        Message(Role.USER, "Two dry martinis, please.", created=T0 + 1.25),
        ToolExchange(
            (call, ToolCall("call-2", "show_order", {})),
            (
                ToolResult("call-1", "add_to_order", {"ok": True, "line": "2 × Martini (dry)"}),
                ToolResult("call-2", "show_order", {"ok": True, "lines": [], "total": 26.0}),
            ),
            created=T0 + 2.5,
        ),
        Message(Role.MAYA, "Two dry martinis, coming up.", created=T0 + 3, emotion=Emotion.MIXING),
        Message(Role.USER, "Added a 15% tip.", created=T0 + 4, kind=MessageKind.TIP_NOTE),
        Message(Role.MAYA, "You're too kind—", created=T0 + 5, emotion=Emotion.HAPPY, stopped=True),
        Message(Role.MAYA, "Let me", created=T0 + 6, emotion=Emotion.THINKING, failed=True),
        Message(Role.NOTICE, "Gemini is busy; try again in a moment.", created=T0 + 7),
    ]


def save_session(
    store: ConversationStore, session: Session, title: str = "Martinis at the bar"
) -> list[int]:
    """Save the session's metadata and every entry, the way the app's writer would."""
    store.save_conversation(session_to_record(session, title=title, created=T0, updated=T0))
    return [
        store.append_entry(session.id, entry, voice="cartesia" if _spoken(entry) else None)
        for entry in session.entries()
    ]


def _spoken(entry: Entry) -> bool:
    return isinstance(entry, Message) and entry.role is Role.MAYA
