"""The daemon executor: ordered work, results and errors handed back, never blocks exit."""

from __future__ import annotations

import subprocess
import sys
import threading

import pytest

from mayadesk.daemon_executor import DaemonExecutor


def test_runs_in_order_and_hands_back_results_and_errors() -> None:
    executor = DaemonExecutor("test")
    seen: list[int] = []
    futures = [executor.submit(seen.append, i) for i in range(50)]
    assert executor.submit(lambda: threading.current_thread().daemon).result(5) is True
    assert [f.result(5) for f in futures] == [None] * 50
    assert seen == list(range(50))
    failing = executor.submit(int, "not a number")
    with pytest.raises(ValueError):
        failing.result(5)
    executor.shutdown()
    with pytest.raises(RuntimeError):
        executor.submit(print)


def test_cancelled_work_does_not_run() -> None:
    executor = DaemonExecutor("test")
    gate = threading.Event()
    ran: list[str] = []
    blocker = executor.submit(gate.wait, 5)
    queued = executor.submit(ran.append, "queued")
    assert queued.cancel()
    gate.set()
    assert blocker.result(5) is True
    executor.shutdown(wait=True)
    assert ran == []


def test_a_call_that_never_returns_does_not_keep_the_process_alive() -> None:
    script = (
        "import threading\n"
        "from mayadesk.daemon_executor import DaemonExecutor\n"
        "DaemonExecutor('stuck').submit(threading.Event().wait)\n"
        "print('exiting')\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                            timeout=20)
    assert result.returncode == 0
    assert result.stdout.strip() == "exiting"


def test_idle_only_when_everything_submitted_has_completed() -> None:
    """A turn reads its keys off the keyring thread only when no change of the user's is
    queued or running there: `idle` must not say so a moment early."""
    executor = DaemonExecutor("test-idle")
    release = threading.Event()
    assert executor.idle()
    running = executor.submit(release.wait, 5)
    queued = executor.submit(lambda: "after")
    assert not executor.idle()
    release.set()
    assert queued.result(5) == "after" and running.result(5) is True
    assert executor.idle()  # counted done before the result is handed over
    failing = executor.submit(lambda: 1 / 0)
    with pytest.raises(ZeroDivisionError):
        failing.result(5)
    executor.shutdown(wait=True)
    assert executor.idle()
