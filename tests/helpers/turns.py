"""Running a turn the way the worker does (on its own thread), recording its events."""

from __future__ import annotations

import threading
import time
from typing import Any, TypeVar

from mayadesk.bar.tools import BarTools
from mayadesk.llm.client import GeminiChat
from mayadesk.llm.events import TokenDelta, TurnEnd, TurnEvent, TurnRetrying
from mayadesk.llm.turn import RetryPolicy, run_turn
from mayadesk.sessions.history import Message, Role
from mayadesk.sessions.session import Session

KEY = "AIza-turn-test-key-alpha"
KEY_B = "AIza-turn-test-key-bravo"
FAST = RetryPolicy(attempts=3, initial_wait=0.001, max_wait=0.05, jitter=0)
E = TypeVar("E")


class Recorder:
    """The `emit` callback: keeps every event and signals the first visible token."""

    def __init__(self) -> None:
        self.events: list[TurnEvent] = []
        self.first_token = threading.Event()
        self.retrying = threading.Event()

    def __call__(self, event: TurnEvent) -> None:
        self.events.append(event)
        if isinstance(event, TokenDelta):
            self.first_token.set()
        elif isinstance(event, TurnRetrying):
            self.retrying.set()

    def of(self, kind: type[E]) -> list[E]:
        return [e for e in self.events if isinstance(e, kind)]

    @property
    def deltas(self) -> list[str]:
        return [e.text for e in self.of(TokenDelta)]


class Turn:
    """A turn on its own thread, as the worker runs it; records when run_turn returned."""

    def __init__(self, session: Session, llm: GeminiChat, text: str, **options: Any) -> None:
        session.add_message(Message(Role.USER, text))
        self.cancel = threading.Event()
        self.recorder = Recorder()
        self.result: TurnEnd | None = None
        self.returned_at = 0.0
        tools = BarTools(session.bar, session.lock)
        options.setdefault("retry", FAST)

        def work() -> None:
            self.result = run_turn(
                session, llm, tools, turn_id=1, cancel=self.cancel, emit=self.recorder, **options
            )
            self.returned_at = time.perf_counter()

        self.thread = threading.Thread(target=work, name="test-turn")
        self.thread.start()

    def join(self) -> TurnEnd:
        self.thread.join(15)
        assert self.result is not None, "the turn did not end"
        return self.result


def say(session: Session, llm: GeminiChat, text: str, **options: Any) -> tuple[TurnEnd, Recorder]:
    turn = Turn(session, llm, text, **options)
    return turn.join(), turn.recorder
