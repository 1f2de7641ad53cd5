"""One MayaDesk per data directory: an exclusive lock on a file the running app holds open.

Two processes writing the same store would each believe their tab layout is the truth, so the
second one must notice the first before it opens the store. A lock the kernel holds for an
open file (not a "pid file exists" check) is released when the holder exits in any way —
a crash or SIGKILL included — so a stale lock can never keep the app from starting.
The lock file itself is never deleted: deleting it would let a third process lock a new file
while the second still holds the old one.

Linux and macOS use `fcntl.flock`. On Windows `msvcrt.locking` locks one byte far past the
pid text (Windows locks are mandatory, so the pid stays readable); that branch is not run
by the test suite, which runs on Linux. Bringing the first window to front is the app's job
(a QLocalServer); this class only answers "is another one running, and which pid".
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

LOCK_NAME = "mayadesk.lock"
_WINDOWS_LOCK_OFFSET = 1 << 20


class AlreadyRunningError(RuntimeError):
    """Another process holds the data directory's lock."""

    def __init__(self, pid: int | None) -> None:
        holder = f" (pid {pid})" if pid else ""
        super().__init__(f"MayaDesk is already running{holder} with this data directory")
        self.pid = pid


def _try_lock(fd: int) -> bool:
    if sys.platform == "win32":
        import msvcrt

        os.lseek(fd, _WINDOWS_LOCK_OFFSET, os.SEEK_SET)
        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True
    import fcntl

    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


class InstanceLock:
    """The data directory's single-instance lock; usable as a context manager."""

    def __init__(self, data_dir: Path) -> None:
        self.path = Path(data_dir) / LOCK_NAME
        self._fd: int | None = None

    @property
    def held(self) -> bool:
        return self._fd is not None

    def acquire(self) -> bool:
        """Take the lock if no other process holds it; True when this process now holds it."""
        if self._fd is not None:
            return True
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        if not _try_lock(fd):
            os.close(fd)
            return False
        os.ftruncate(fd, 0)
        os.lseek(fd, 0, os.SEEK_SET)
        os.write(fd, f"{os.getpid()}\n".encode())
        self._fd = fd
        return True

    def holder_pid(self) -> int | None:
        """The pid the holder wrote (for a message); None if unknown or unreadable."""
        try:
            text = self.path.read_text(encoding="ascii").strip()
        except (OSError, UnicodeDecodeError):
            return None
        return int(text) if text.isdigit() else None

    def release(self) -> None:
        """Let go; closing the descriptor releases the lock (the file stays)."""
        if self._fd is not None:
            fd, self._fd = self._fd, None
            os.close(fd)

    def __enter__(self) -> InstanceLock:
        if not self.acquire():
            raise AlreadyRunningError(self.holder_pid())
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.release()
