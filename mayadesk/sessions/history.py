"""The entries of one conversation, as plain data the UI, the store and the model all read.

Two kinds of entry share one ordered history. A :class:`Message` is something a person sees
in the transcript (the customer's words, Maya's replies, app notices, tip notes). A
:class:`ToolExchange` is one round of Maya using the bar's tools — the calls she made and
what each returned; the transcript does not show it, but the model must see it on later
turns, or she forgets what she already rang up. Keeping both in one list keeps their order,
which is what the model needs; `History.snapshot()` hands the UI only the messages.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType
from typing import Any


class Role(StrEnum):
    USER = "user"
    MAYA = "maya"
    NOTICE = "notice"
    """Something the app tells the user (not part of what the model sees)."""


class Emotion(StrEnum):
    """Maya's mood, as her reply's `[STATE: ...]` tag names it; it picks the avatar image."""

    NEUTRAL = "neutral"
    HAPPY = "happy"
    FLUSTERED = "flustered"
    THINKING = "thinking"
    MIXING = "mixing"
    UPSET = "upset"


class MessageKind(StrEnum):
    TEXT = "text"
    TIP_NOTE = "tip_note"
    """A tip set with the order panel, recorded on the customer's side ("Added a 15% tip.")
    so that Maya hears of it on her next turn."""


@dataclass(eq=False)
class ReplyRecord:
    """What the app learnt about one of Maya's replies while it was made and spoken.

    Mutable, and shared by reference with the transcript's copy of the message: the first
    sound may come after the text is complete, and hovering the message shows it then. Kept
    in memory only (the store saves what the model and the transcript need, not timings).

    `speech_id` names the reply's audio kept for replay ("" until it has one). Times are
    seconds after the user sent the message; None when not (yet) measured. `voices` are the
    voices that spoke it. `unheard`: it finished in a background tab and was not heard.
    """

    speech_id: str = ""
    first_token: float | None = None
    first_audio: float | None = None
    voices: list[str] = field(default_factory=list)
    spoken: bool = False
    unheard: bool = False


def _frozen(mapping: Mapping[str, Any]) -> Mapping[str, Any]:
    return MappingProxyType(dict(mapping))


@dataclass(frozen=True)
class Message:
    """One transcript message.

    `emotion` is set on Maya's replies. `stopped` marks a reply the user cut short (it stays,
    and the model sees it); `failed` marks the part of a reply that arrived before an error
    (shown, but never sent to the model, so a Retry starts from the customer's words).
    """

    role: Role
    text: str
    created: float = field(default_factory=time.time)
    kind: MessageKind = MessageKind.TEXT
    emotion: Emotion | None = None
    stopped: bool = False
    failed: bool = False
    record: ReplyRecord | None = field(default=None, compare=False, repr=False)
    """Timings and replay state of a reply shown live (not stored; not part of equality)."""

    @classmethod
    def tip_note(cls, text: str) -> Message:
        """The customer-side note for a tip set with the panel's buttons."""
        return cls(Role.USER, text, kind=MessageKind.TIP_NOTE)

    @property
    def is_user_side(self) -> bool:
        """Whether the model hears this as the customer speaking (their words or a tip note)."""
        return self.role is Role.USER

    @property
    def reaches_model(self) -> bool:
        """Whether this message belongs in a request: not notices, not failed fragments."""
        if self.role is Role.NOTICE or self.failed:
            return False
        return bool(self.text.strip())


@dataclass(frozen=True)
class ToolCall:
    """A tool call as the model made it. `signature` is Gemini's opaque thought signature,
    which later requests must send back with the call (Gemini 3 refuses them without)."""

    id: str
    name: str
    args: Mapping[str, Any] = field(default_factory=dict)
    signature: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "args", _frozen(self.args))


@dataclass(frozen=True)
class ToolResult:
    """What one call returned (a JSON object with `ok`), answering the call with `call_id`."""

    call_id: str
    name: str
    result: Mapping[str, Any]

    def __post_init__(self) -> None:
        object.__setattr__(self, "result", _frozen(self.result))


@dataclass(frozen=True)
class ToolExchange:
    """One round of tool use: the calls of one model reply and their results, in order.

    Calls and results live in one entry so that trimming a long history can never keep a
    call without its result (Gemini rejects such a request).
    """

    calls: tuple[ToolCall, ...]
    results: tuple[ToolResult, ...]
    created: float = field(default_factory=time.time)

    def __post_init__(self) -> None:
        if [c.id for c in self.calls] != [r.call_id for r in self.results]:
            raise ValueError("every tool call needs exactly one result, in the same order")


Entry = Message | ToolExchange


@dataclass
class History:
    """An append-only list of entries; the owning session's lock guards it."""

    entries: list[Entry] = field(default_factory=list)

    def append(self, entry: Entry) -> Entry:
        self.entries.append(entry)
        return entry

    def snapshot(self) -> tuple[Message, ...]:
        """The messages, for the transcript (tool exchanges are not shown)."""
        return tuple(e for e in self.entries if isinstance(e, Message))

    def all_entries(self) -> tuple[Entry, ...]:
        """Messages and tool exchanges in order, for building a request."""
        return tuple(self.entries)

    @property
    def messages(self) -> list[Message]:
        """The messages only (kept for readers written before tool exchanges existed)."""
        return list(self.snapshot())
