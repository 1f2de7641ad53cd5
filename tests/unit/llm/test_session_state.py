"""The history and session parts a turn relies on (typed entries, one bar per session)."""

from __future__ import annotations

import pytest

from mayadesk.bar.state import DEFAULT_STARTING_BALANCE_CENTS
from mayadesk.sessions.history import (
    Emotion,
    Message,
    MessageKind,
    Role,
    ToolCall,
    ToolExchange,
    ToolResult,
)
from mayadesk.sessions.session import Phase, Session


def test_the_transcript_sees_messages_and_the_model_sees_tool_rounds_too() -> None:
    session = Session()
    hello = session.add_message(Message(Role.USER, "Hello"))
    rounds = ToolExchange((ToolCall("c", "get_menu"),), (ToolResult("c", "get_menu", {"ok": 1}),))
    session.add_entry(rounds)
    reply = session.add_message(Message(Role.MAYA, "Hi!", emotion=Emotion.HAPPY))
    assert session.messages() == (hello, reply)
    assert session.entries() == (hello, rounds, reply)
    assert session.history.messages == [hello, reply]


def test_message_defaults_keep_old_callers_working() -> None:
    message = Message(Role.USER, "Hi")
    assert (message.kind, message.emotion, message.stopped, message.failed) == (
        MessageKind.TEXT,
        None,
        False,
        False,
    )
    assert message.reaches_model
    assert not Message(Role.NOTICE, "note").reaches_model
    assert not Message(Role.MAYA, "half", failed=True).reaches_model
    assert not Message(Role.MAYA, "   ").reaches_model


def test_a_tip_note_is_on_the_customers_side() -> None:
    note = Message.tip_note("Added a 15% tip.")
    assert (note.role, note.kind, note.is_user_side) == (Role.USER, MessageKind.TIP_NOTE, True)


def test_tool_entries_are_immutable() -> None:
    args = {"item": "Martini"}
    call = ToolCall("c", "add_to_order", args)
    args["item"] = "Mojito"
    assert call.args == {"item": "Martini"}
    with pytest.raises(TypeError):
        call.args["item"] = "Mojito"  # type: ignore[index]


def test_each_session_has_its_own_bar_and_starts_greeting() -> None:
    one, two = Session(), Session()
    assert one.bar is not two.bar
    assert one.bar.balance_cents == DEFAULT_STARTING_BALANCE_CENTS
    assert (one.phase, one.small_talk_turns, one.emotion) == (Phase.GREETING, 0, Emotion.HAPPY)
