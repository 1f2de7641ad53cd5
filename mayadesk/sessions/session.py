"""The state of one conversation tab, kept apart from any widget."""

from __future__ import annotations

import threading
import uuid
from dataclasses import dataclass, field
from enum import StrEnum

from mayadesk.bar.state import BarState
from mayadesk.sessions.history import Emotion, Entry, History, Message

DEFAULT_PROFILE = "default"


class Phase(StrEnum):
    """Where the conversation stands; it shapes Maya's system instruction.

    A tab opens in GREETING (the greeting itself is shown locally). Taking the order is
    ORDER_TAKING; once an order is placed she makes SMALL_TALK, and after four small-talk
    turns the conversation moves to OFFER_ANOTHER, where she offers another drink.
    `mayadesk.llm.persona.next_phase` holds the transitions.
    """

    GREETING = "greeting"
    ORDER_TAKING = "order_taking"
    SMALL_TALK = "small_talk"
    OFFER_ANOTHER = "offer_another"


@dataclass
class Session:
    """One tab's conversation: its identity, key profile, history, bar tab and mood.

    Workers on other threads read and change a session's state, so every change goes
    through `lock` (re-entrant, so the bar tools can take it inside a turn that holds it);
    the id is unique for the life of the process and names the session's clients in the
    registry. `bar` is this customer's order, bill and balance; the tools change it.
    """

    profile: str = DEFAULT_PROFILE
    id: str = field(default_factory=lambda: uuid.uuid4().hex)
    history: History = field(default_factory=History)
    bar: BarState = field(default_factory=BarState)
    phase: Phase = Phase.GREETING
    emotion: Emotion = Emotion.HAPPY
    small_talk_turns: int = 0
    lock: threading.RLock = field(default_factory=threading.RLock, repr=False, compare=False)

    def add_message(self, message: Message) -> Message:
        with self.lock:
            self.history.append(message)
            return message

    def add_entry(self, entry: Entry) -> Entry:
        """Append a message or a tool exchange (the turn loop records tool use this way)."""
        with self.lock:
            return self.history.append(entry)

    def messages(self) -> tuple[Message, ...]:
        """What the transcript shows: messages only, without tool exchanges."""
        with self.lock:
            return self.history.snapshot()

    def entries(self) -> tuple[Entry, ...]:
        """Everything, tool exchanges included, in order (what a request is built from)."""
        with self.lock:
            return self.history.all_entries()
