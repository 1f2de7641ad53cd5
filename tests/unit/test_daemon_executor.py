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
