"""SQL for a conversation's entries and turn timings, run inside the store's transactions.

A conversation's entries are numbered 0, 1, 2… by `seq` in the order they happened; the
unique (conversation_id, seq) index is what makes "the last page" and "the page before seq"
cheap, however long the conversation.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Mapping

from mayadesk.storage.mapping import EntryRow, row_to_stored, to_json
from mayadesk.storage.records import StoredEntry

COLUMNS = (
    "kind, role, message_kind, text, emotion, created, voice, stopped, failed, pending, "
    "tool_calls, tool_results"
)
PAGE_SQL = (
    f"SELECT seq, {COLUMNS} FROM entries "
    "WHERE conversation_id = ? AND seq < ? ORDER BY seq DESC LIMIT ?"
)
_PLACEHOLDERS = ", ".join("?" * (COLUMNS.count(",") + 3))


def append(conn: sqlite3.Connection, conversation_id: str, row: EntryRow) -> int:
    seq: int = conn.execute(
        "SELECT COALESCE(MAX(seq) + 1, 0) FROM entries WHERE conversation_id = ?",
        (conversation_id,),
    ).fetchone()[0]
    conn.execute(
        f"INSERT INTO entries (conversation_id, seq, {COLUMNS}) VALUES ({_PLACEHOLDERS})",
        (conversation_id, seq, *vars(row).values()),
    )
    return seq


def update(conn: sqlite3.Connection, conversation_id: str, seq: int, row: EntryRow) -> None:
    assignments = ", ".join(f"{name} = ?" for name in vars(row))
    cursor = conn.execute(
        f"UPDATE entries SET {assignments} WHERE conversation_id = ? AND seq = ?",
        (*vars(row).values(), conversation_id, seq),
    )
    if cursor.rowcount == 0:
        raise LookupError(f"conversation {conversation_id!r} has no entry {seq}")


def stop_interrupted(conn: sqlite3.Connection) -> int:
    cursor = conn.execute("UPDATE entries SET pending = 0, stopped = 1 WHERE pending = 1")
    return cursor.rowcount


def page(
    conn: sqlite3.Connection, conversation_id: str, limit: int | None, before_seq: int | None
) -> list[StoredEntry]:
    rows = conn.execute(
        PAGE_SQL,
        (
            conversation_id,
            before_seq if before_seq is not None else 2**62,
            limit if limit is not None else -1,
        ),
    ).fetchall()
    return [row_to_stored(row) for row in reversed(rows)]


def record_timings(
    conn: sqlite3.Connection,
    conversation_id: str,
    turn_seq: int,
    timings: Mapping[str, float],
    now: float,
) -> None:
    conn.execute(
        "INSERT INTO turn_timings (conversation_id, turn_seq, timings, recorded) "
        "VALUES (?, ?, ?, ?) ON CONFLICT (conversation_id, turn_seq) "
        "DO UPDATE SET timings = excluded.timings, recorded = excluded.recorded",
        (conversation_id, turn_seq, to_json(dict(timings)), now),
    )


def load_timings(conn: sqlite3.Connection, conversation_id: str) -> dict[int, dict[str, float]]:
    rows = conn.execute(
        "SELECT turn_seq, timings FROM turn_timings WHERE conversation_id = ? ORDER BY turn_seq",
        (conversation_id,),
    )
    return {row[0]: json.loads(row[1]) for row in rows}
