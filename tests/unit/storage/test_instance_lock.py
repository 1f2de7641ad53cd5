"""One MayaDesk per data directory, across processes; a killed holder frees the lock."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from mayadesk.storage import AlreadyRunningError, InstanceLock

REPO = Path(__file__).resolve().parents[3]
HOLDER = """
import sys
from pathlib import Path
from mayadesk.storage import InstanceLock
lock = InstanceLock(Path(sys.argv[1]))
if not lock.acquire():
    print(f"busy {lock.holder_pid()}", flush=True)
    sys.exit(1)
print("locked", flush=True)
sys.stdin.readline()  # hold the lock until the test says so (or kills us)
"""


def start(data_dir: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(data_dir)],
        cwd=REPO,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )


def first_line(process: subprocess.Popen[str]) -> str:
    assert process.stdout is not None
    return process.stdout.readline().strip()


def finish(process: subprocess.Popen[str]) -> int:
    """Let a holder go (a newline on its stdin) and return its exit code."""
    process.communicate("\n")
    return process.returncode


def test_a_second_process_sees_the_first_and_its_pid(tmp_path: Path) -> None:
    first = start(tmp_path)
    assert first_line(first) == "locked"
    second = start(tmp_path)
    assert first_line(second) == f"busy {first.pid}"
    assert finish(second) == 1
    mine = InstanceLock(tmp_path)
    assert not mine.acquire() and mine.holder_pid() == first.pid
    assert finish(first) == 0  # the first one quits normally
    assert mine.acquire() and mine.held
    third = start(tmp_path)
    assert first_line(third) == f"busy {os.getpid()}"
    assert finish(third) == 1
    mine.release()
    assert not mine.held and mine.path.exists()  # the file stays; only the lock goes


def test_a_killed_holder_does_not_leave_a_stale_lock(tmp_path: Path) -> None:
    holder = start(tmp_path)
    assert first_line(holder) == "locked"
    holder.send_signal(signal.SIGKILL)
    assert holder.wait() == -signal.SIGKILL
    holder.communicate()
    with InstanceLock(tmp_path) as lock:
        assert lock.held and lock.holder_pid() == os.getpid()
        with pytest.raises(AlreadyRunningError, match=f"pid {os.getpid()}"):
            InstanceLock(tmp_path).__enter__()
    assert not lock.held


def test_the_data_directory_is_created_for_the_lock(tmp_path: Path) -> None:
    lock = InstanceLock(tmp_path / "not" / "yet")
    assert lock.acquire() and lock.acquire()  # idempotent for its holder
    lock.release()
    lock.release()
