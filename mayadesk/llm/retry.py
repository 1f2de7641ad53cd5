"""When a failed request is tried again, built on tenacity.

A retry is only safe while the user has seen nothing of the failed attempt (or they would
see it twice), only helps for transient errors, and must never outlast Stop: the wait
between attempts is a wait on the turn's cancel event, so Stop ends it at once.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from tenacity import RetryCallState, Retrying, retry_if_exception, stop_after_attempt
from tenacity.wait import wait_exponential_jitter

from mayadesk.llm.errors import StreamCancelled, TurnError


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How often and how patiently a failed request is tried again (tests shrink the waits).

    A server that asks for a longer pause (a rate limit's retry delay) than `max_wait` is not
    retried: the user is told how long to wait instead of watching a spinner.
    """

    attempts: int = 3
    initial_wait: float = 0.5
    max_wait: float = 8.0
    jitter: float = 0.5


DEFAULT_RETRY = RetryPolicy()


class RequestFailed(Exception):
    """One request failed; `visible` if some of its reply had already been shown."""

    def __init__(self, error: TurnError, visible: bool) -> None:
        super().__init__(error.message)
        self.error = error
        self.visible = visible


OnRetry = Callable[[RequestFailed, int, float], None]
"""Called before waiting: the failure, the attempt that failed (1-based), the wait."""


def retrying(policy: RetryPolicy, cancel: threading.Event, on_retry: OnRetry) -> Retrying:
    """A tenacity `Retrying` that re-runs a request raising `RequestFailed` while it is safe.

    Stop during the wait raises `StreamCancelled`; other exceptions are never retried.
    """
    backoff = wait_exponential_jitter(
        initial=policy.initial_wait, max=policy.max_wait, jitter=policy.jitter
    )

    def failure_of(state: RetryCallState) -> Any:
        return state.outcome.exception() if state.outcome else None

    def wait(state: RetryCallState) -> float:
        failure = failure_of(state)
        hint = failure.error.retry_after if isinstance(failure, RequestFailed) else None
        return min(policy.max_wait, max(backoff(state), hint or 0.0))

    def should_retry(exc: BaseException) -> bool:
        if not isinstance(exc, RequestFailed) or cancel.is_set():
            return False
        hint = exc.error.retry_after
        too_long = hint is not None and hint > policy.max_wait
        return exc.error.retryable and not exc.visible and not too_long

    def sleep(seconds: float) -> None:
        if cancel.wait(seconds):
            raise StreamCancelled

    def before_sleep(state: RetryCallState) -> None:
        failure = failure_of(state)
        if isinstance(failure, RequestFailed):
            on_retry(failure, state.attempt_number, state.upcoming_sleep)

    return Retrying(
        stop=stop_after_attempt(max(1, policy.attempts)),
        wait=wait,
        retry=retry_if_exception(should_retry),
        sleep=sleep,
        before_sleep=before_sleep,
        reraise=True,
    )
