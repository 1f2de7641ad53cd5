"""SQL for the `conversations` table, called by the store inside its transactions.

Kept apart from `store.py` so each stays readable; nothing here opens or commits a
transaction — the caller's `BEGIN IMMEDIATE … COMMIT` makes a multi-statement change atomic.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Mapping, Sequence

from mayadesk.storage.mapping import to_json
from mayadesk.storage.records import ConversationRecord, SearchHit, UnknownConversationError
from mayadesk.storage.search_index import TextMatch, like_snippet, words

_COLUMNS = (
    "c.id, c.title, c.profile, c.phase, c.emotion, c.small_talk_turns, c.bar_state, c.created, "
    "c.updated, c.position, c.is_open, c.is_current, c.closed_at, "
    "(SELECT COALESCE(MAX(e.seq) + 1, 0) FROM entries e WHERE e.conversation_id = c.id)"
)
_UPDATABLE = frozenset({"title", "profile", "phase", "emotion", "small_talk_turns", "bar_state"})


def _record(row: sqlite3.Row) -> ConversationRecord:
    return ConversationRecord(
        id=row[0],
        title=row[1],
        profile=row[2],
        phase=row[3],
        emotion=row[4],
        small_talk_turns=row[5],
        bar_state=json.loads(row[6]),
        created=row[7],
        updated=row[8],
        position=row[9],
        is_open=bool(row[10]),
        is_current=bool(row[11]),
        closed_at=row[12],
        entry_count=row[13],
    )


def select(
    conn: sqlite3.Connection, where: str, order: str, limit: int = -1, offset: int = 0
) -> list[ConversationRecord]:
    rows = conn.execute(
        f"SELECT {_COLUMNS} FROM conversations c WHERE {where} ORDER BY {order} LIMIT ? OFFSET ?",
        (limit, offset),
    )
    return [_record(row) for row in rows]


def load_one(conn: sqlite3.Connection, conversation_id: str) -> ConversationRecord:
    row = conn.execute(
        f"SELECT {_COLUMNS} FROM conversations c WHERE c.id = ?", (conversation_id,)
    ).fetchone()
    if row is None:
        raise UnknownConversationError(conversation_id)
    return _record(row)


def upsert(conn: sqlite3.Connection, r: ConversationRecord) -> None:
    exists = conn.execute("SELECT 1 FROM conversations WHERE id = ?", (r.id,)).fetchone()
    if r.is_current and exists is None:
        conn.execute("UPDATE conversations SET is_current = 0 WHERE is_current = 1")
    conn.execute(
        """INSERT INTO conversations (id, title, profile, position, is_open, is_current,
               closed_at, created, updated, phase, emotion, small_talk_turns, bar_state)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
           ON CONFLICT (id) DO UPDATE SET title = excluded.title, profile = excluded.profile,
               updated = excluded.updated, phase = excluded.phase, emotion = excluded.emotion,
               small_talk_turns = excluded.small_talk_turns, bar_state = excluded.bar_state""",
        (
            r.id,
            r.title,
            r.profile,
            r.position,
            int(r.is_open),
            int(r.is_current),
            r.closed_at,
            r.created,
            r.updated,
            r.phase,
            r.emotion,
            r.small_talk_turns,
            to_json(r.bar_state),
        ),
    )


def touch(conn: sqlite3.Connection, conversation_id: str, now: float, **fields: object) -> None:
    """Set `updated` (and any `fields`); raise if the conversation is not there."""
    unknown = set(fields) - _UPDATABLE
    if unknown:
        raise ValueError(f"not updatable: {sorted(unknown)}")
    names = [*fields, "updated"]
    cursor = conn.execute(
        f"UPDATE conversations SET {', '.join(f'{n} = ?' for n in names)} WHERE id = ?",
        (*fields.values(), now, conversation_id),
    )
    if cursor.rowcount == 0:
        raise UnknownConversationError(conversation_id)


def update_fields(
    conn: sqlite3.Connection,
    conversation_id: str,
    fields: Mapping[str, object | None],
    now: float,
) -> None:
    touch(conn, conversation_id, now, **{k: v for k, v in fields.items() if v is not None})


def _require(conn: sqlite3.Connection, ids: Sequence[str]) -> None:
    for conversation_id in ids:
        found = conn.execute("SELECT 1 FROM conversations WHERE id = ?", (conversation_id,))
        if found.fetchone() is None:
            raise UnknownConversationError(conversation_id)


def set_open_tabs(
    conn: sqlite3.Connection, order: Sequence[str], current: str | None, now: float
) -> None:
    if len(set(order)) != len(order):
        raise ValueError("a conversation can be open in one tab only")
    if current is not None and current not in order:
        raise ValueError("the current tab must be one of the open tabs")
    _require(conn, order)
    conn.execute("UPDATE conversations SET is_current = 0 WHERE is_current = 1")
    conn.execute("UPDATE conversations SET is_open = 0, closed_at = ? WHERE is_open = 1", (now,))
    conn.executemany(
        "UPDATE conversations SET is_open = 1, closed_at = NULL, position = ?, is_current = ? "
        "WHERE id = ?",
        [(index, int(cid == current), cid) for index, cid in enumerate(order)],
    )


def close(conn: sqlite3.Connection, conversation_id: str, now: float) -> None:
    _require(conn, [conversation_id])
    conn.execute(
        "UPDATE conversations SET is_open = 0, is_current = 0, closed_at = ? "
        "WHERE id = ? AND is_open = 1",
        (now, conversation_id),
    )


def reopen(conn: sqlite3.Connection, conversation_id: str) -> None:
    _require(conn, [conversation_id])
    conn.execute("UPDATE conversations SET is_current = 0 WHERE is_current = 1")
    conn.execute(
        """UPDATE conversations SET is_open = 1, closed_at = NULL, is_current = 1,
               position = (SELECT COALESCE(MAX(position) + 1, 0) FROM conversations
                           WHERE is_open = 1 AND id != :id)
           WHERE id = :id""",
        {"id": conversation_id},
    )


def hits(
    conn: sqlite3.Connection, text: str, matches: Sequence[TextMatch], limit: int
) -> list[SearchHit]:
    """One hit per conversation: its best message match, then conversations matched by title."""
    best: dict[str, TextMatch | None] = {}
    for found in matches:
        best.setdefault(found.conversation_id, found)
    tokens = words(text)
    if tokens:
        where = " AND ".join("title LIKE ? ESCAPE '\\'" for _ in tokens)
        escaped = [t.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") for t in tokens]
        rows = conn.execute(
            f"SELECT id FROM conversations WHERE {where} ORDER BY updated DESC",
            [f"%{t}%" for t in escaped],
        )
        for row in rows:
            best.setdefault(row[0], None)
    result = []
    for conversation_id, match in list(best.items())[:limit]:
        record = load_one(conn, conversation_id)
        snippet = match.snippet if match else like_snippet(record.title, tokens[0])
        seq = match.seq if match else None
        result.append(
            SearchHit(conversation_id, record.title, snippet, seq, record.updated, record.is_open)
        )
    return result
