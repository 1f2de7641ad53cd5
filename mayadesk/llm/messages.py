"""A `Context` as LangChain messages, the form `ChatGoogleGenerativeAI` sends to Gemini.

Maya's replies are stored without their emotion tag; they go back to the model with it, so
every earlier reply shows her the format she must keep. Tool rounds become an `AIMessage`
carrying the calls (and their thought signatures, which Gemini 3 requires back) followed by
one `ToolMessage` per result. Consecutive customer-side lines (a tip note, then words; or
words whose reply failed) are joined into one user turn. LangChain is imported when this
runs, never at import time: it costs seconds, and the window must not pay for it.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from mayadesk.llm.context import Context
from mayadesk.llm.persona import TIP_NOTE_PREFIX
from mayadesk.sessions.history import Emotion, Message, MessageKind, Role, ToolExchange

if TYPE_CHECKING:
    from langchain_core.messages import BaseMessage

# Where langchain-google-genai keeps function-call thought signatures (tool call id → sig).
SIGNATURES_KEY = "__gemini_function_call_thought_signatures__"


def model_text(message: Message) -> str:
    """How one message reads to the model."""
    if message.role is Role.MAYA:
        emotion = message.emotion or Emotion.NEUTRAL
        return f"[STATE: {emotion.value}] {message.text}"
    if message.kind is MessageKind.TIP_NOTE:
        return f"{TIP_NOTE_PREFIX} {message.text}"
    return message.text


def to_langchain(context: Context) -> list[BaseMessage]:
    from langchain_core.messages import AIMessage, HumanMessage, SystemMessage, ToolMessage

    out: list[BaseMessage] = [SystemMessage(context.system)]
    user_lines: list[str] = []

    def flush_user() -> None:
        if user_lines:
            out.append(HumanMessage("\n".join(user_lines)))
            user_lines.clear()

    for entry in context.entries:
        if isinstance(entry, Message) and entry.is_user_side:
            user_lines.append(model_text(entry))
            continue
        flush_user()
        if isinstance(entry, ToolExchange):
            signatures = {c.id: c.signature for c in entry.calls if c.signature}
            extra: dict[str, Any] = {SIGNATURES_KEY: signatures} if signatures else {}
            calls = [{"name": c.name, "args": dict(c.args), "id": c.id} for c in entry.calls]
            out.append(AIMessage(content="", tool_calls=calls, additional_kwargs=extra))
            out.extend(
                ToolMessage(
                    content=json.dumps(dict(r.result), default=str),
                    tool_call_id=r.call_id,
                    name=r.name,
                )
                for r in entry.results
            )
        else:
            out.append(AIMessage(content=model_text(entry)))
    flush_user()
    return out
