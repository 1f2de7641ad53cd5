"""One MayaDesk per data directory; a second start brings the first window to the front.

The data directory's lock (`InstanceLock`) says whether another MayaDesk runs; a small Unix
socket beside it lets the second start ask the first to show itself, then exit. Plain
sockets (asyncio on the Qt loop in the first, blocking in the second) avoid loading
QtNetwork at start-up.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import socket
import tempfile
from collections.abc import Callable
from pathlib import Path

from mayadesk.storage.instance_lock import InstanceLock

log = logging.getLogger("mayadesk.app")

SOCKET_NAME = "instance.sock"
MAX_SOCKET_PATH = 100  # sockaddr_un allows 108 bytes; keep a margin
ACTIVATE = b"activate\n"
ANSWER_TIMEOUT = 3.0


def socket_path(data_dir: Path) -> Path:
    path = data_dir / SOCKET_NAME
    if len(str(path)) <= MAX_SOCKET_PATH:
        return path
    digest = hashlib.sha256(str(data_dir).encode()).hexdigest()[:16]
    return Path(tempfile.gettempdir()) / f"mayadesk-{digest}.sock"


def ask_running_instance(data_dir: Path) -> bool:
    """Ask the MayaDesk holding `data_dir` to bring its window to front; True if it did."""
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
            conn.settimeout(ANSWER_TIMEOUT)
            conn.connect(str(socket_path(data_dir)))
            conn.sendall(ACTIVATE)
            return conn.recv(16).startswith(b"ok")
    except OSError:
        return False


async def serve_activation(data_dir: Path, activate: Callable[[], None]) -> asyncio.Server:
    """Listen for later starts and call `activate` (on the Qt loop) for each."""

    async def on_client(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            request = await asyncio.wait_for(reader.readline(), ANSWER_TIMEOUT)
            if request == ACTIVATE:
                log.info("Brought to front by a second start")
                activate()
                writer.write(b"ok\n")
                await writer.drain()
        except (OSError, TimeoutError):
            pass
        finally:
            writer.close()

    path = socket_path(data_dir)
    path.unlink(missing_ok=True)  # left by a crash: we hold the lock, so it is ours to replace
    return await asyncio.start_unix_server(on_client, path=str(path))


def claim(data_dir: Path) -> InstanceLock | None:
    """The data directory's lock when this is the only MayaDesk on it, else None."""
    data_dir.mkdir(parents=True, exist_ok=True)
    lock = InstanceLock(data_dir)
    return lock if lock.acquire() else None
