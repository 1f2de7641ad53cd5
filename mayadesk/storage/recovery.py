"""Opening the store without ever stopping the app: damaged files are moved aside, not fatal.

A database that is garbage, truncated, unreadable, or a directory in its place is renamed
(with its -wal and -shm, so a recovery tool still sees the whole thing) to
`<name>.corrupt-<timestamp>` and a fresh store is started; the user gets one sentence saying
so. Some cases keep the file untouched: a store written by a newer MayaDesk (moving it would
lose that version's data), a store another process holds locked, and failures of the disk
rather than the file (full, I/O error). Then, as when the data directory itself can't be
written, the app runs with an in-memory store and says that this session won't be saved.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import time
from pathlib import Path

from mayadesk.storage.schema import NewerSchemaError
from mayadesk.storage.store import ConversationStore

log = logging.getLogger("mayadesk.storage")

_BUSY = {"SQLITE_BUSY", "SQLITE_LOCKED"}
_NOT_THE_FILE = {"SQLITE_FULL", "SQLITE_NOMEM", "SQLITE_INTERRUPT"}
"""Failures of the disk or the machine, not of the file: moving the file would not help."""
_SIDE_FILES = ("-wal", "-shm", "-journal")


def _aside_name(path: Path, stamp: str) -> Path:
    candidate = path.with_name(f"{path.name}.corrupt-{stamp}")
    counter = 2
    while candidate.exists() or candidate.is_symlink():
        candidate = path.with_name(f"{path.name}.corrupt-{stamp}-{counter}")
        counter += 1
    return candidate


def move_aside(path: Path, now: float | None = None) -> Path:
    """Rename the database and its side files out of the way; return the new name.

    The side files go first: if we are interrupted between renames, the damaged main file
    is still in place and is moved on the next start, and never meets a stranger's WAL.
    """
    stamp = time.strftime("%Y%m%d-%H%M%S", time.localtime(now))
    target = _aside_name(path, stamp)
    for suffix in _SIDE_FILES:
        side = path.with_name(path.name + suffix)
        if side.exists() or side.is_symlink():
            os.replace(side, target.with_name(target.name + suffix))
    os.replace(path, target)
    return target


def _open_checked(path: Path, durable: bool, busy_timeout: float) -> ConversationStore:
    """Open, migrate and quick-check: damage in any page a later read would hit shows now."""
    store = ConversationStore(path, durable=durable, busy_timeout=busy_timeout)
    try:
        problems = store.integrity_check(quick=True)
        if problems:
            raise sqlite3.DatabaseError("; ".join(problems[:5]))
    except BaseException:
        store.close()
        raise
    return store


def _in_memory(notice: str) -> tuple[ConversationStore, str]:
    return ConversationStore(":memory:"), notice


def open_store(
    path: Path, *, durable: bool = True, busy_timeout: float = 5.0
) -> tuple[ConversationStore, str | None]:
    """The store at `path`, and a plain-words notice for the user when something was wrong."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        return _open_checked(path, durable, busy_timeout), None
    except NewerSchemaError as exc:
        log.warning("conversation store %s: %s", path, exc)
        return _in_memory(
            "Your saved conversations were written by a newer version of MayaDesk, so this "
            "version left them untouched. Conversations from this session won't be saved."
        )
    except (sqlite3.DatabaseError, OSError) as exc:
        name = getattr(exc, "sqlite_errorname", None) or ""
        if name in _BUSY:
            log.warning("conversation store %s is locked: %s", path, exc)
            return _in_memory(
                "Another program is using MayaDesk's saved conversations, so this window "
                "can't save. Close the other MayaDesk and start again to keep this session's "
                "chats."
            )
        if name in _NOT_THE_FILE or name.startswith("SQLITE_IOERR"):
            log.warning("conversation store %s can't be opened now: %s", path, exc)
            return _in_memory(
                f"MayaDesk couldn't open its saved conversations ({_reason(exc)}); they were "
                "left as they are. This session's conversations won't be saved."
            )
        return _recover(path, durable, busy_timeout, exc)


def _recover(
    path: Path, durable: bool, busy_timeout: float, error: BaseException
) -> tuple[ConversationStore, str | None]:
    log.warning("conversation store %s can't be used (%s); moving it aside", path, error)
    try:
        moved = move_aside(path)
        store = _open_checked(path, durable, busy_timeout)
    except (sqlite3.Error, OSError, NewerSchemaError) as exc:
        log.warning("no fresh conversation store at %s either: %s", path, exc)
        return _in_memory(
            f"MayaDesk can't save conversations in {path.parent} ({_reason(exc)}). You can "
            "keep chatting, but this session's conversations won't be kept."
        )
    return store, (
        "MayaDesk couldn't read its saved conversations (the file was damaged or unreadable), "
        f"so it started a fresh one. The old file was kept as {moved.name} in {moved.parent}."
    )


def _reason(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror.lower()
    return str(exc) or type(exc).__name__
