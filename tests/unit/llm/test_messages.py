"""A Context as LangChain messages: tags restored, notes labelled, tool rounds paired."""

from __future__ import annotations

import json

from langchain_core.messages import AIMessage, HumanMessage, SystemMessage, ToolMessage

from mayadesk.llm.context import Context
from mayadesk.llm.messages import SIGNATURES_KEY, model_text, to_langchain
from mayadesk.llm.persona import TIP_NOTE_PREFIX
from mayadesk.sessions.history import (
    Emotion,
    Message,
    Role,
    ToolCall,
    ToolExchange,
    ToolResult,
)


def test_maya_speaks_to_the_model_with_her_tag() -> None:
    assert model_text(Message(Role.MAYA, "Hi!", emotion=Emotion.MIXING)) == "[STATE: mixing] Hi!"
    assert model_text(Message(Role.MAYA, "Hi!")) == "[STATE: neutral] Hi!"


def test_a_tip_note_is_labelled_as_coming_from_the_panel() -> None:
    assert model_text(Message.tip_note("Added a 15% tip.")) == (
        f"{TIP_NOTE_PREFIX} Added a 15% tip."
    )


def test_conversion_pairs_calls_with_results_and_keeps_signatures() -> None:
    calls = (
        ToolCall("id-1", "add_to_order", {"item": "Martini", "quantity": 2}, signature="c2ln"),
        ToolCall("id-2", "show_order", {}),
    )
    results = (
        ToolResult("id-1", "add_to_order", {"ok": True, "added": {"item": "Martini"}}),
        ToolResult("id-2", "show_order", {"ok": True, "order": {"items": []}}),
    )
    context = Context(
        system="You are Maya.",
        entries=(
            Message(Role.USER, "Two martinis"),
            ToolExchange(calls, results),
            Message(Role.MAYA, "Done!", emotion=Emotion.HAPPY),
            Message.tip_note("Added a 10% tip."),
            Message(Role.USER, "Thanks"),
        ),
    )
    out = to_langchain(context)
    assert [type(m) for m in out] == [
        SystemMessage,
        HumanMessage,
        AIMessage,
        ToolMessage,
        ToolMessage,
        AIMessage,
        HumanMessage,
    ]
    assert out[0].content == "You are Maya."
    call_message = out[2]
    assert isinstance(call_message, AIMessage)
    assert [(c["id"], c["name"], c["args"]) for c in call_message.tool_calls] == [
        ("id-1", "add_to_order", {"item": "Martini", "quantity": 2}),
        ("id-2", "show_order", {}),
    ]
    assert call_message.additional_kwargs[SIGNATURES_KEY] == {"id-1": "c2ln"}
    tool_messages = [m for m in out if isinstance(m, ToolMessage)]
    assert [(m.tool_call_id, m.name) for m in tool_messages] == [
        ("id-1", "add_to_order"),
        ("id-2", "show_order"),
    ]
    assert json.loads(str(tool_messages[0].content))["added"] == {"item": "Martini"}
    assert out[5].content == "[STATE: happy] Done!"
    assert out[6].content == f"{TIP_NOTE_PREFIX} Added a 10% tip.\nThanks"
