"""An executor whose worker never keeps the process alive.

`concurrent.futures.ThreadPoolExecutor` joins its threads at interpreter exit. A keyring
call can block for as long as a system prompt stays open (or forever, when no prompter
answers), and then quitting MayaDesk would hang. Work given to this executor is abandoned
at exit instead: nothing it does needs finishing once the user has quit.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from concurrent.futures import Executor, Future
from typing import Any, ParamSpec, TypeVar

P = ParamSpec("P")
T = TypeVar("T")

_Job = tuple[Future[Any], Callable[..., Any], tuple[Any, ...], dict[str, Any]]


class DaemonExecutor(Executor):
    """Runs submitted calls one after another, in order, on one daemon thread."""

    def __init__(self, name: str) -> None:
        self._jobs: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self._closed = False
        self._lock = threading.Lock()
        self._unfinished = 0  # submitted and not yet done (queued or running)
        self._thread = threading.Thread(target=self._work, name=name, daemon=True)
        self._thread.start()

    def submit(
        self, fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs
    ) -> Future[T]:
        with self._lock:
            if self._closed:
                raise RuntimeError("cannot schedule new work after shutdown")
            future: Future[T] = Future()
            self._unfinished += 1
            self._jobs.put((future, fn, args, kwargs))
            return future

    def idle(self) -> bool:
        """Nothing queued or running: work submitted earlier has all completed."""
        with self._lock:
            return self._unfinished == 0

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        with self._lock:
            if self._closed:
                return
            self._closed = True
            if cancel_futures:
                while True:
                    try:
                        job = self._jobs.get_nowait()
                    except queue.Empty:
                        break
                    if job is not None:
                        job[0].cancel()
                        self._unfinished -= 1
            self._jobs.put(None)
        if wait:
            self._thread.join()

    def join(self, timeout: float) -> bool:
        """After `shutdown(wait=False)`: wait up to `timeout` s for the thread; whether it ended."""
        self._thread.join(timeout)
        return not self._thread.is_alive()

    def _work(self) -> None:
        while (job := self._jobs.get()) is not None:
            future, fn, args, kwargs = job
            if not future.set_running_or_notify_cancel():
                self._done_one()
                continue
            try:
                result = fn(*args, **kwargs)
            except BaseException as error:  # handed to the waiting caller, as executors do
                self._done_one()  # before the caller hears of it: idle() is true by then
                future.set_exception(error)
            else:
                self._done_one()
                future.set_result(result)

    def _done_one(self) -> None:
        with self._lock:
            self._unfinished -= 1
