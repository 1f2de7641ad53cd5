"""What a turn tells the outside world, as small immutable events.

`run_turn` runs on a worker thread and hands each event to an `emit` callback; the Qt
adapter turns them into queued signals. Events are frozen, so passing one to another thread
shares nothing mutable. Every event names its turn, so a late event of a stopped turn can be
told apart from the next turn's. Voice events (sentences, audio) will join this union.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from mayadesk.bar.state import BarSnapshot
from mayadesk.llm.errors import TurnError
from mayadesk.sessions.history import Emotion


@dataclass(frozen=True, slots=True)
class TurnStarted:
    turn_id: int


@dataclass(frozen=True, slots=True)
class TokenDelta:
    """Visible text as it streams; the emotion tag is never part of it.

    Concatenating a turn's deltas gives exactly `TurnFinished.text` (or the failed turn's
    `partial_text`).
    """

    turn_id: int
    text: str


@dataclass(frozen=True, slots=True)
class EmotionChanged:
    """Maya's mood changed (her reply's tag was read); the tab shows that avatar."""

    turn_id: int
    emotion: Emotion


@dataclass(frozen=True, slots=True)
class ToolRan:
    """A bar tool ran; `result` is the JSON object the model was given."""

    turn_id: int
    name: str
    args: Mapping[str, Any]
    result: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class OrderChanged:
    """A tool changed the order, bill or money; `snapshot` is the tab as it is now."""

    turn_id: int
    snapshot: BarSnapshot


@dataclass(frozen=True, slots=True)
class TurnRetrying:
    """A request failed in a way worth another try; the turn waits `wait` seconds (Stop
    ends the wait). Nothing of the failed attempt was shown, so the tab can simply say
    that Maya is trying again."""

    turn_id: int
    attempt: int
    error: TurnError
    wait: float


@dataclass(frozen=True, slots=True)
class TurnFinished:
    """The turn is over and Maya's reply is in the history; `stopped` if the user cut it
    short (then `text` is what had arrived, possibly nothing)."""

    turn_id: int
    text: str
    emotion: Emotion
    stopped: bool = False


@dataclass(frozen=True, slots=True)
class TurnFailed:
    """The turn could not finish; the user's message stays in the history for a Retry.

    `partial_text` is what the user had already seen of the reply (kept in the history as a
    failed fragment, never sent to the model).
    """

    turn_id: int
    error: TurnError
    partial_text: str = ""


TurnEvent = (
    TurnStarted
    | TokenDelta
    | EmotionChanged
    | ToolRan
    | OrderChanged
    | TurnRetrying
    | TurnFinished
    | TurnFailed
)
TurnEnd = TurnFinished | TurnFailed
