"""The shape of a streamed reply, as the turn loop consumes it.

`run_turn` depends on this small protocol, not on LangChain: the Gemini adapter
(`client.GeminiChat`) is the one place that knows the SDK, so the loop's module imports in
milliseconds and reads as plain logic.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Protocol

from mayadesk.llm.context import Context
from mayadesk.sessions.history import ToolCall


@dataclass(frozen=True, slots=True)
class TextPiece:
    """Raw reply text as it arrived (emotion tag included; the turn strips it)."""

    text: str


@dataclass(frozen=True, slots=True)
class ReplyDone:
    """The reply is complete: the tool calls it asked for, and why the model stopped."""

    tool_calls: tuple[ToolCall, ...] = ()
    finish_reason: str | None = None


StreamPart = TextPiece | ReplyDone


class ReplyStream(Protocol):
    """Yields `TextPiece`s, then one `ReplyDone`. Raises the SDK's own exceptions on failure
    and `errors.StreamCancelled` once `cancel` is set — promptly, even while the server is
    silent. `close()` ends the HTTP request; it is safe to call more than once."""

    def __iter__(self) -> Iterator[StreamPart]: ...

    def __next__(self) -> StreamPart: ...

    def close(self) -> None: ...


class ChatModel(Protocol):
    """What a turn needs from a chat client."""

    def stream(self, context: Context, cancel: threading.Event) -> ReplyStream: ...
