"""One turn of the conversation: stream Maya's reply, run her tools, record it all.

`run_turn` is plain Python so it can be tested without a window; a worker thread calls it
and forwards the events. The customer's message is already in the history when it starts
(Retry simply runs it again on the same history). Each request is built from the session's
history as it is at that moment, so a tool round's calls and results — appended as they
happen — are in the next request, and in every later turn's.

Each request is retried (see `retry`) only while that is safe: a transient error, nothing of
that request shown yet, and Stop not pressed.
"""

from __future__ import annotations

import itertools
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass

from mayadesk.bar.tools import BarTools, declarations
from mayadesk.llm.context import DEFAULT_CONTEXT_BUDGET_CHARS, Context, build_context
from mayadesk.llm.emotion import EmotionParser
from mayadesk.llm.errors import EmptyReply, StreamCancelled, TurnError, map_gemini_error
from mayadesk.llm.events import (
    EmotionChanged,
    OrderChanged,
    TokenDelta,
    ToolRan,
    TurnEnd,
    TurnEvent,
    TurnFailed,
    TurnFinished,
    TurnRetrying,
    TurnStarted,
)
from mayadesk.llm.persona import next_phase, system_instruction
from mayadesk.llm.retry import DEFAULT_RETRY, RequestFailed, RetryPolicy, retrying
from mayadesk.llm.stream import ChatModel, ReplyDone
from mayadesk.sessions.history import Emotion, Message, Role, ToolCall, ToolExchange, ToolResult
from mayadesk.sessions.session import Session

__all__ = [
    "DEFAULT_RETRY",
    "TOOL_BOUND_SENTENCE",
    "TOOL_DECLARATIONS",
    "RetryPolicy",
    "request_context",
    "run_turn",
]

log = logging.getLogger("mayadesk.llm")

TOOL_DECLARATIONS = tuple(declarations())
"""The bar tools as Gemini function declarations: pass this same tuple to `get_llm`."""

TOOL_BOUND_SENTENCE = (
    "Sorry, I got myself in a tangle behind the bar there — could you tell me that once more?"
)


@dataclass(frozen=True, slots=True)
class _Reply:
    text: str
    calls: tuple[ToolCall, ...]


def run_turn(
    session: Session,
    llm: ChatModel,
    tools: BarTools,
    *,
    turn_id: int,
    cancel: threading.Event,
    emit: Callable[[TurnEvent], None],
    max_tool_rounds: int = 5,
    retry: RetryPolicy = DEFAULT_RETRY,
    context_budget: int = DEFAULT_CONTEXT_BUDGET_CHARS,
) -> TurnEnd:
    """Run one turn; emit its events; return the last one (finished or failed).

    `tools` must be over `session.bar` with `session.lock`; give it no `on_change`, since the
    turn emits `OrderChanged` itself. Never raises for Gemini's failures: they end the turn
    with `TurnFailed`, and the customer's message stays in the history.
    """
    turn = _Turn(session, llm, tools, turn_id, cancel, emit, retry, context_budget)
    emit(TurnStarted(turn_id))
    try:
        for round_no in itertools.count():
            reply = turn.request()
            if not reply.calls:
                break
            if cancel.is_set():
                raise StreamCancelled
            if round_no >= max_tool_rounds:
                log.info("Turn %d: still calling tools after %d rounds", turn_id, round_no)
                turn.set_emotion(Emotion.FLUSTERED)
                turn.show(TOOL_BOUND_SENTENCE, new_part=True)
                break
            turn.run_tools(reply.calls)
    except StreamCancelled:
        return turn.finish(stopped=True)
    except RequestFailed as failure:
        if cancel.is_set():  # Stop was pressed as the request failed: the user asked to stop
            return turn.finish(stopped=True)
        return turn.fail(failure.error)
    except Exception as exc:  # a bug of ours: still end the turn cleanly, keep the message
        log.exception("Turn %d of session %s crashed", turn_id, session.id[:8])
        return turn.fail(map_gemini_error(exc, session.profile))
    return turn.finish(stopped=False)


def request_context(session: Session, budget: int = DEFAULT_CONTEXT_BUDGET_CHARS) -> Context:
    """What the next request of `session` sends: its history as it is now, in the budget."""
    with session.lock:
        entries = session.history.all_entries()
        phase = session.phase
    return build_context(entries, system_instruction(phase, session.bar.menu.bar), budget)


class _Turn:
    """The state of one running turn; only `run_turn` uses it."""

    def __init__(
        self,
        session: Session,
        llm: ChatModel,
        tools: BarTools,
        turn_id: int,
        cancel: threading.Event,
        emit: Callable[[TurnEvent], None],
        retry: RetryPolicy,
        context_budget: int,
    ) -> None:
        self.session, self.llm, self.tools = session, llm, tools
        self.turn_id, self.cancel, self.emit = turn_id, cancel, emit
        self.retry, self.context_budget = retry, context_budget
        self.shown: list[str] = []
        self.emotion: Emotion | None = None  # the last tag read this turn
        self.start_emotion = session.emotion
        self.order_placed = False

    # -- what the user sees -----------------------------------------------------------------

    def show(self, text: str, *, new_part: bool) -> None:
        """Emit visible text; a new part (next round) gets a space if it needs one."""
        if new_part and self.shown and not self.shown[-1][-1:].isspace():
            text = text if text[:1].isspace() else " " + text
        self.shown.append(text)
        self.emit(TokenDelta(self.turn_id, text))

    def set_emotion(self, emotion: Emotion) -> None:
        if emotion != (self.emotion or self.start_emotion):
            self.emit(EmotionChanged(self.turn_id, emotion))
        self.emotion = emotion

    # -- requests ---------------------------------------------------------------------------

    def request(self) -> _Reply:
        """One request for the next part of the reply, retried while that is safe."""
        return retrying(self.retry, self.cancel, self._on_retry)(self._request_once)

    def _on_retry(self, failure: RequestFailed, attempt: int, wait: float) -> None:
        log.info("Turn %d: %s on attempt %d; retrying in %.2f s", self.turn_id,
                 failure.error.category, attempt, wait)  # fmt: skip
        self.emit(TurnRetrying(self.turn_id, attempt, failure.error, wait))

    def _request_once(self) -> _Reply:
        if self.cancel.is_set():
            raise StreamCancelled
        context = request_context(self.session, self.context_budget)
        parser = EmotionParser()
        parts: list[str] = []
        done = ReplyDone()
        try:
            stream = self.llm.stream(context, self.cancel)
            try:
                for part in stream:
                    if isinstance(part, ReplyDone):
                        done = part
                        continue
                    self._take(parser.feed(part.text), parser, parts)
                self._take(parser.finish(), parser, parts)
            finally:
                stream.close()
        except StreamCancelled:
            raise
        except Exception as exc:
            raise RequestFailed(map_gemini_error(exc, self.session.profile), bool(parts)) from exc
        if not parts and not done.tool_calls:
            error = map_gemini_error(EmptyReply(done.finish_reason), self.session.profile)
            raise RequestFailed(error, visible=False)
        return _Reply("".join(parts), done.tool_calls)

    def _take(self, visible: str, parser: EmotionParser, parts: list[str]) -> None:
        if parser.emotion is not None and parser.emotion != self.emotion:
            self.set_emotion(parser.emotion)
        elif parser.decided and parser.emotion is None and self.emotion is None:
            self.set_emotion(Emotion.NEUTRAL)  # no tag: neutral, as soon as that is clear
        if visible:
            self.show(visible, new_part=not parts)
            parts.append(visible)

    # -- tools ------------------------------------------------------------------------------

    def run_tools(self, calls: tuple[ToolCall, ...]) -> None:
        """Run one round of calls in order and record them with their results."""
        results = []
        for call in calls:
            before = self.tools.snapshot()
            outcome = ToolResult(call.id, call.name, self.tools.call(call.name, call.args))
            after = self.tools.snapshot()
            self.emit(ToolRan(self.turn_id, call.name, call.args, outcome.result))
            if after != before:
                self.emit(OrderChanged(self.turn_id, after))
            if call.name == "place_order" and outcome.result.get("ok"):
                self.order_placed = True
            results.append(outcome)
        self.session.add_entry(ToolExchange(calls, tuple(results)))

    # -- endings ----------------------------------------------------------------------------

    def finish(self, *, stopped: bool) -> TurnFinished:
        text = "".join(self.shown)
        if self.emotion is None and not stopped:
            self.set_emotion(Emotion.NEUTRAL)  # a reply without a tag
        emotion = self.emotion or self.start_emotion
        session = self.session
        with session.lock:
            if text:
                session.history.append(Message(Role.MAYA, text, emotion=emotion, stopped=stopped))
            session.emotion = emotion
            self._advance_phase()
        event = TurnFinished(self.turn_id, text, emotion, stopped)
        self.emit(event)
        return event

    def fail(self, error: TurnError) -> TurnFailed:
        text = "".join(self.shown)
        log.info("Turn %d of session %s failed: %s", self.turn_id, self.session.id[:8],
                 error.category)  # fmt: skip
        session = self.session
        with session.lock:
            if text:
                emotion = self.emotion or self.start_emotion
                session.history.append(Message(Role.MAYA, text, emotion=emotion, failed=True))
            if self.order_placed:
                self._advance_phase()
        event = TurnFailed(self.turn_id, error, text)
        self.emit(event)
        return event

    def _advance_phase(self) -> None:
        session = self.session
        session.phase, session.small_talk_turns = next_phase(
            session.phase,
            session.small_talk_turns,
            order_placed=self.order_placed,
            order_pending=not session.bar.order.is_empty,
        )
