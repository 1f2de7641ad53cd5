"""Building a request from the history: what is left out, and how a long history is trimmed."""

from __future__ import annotations

import pytest

from mayadesk.llm.context import build_context, entry_size, exchanges
from mayadesk.sessions.history import (
    Emotion,
    Entry,
    Message,
    Role,
    ToolCall,
    ToolExchange,
    ToolResult,
)


def user(text: str) -> Message:
    return Message(Role.USER, text)


def maya(text: str, **kw: object) -> Message:
    return Message(Role.MAYA, text, emotion=Emotion.HAPPY, **kw)  # type: ignore[arg-type]


def exchange(name: str, call_id: str, payload: str = "x") -> ToolExchange:
    return ToolExchange(
        (ToolCall(call_id, name, {"item": payload}),),
        (ToolResult(call_id, name, {"ok": True, "data": payload}),),
    )


def test_greeting_notices_and_failed_fragments_are_not_sent() -> None:
    entries: list[Entry] = [
        maya("Welcome to MOK 5-ha!"),  # the local greeting, before the customer speaks
        user("Hi"),
        Message(Role.NOTICE, "Gemini is overloaded right now."),
        maya("Half a rep", failed=True),
        maya("Hello!"),
    ]
    context = build_context(entries, "system")
    assert context.entries == (entries[1], entries[4])
    assert context.dropped == 3
    assert context.system == "system"


def test_tip_notes_and_stopped_replies_are_sent() -> None:
    note = Message.tip_note("Added a 15% tip.")
    stopped = maya("Sure, let me", stopped=True)
    hello = user("Hi")
    assert build_context([hello, stopped, note], "s").entries == (hello, stopped, note)
    assert hello.is_user_side and note.is_user_side and not stopped.is_user_side


def test_exchanges_start_where_the_customer_speaks() -> None:
    ex = exchange("add_to_order", "c1")
    entries: list[Entry] = [user("A"), ex, maya("ok"), user("B"), maya("fine")]
    assert exchanges(entries) == [[entries[0], ex, entries[2]], [entries[3], entries[4]]]


def test_everything_is_sent_when_it_fits() -> None:
    entries: list[Entry] = [user("A"), maya("a"), user("B"), maya("b")]
    assert build_context(entries, "s", budget_chars=10_000).entries == tuple(entries)


def test_the_oldest_exchanges_go_first_and_whole() -> None:
    big = "m" * 500
    entries: list[Entry] = [
        user("first"),
        exchange("get_menu", "c1", big),
        maya("one"),
        user("second"),
        exchange("get_menu", "c2", big),
        maya("two"),
        user("third"),
        maya("three"),
    ]
    sizes = [entry_size(e) for e in entries]
    newest_two = sum(sizes[3:])
    context = build_context(entries, "", budget_chars=newest_two)
    assert context.entries == tuple(entries[3:])
    assert context.dropped == 3
    tool_entries = [e for e in context.entries if isinstance(e, ToolExchange)]
    assert [c.id for e in tool_entries for c in e.calls] == ["c2"]
    assert [r.call_id for e in tool_entries for r in e.results] == ["c2"]


def test_the_system_instruction_counts_against_the_budget() -> None:
    entries: list[Entry] = [user("a" * 100), maya("b"), user("c" * 100)]
    roomy = build_context(entries, "", budget_chars=300)
    tight = build_context(entries, "s" * 150, budget_chars=300)
    assert len(roomy.entries) == 3
    assert tight.entries == (entries[2],)


def test_the_current_exchange_is_kept_even_over_budget() -> None:
    entries: list[Entry] = [user("old"), maya("old reply"), user("x" * 5000)]
    assert build_context(entries, "", budget_chars=10).entries == (entries[2],)


def test_a_tool_exchange_needs_a_result_for_every_call() -> None:
    with pytest.raises(ValueError, match="exactly one result"):
        ToolExchange((ToolCall("a", "get_menu"),), ())
    with pytest.raises(ValueError, match="exactly one result"):
        ToolExchange(
            (ToolCall("a", "get_menu"), ToolCall("b", "show_order")),
            (ToolResult("b", "show_order", {}), ToolResult("a", "get_menu", {})),
        )
