"""The store's schema as an ordered list of migrations, numbered by `PRAGMA user_version`.

A shipped migration is never edited: a database written by an older MayaDesk carries that
older schema, and only the steps after its version may run on it. A new schema version is one
more `Migration` appended to `MIGRATIONS`. Each step runs in its own `BEGIN IMMEDIATE`
transaction together with the `user_version` bump, so a crash or an error mid-step leaves the
database at the previous version, unchanged, and the next start simply tries again.

The full-text index is not part of the versioned schema: it is derived data that depends on
whether this SQLite has FTS5, so `search_index` creates or rebuilds it after migrating.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass


class NewerSchemaError(RuntimeError):
    """The database was written by a newer MayaDesk; this one must not touch it."""

    def __init__(self, found: int, known: int) -> None:
        super().__init__(f"database schema version {found} is newer than this app's {known}")
        self.found = found
        self.known = known


@dataclass(frozen=True)
class Migration:
    """One schema step: `apply` brings a version `version - 1` database to `version`.

    `apply` runs inside the transaction; it must not commit (so no `executescript`, which
    commits first on Python 3.11).
    """

    version: int
    description: str
    apply: Callable[[sqlite3.Connection], None]


def sql_step(version: int, description: str, *statements: str) -> Migration:
    """A migration made of plain SQL statements, executed one by one in order."""

    def apply(conn: sqlite3.Connection) -> None:
        for statement in statements:
            conn.execute(statement)

    return Migration(version, description, apply)


_V1 = sql_step(
    1,
    "conversations, entries and per-turn timings",
    """
    CREATE TABLE conversations (
        id               TEXT PRIMARY KEY,
        title            TEXT NOT NULL,
        profile          TEXT NOT NULL,
        position         INTEGER,
        is_open          INTEGER NOT NULL DEFAULT 1 CHECK (is_open IN (0, 1)),
        is_current       INTEGER NOT NULL DEFAULT 0 CHECK (is_current IN (0, 1)),
        closed_at        REAL,
        created          REAL NOT NULL,
        updated          REAL NOT NULL,
        phase            TEXT NOT NULL,
        emotion          TEXT NOT NULL,
        small_talk_turns INTEGER NOT NULL DEFAULT 0,
        bar_state        TEXT NOT NULL
    )
    """,
    "CREATE UNIQUE INDEX conversations_one_current ON conversations (is_current)"
    " WHERE is_current = 1",
    "CREATE INDEX conversations_tabs ON conversations (is_open, position)",
    "CREATE INDEX conversations_closed ON conversations (closed_at) WHERE closed_at IS NOT NULL",
    "CREATE INDEX conversations_updated ON conversations (updated)",
    """
    CREATE TABLE entries (
        id              INTEGER PRIMARY KEY,
        conversation_id TEXT NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
        seq             INTEGER NOT NULL,
        kind            TEXT NOT NULL CHECK (kind IN ('message', 'tool_exchange')),
        role            TEXT,
        message_kind    TEXT,
        text            TEXT NOT NULL DEFAULT '',
        emotion         TEXT,
        created         REAL NOT NULL,
        voice           TEXT,
        stopped         INTEGER NOT NULL DEFAULT 0 CHECK (stopped IN (0, 1)),
        failed          INTEGER NOT NULL DEFAULT 0 CHECK (failed IN (0, 1)),
        pending         INTEGER NOT NULL DEFAULT 0 CHECK (pending IN (0, 1)),
        tool_calls      TEXT,
        tool_results    TEXT,
        UNIQUE (conversation_id, seq)
    )
    """,
    "CREATE INDEX entries_pending ON entries (pending) WHERE pending = 1",
    """
    CREATE TABLE turn_timings (
        conversation_id TEXT NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
        turn_seq        INTEGER NOT NULL,
        timings         TEXT NOT NULL,
        recorded        REAL NOT NULL,
        PRIMARY KEY (conversation_id, turn_seq)
    ) WITHOUT ROWID
    """,
)

MIGRATIONS: tuple[Migration, ...] = (_V1,)
SCHEMA_VERSION = len(MIGRATIONS)


def schema_version(conn: sqlite3.Connection) -> int:
    version: int = conn.execute("PRAGMA user_version").fetchone()[0]
    return version


def _check_numbering(migrations: Sequence[Migration]) -> None:
    for index, migration in enumerate(migrations, start=1):
        if migration.version != index:
            raise ValueError(f"migration #{index} is numbered {migration.version}")


def migrate(conn: sqlite3.Connection, migrations: Sequence[Migration] = MIGRATIONS) -> int:
    """Bring the database up to the last migration's version; return the version it had.

    The connection must be in autocommit mode (`isolation_level=None`) so that the explicit
    transactions here are the only ones. The version is re-read inside each transaction, so
    two processes racing to migrate cannot both apply a step.
    """
    _check_numbering(migrations)
    known = len(migrations)
    started = schema_version(conn)
    if started > known:
        raise NewerSchemaError(started, known)
    while True:
        conn.execute("BEGIN IMMEDIATE")
        try:
            current = schema_version(conn)
            if current > known:
                raise NewerSchemaError(current, known)
            if current == known:
                conn.execute("COMMIT")
                return started
            step = migrations[current]
            step.apply(conn)
            conn.execute(f"PRAGMA user_version = {step.version:d}")
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
