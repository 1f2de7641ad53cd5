"""Search over message text: an FTS5 index when this SQLite has one, LIKE when it doesn't.

The index is derived from `entries` (an external-content FTS5 table kept in step by
triggers), so it lives outside the versioned schema: a store opened by a Python whose SQLite
lacks FTS5 drops the triggers (writes must keep working) and searches with LIKE; the next
start with FTS5 recreates whatever is missing and rebuilds the index from `entries`.
Every entry has an index row so FTS5's own check can compare index and table, but a tool
exchange's `text` is empty: tool calls are for the model, not for a person searching.
"""

from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass

FTS_TABLE = "entries_fts"
MARK_OPEN = "«"
MARK_CLOSE = "»"
_ELLIPSIS = "…"
_TRIGGERS = ("entries_fts_insert", "entries_fts_delete", "entries_fts_update")
_WORD = re.compile(r"\w+", re.UNICODE)
_FETCH_LIMIT = 2000

_CREATE_TABLE = (
    f"CREATE VIRTUAL TABLE {FTS_TABLE} USING fts5("
    "text, content='entries', content_rowid='id', tokenize='unicode61 remove_diacritics 2')"
)
_CREATE_TRIGGERS = (
    f"""CREATE TRIGGER entries_fts_insert AFTER INSERT ON entries
    BEGIN INSERT INTO {FTS_TABLE} (rowid, text) VALUES (new.id, new.text); END""",
    f"""CREATE TRIGGER entries_fts_delete AFTER DELETE ON entries
    BEGIN INSERT INTO {FTS_TABLE} ({FTS_TABLE}, rowid, text)
          VALUES ('delete', old.id, old.text); END""",
    f"""CREATE TRIGGER entries_fts_update AFTER UPDATE OF text ON entries
    BEGIN INSERT INTO {FTS_TABLE} ({FTS_TABLE}, rowid, text)
          VALUES ('delete', old.id, old.text);
          INSERT INTO {FTS_TABLE} (rowid, text) VALUES (new.id, new.text); END""",
)


@dataclass(frozen=True)
class TextMatch:
    """One matching message: where it is, and a short piece of text around the match."""

    conversation_id: str
    seq: int
    snippet: str


def fts5_available(conn: sqlite3.Connection) -> bool:
    """Whether this SQLite was built with FTS5 (Python's bundled builds normally are)."""
    options = {row[0] for row in conn.execute("PRAGMA compile_options")}
    return "ENABLE_FTS5" in options


def _names(conn: sqlite3.Connection, kind: str) -> set[str]:
    rows = conn.execute("SELECT name FROM sqlite_master WHERE type = ?", (kind,))
    return {row[0] for row in rows}


def ensure_search_index(conn: sqlite3.Connection, use_fts: bool | None = None) -> bool:
    """Make the index match what this SQLite can do; return whether FTS5 is in use.

    `use_fts=None` decides from the compile options; tests pass False to take the LIKE path.
    Runs in its own transaction; a rebuild reads every message once (only after a gap).
    """
    wanted = fts5_available(conn) if use_fts is None else use_fts
    conn.execute("BEGIN IMMEDIATE")
    try:
        triggers = _names(conn, "trigger")
        if not wanted:
            for name in _TRIGGERS:
                if name in triggers:
                    conn.execute(f"DROP TRIGGER {name}")
        elif FTS_TABLE not in _names(conn, "table") or not triggers.issuperset(_TRIGGERS):
            if FTS_TABLE not in _names(conn, "table"):
                conn.execute(_CREATE_TABLE)
            for name, statement in zip(_TRIGGERS, _CREATE_TRIGGERS, strict=True):
                if name not in triggers:
                    conn.execute(statement)
            conn.execute(f"INSERT INTO {FTS_TABLE} ({FTS_TABLE}) VALUES ('rebuild')")
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    return wanted


def words(text: str) -> list[str]:
    return _WORD.findall(text)


def fts_query(text: str) -> str | None:
    """The user's words as an FTS5 query: every word must appear, as a word or its prefix.

    Each word is quoted, so FTS5 syntax characters in what the user typed are plain text.
    """
    tokens = words(text)
    if not tokens:
        return None
    return " ".join('"' + token.replace('"', '""') + '"*' for token in tokens)


def search_fts(conn: sqlite3.Connection, text: str) -> list[TextMatch]:
    """Matching messages, best first (bm25), with the match marked « »."""
    query = fts_query(text)
    if query is None:
        return []
    rows = conn.execute(
        f"""SELECT e.conversation_id, e.seq,
                   snippet({FTS_TABLE}, 0, ?, ?, ?, 12)
            FROM {FTS_TABLE} JOIN entries e ON e.id = {FTS_TABLE}.rowid
            WHERE {FTS_TABLE} MATCH ? ORDER BY rank LIMIT ?""",
        (MARK_OPEN, MARK_CLOSE, _ELLIPSIS, query, _FETCH_LIMIT),
    )
    return [TextMatch(row[0], row[1], row[2]) for row in rows]


def _escape_like(token: str) -> str:
    return token.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def like_snippet(text: str, token: str, width: int = 40) -> str:
    """A piece of `text` around the first `token`, marked like FTS5's snippet."""
    at = text.lower().find(token.lower())
    if at < 0:
        return text[: width * 2]
    start, end = max(at - width, 0), min(at + len(token) + width, len(text))
    return (
        (_ELLIPSIS if start else "")
        + text[start:at]
        + MARK_OPEN
        + text[at : at + len(token)]
        + MARK_CLOSE
        + text[at + len(token) : end]
        + (_ELLIPSIS if end < len(text) else "")
    )


def search_like(conn: sqlite3.Connection, text: str) -> list[TextMatch]:
    """The fallback: every word as a substring (case-insensitive for ASCII), newest first."""
    tokens = words(text)
    if not tokens:
        return []
    where = " AND ".join("text LIKE ? ESCAPE '\\'" for _ in tokens)
    rows = conn.execute(
        f"""SELECT conversation_id, seq, text FROM entries
            WHERE kind = 'message' AND {where} ORDER BY created DESC LIMIT ?""",
        (*(f"%{_escape_like(t)}%" for t in tokens), _FETCH_LIMIT),
    )
    return [TextMatch(row[0], row[1], like_snippet(row[2], tokens[0])) for row in rows]


def optimize(conn: sqlite3.Connection) -> None:
    """Merge the index's segments, which drops the tokens of deleted messages for good."""
    if FTS_TABLE in _names(conn, "table") and "entries_fts_delete" in _names(conn, "trigger"):
        conn.execute(f"INSERT INTO {FTS_TABLE} ({FTS_TABLE}) VALUES ('optimize')")


def check(conn: sqlite3.Connection) -> list[str]:
    """FTS5's own consistency check of the index against `entries`; problems, or []."""
    if "entries_fts_insert" not in _names(conn, "trigger"):
        return []
    try:
        conn.execute(f"INSERT INTO {FTS_TABLE} ({FTS_TABLE}, rank) VALUES ('integrity-check', 1)")
    except sqlite3.DatabaseError as exc:
        return [f"search index: {exc}"]
    return []
