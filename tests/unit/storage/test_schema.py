"""Schema versioning: every shipped version migrates to the latest, and steps are atomic."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

import pytest

from mayadesk.bar.state import BarState
from mayadesk.sessions.history import Emotion, Message, Role, ToolExchange
from mayadesk.storage import SCHEMA_VERSION, ConversationStore, NewerSchemaError, restore_session
from mayadesk.storage.schema import MIGRATIONS, Migration, migrate, schema_version, sql_step

SHIPPED = Path(__file__).parent / "shipped"
V1_ID = "0f3c1a5e9b7d4c2a8e6f1b3d5a7c9e01"


def shipped_versions() -> list[int]:
    return sorted(
        int(m[1]) for p in SHIPPED.glob("v*.sql") if (m := re.match(r"v(\d+)\.sql$", p.name))
    )


def _autocommit(path: Path | str) -> sqlite3.Connection:
    return sqlite3.connect(str(path), isolation_level=None)


def _schema(conn: sqlite3.Connection) -> set[str]:
    rows = conn.execute(
        "SELECT sql FROM sqlite_master WHERE sql IS NOT NULL AND name NOT LIKE 'entries_fts%'"
    )
    return {" ".join(row[0].split()) for row in rows}


def _statements(path: Path) -> list[str]:
    text = "\n".join(line for line in path.read_text().splitlines() if not line.startswith("--"))
    return [s.strip() for s in text.split(";\n") if s.strip()]


def build_shipped(path: Path, version: int) -> None:
    """A database as MayaDesk at `version` left it: that version's schema and sample rows."""
    conn = _autocommit(path)
    try:
        if version == 0:
            return  # version 0: no MayaDesk ever wrote to it (the file is empty)
        for statement in _statements(SHIPPED / f"v{version}.sql"):
            conn.execute(statement)
        data = SHIPPED / f"v{version}_data.sql"
        for statement in _statements(data) if data.exists() else []:
            conn.execute(statement)
        conn.execute(f"PRAGMA user_version = {version}")
    finally:
        conn.close()


def test_every_schema_version_has_a_shipped_snapshot() -> None:
    # Adding a migration means freezing its schema here, so the next one is tested from it.
    assert shipped_versions() == list(range(1, SCHEMA_VERSION + 1))


@pytest.mark.parametrize("version", range(1, SCHEMA_VERSION + 1))
def test_migrations_still_build_each_shipped_schema(tmp_path: Path, version: int) -> None:
    built = _autocommit(tmp_path / "built.sqlite3")
    migrate(built, MIGRATIONS[:version])
    frozen = _autocommit(tmp_path / "frozen.sqlite3")
    build_shipped(tmp_path / "frozen.sqlite3", version)
    assert _schema(built) == _schema(frozen), "a shipped migration was edited"
    built.close()
    frozen.close()


@pytest.mark.parametrize("version", [0, *shipped_versions()])
def test_each_earlier_version_migrates_to_the_latest(tmp_path: Path, version: int) -> None:
    path = tmp_path / "old.sqlite3"
    path.touch()
    build_shipped(path, version)
    with ConversationStore(path) as store:
        assert store.migrated_from == version
        assert schema_version(store._conn) == SCHEMA_VERSION
        assert store.integrity_check() == []
        if version == 0:
            assert store.list_conversations() == []
            return
        [record] = store.load_open_conversations()
        entries = store.load_entries(V1_ID)
        session = restore_session(record, entries)
        hits = store.search("martinis")
    assert (record.title, record.is_current, record.entry_count) == ("Two dry martinis", True, 5)
    assert [type(e.entry) for e in entries] == [Message, ToolExchange, Message, Message, Message]
    exchange = entries[1].entry
    assert isinstance(exchange, ToolExchange) and exchange.calls[0].signature == "c2lnbmF0dXJl"
    assert entries[2].voice == "cartesia"
    assert entries[4].entry == Message(
        Role.MAYA, "You're too kind—", 1767225104.0, emotion=Emotion.HAPPY, stopped=True
    )
    assert BarState.from_dict(record.bar_state).snapshot().total_cents == 2990
    assert (session.phase.value, session.emotion.value, session.small_talk_turns) == (
        "small_talk",
        "mixing",
        2,
    )
    assert [h.conversation_id for h in hits] == [V1_ID]


def _recording(log: list[tuple[int, bool, int]], step: Migration) -> Migration:
    def apply(conn: sqlite3.Connection) -> None:
        log.append((step.version, conn.in_transaction, schema_version(conn)))
        step.apply(conn)

    return Migration(step.version, step.description, apply)


FAKE_V2 = sql_step(
    2,
    "pinned conversations",
    "ALTER TABLE conversations ADD COLUMN pinned INTEGER NOT NULL DEFAULT 0",
    "CREATE INDEX conversations_pinned ON conversations (pinned) WHERE pinned = 1",
)


def test_steps_run_in_order_each_inside_a_transaction(tmp_path: Path) -> None:
    log: list[tuple[int, bool, int]] = []
    steps = [_recording(log, m) for m in (*MIGRATIONS, FAKE_V2)]
    conn = _autocommit(tmp_path / "store.sqlite3")
    assert migrate(conn, steps) == 0
    assert log == [(1, True, 0), (2, True, 1)]
    assert schema_version(conn) == 2 and not conn.in_transaction
    assert migrate(conn, steps) == 2 and len(log) == 2  # nothing left to do
    conn.close()


def test_a_fake_v2_carries_shipped_v1_rows_forward(tmp_path: Path) -> None:
    path = tmp_path / "v1.sqlite3"
    build_shipped(path, 1)
    conn = _autocommit(path)
    assert migrate(conn, (*MIGRATIONS, FAKE_V2)) == 1
    rows = conn.execute("SELECT id, title, pinned FROM conversations").fetchall()
    assert rows == [(V1_ID, "Two dry martinis", 0)]
    assert conn.execute("SELECT COUNT(*) FROM entries").fetchone()[0] == 5
    conn.close()


def test_a_failing_step_leaves_the_previous_version_untouched(tmp_path: Path) -> None:
    def half_done(conn: sqlite3.Connection) -> None:
        conn.execute("CREATE TABLE favourites (drink TEXT)")
        conn.execute("UPDATE conversations SET title = 'changed'")
        raise RuntimeError("power cut, as far as this step knows")

    path = tmp_path / "v1.sqlite3"
    build_shipped(path, 1)
    conn = _autocommit(path)
    with pytest.raises(RuntimeError, match="power cut"):
        migrate(conn, (*MIGRATIONS, Migration(2, "breaks", half_done)))
    assert schema_version(conn) == 1 and not conn.in_transaction
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert "favourites" not in tables
    assert conn.execute("SELECT title FROM conversations").fetchone()[0] == "Two dry martinis"
    assert migrate(conn, (*MIGRATIONS, FAKE_V2)) == 1  # the next start tries again
    assert schema_version(conn) == 2
    conn.close()


def test_a_newer_schema_is_refused_untouched(tmp_path: Path) -> None:
    path = tmp_path / "future.sqlite3"
    conn = _autocommit(path)
    conn.execute("CREATE TABLE future_things (x)")
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.close()
    with pytest.raises(NewerSchemaError) as caught:
        ConversationStore(path)
    assert (caught.value.found, caught.value.known) == (SCHEMA_VERSION + 1, SCHEMA_VERSION)
    conn = _autocommit(path)
    assert schema_version(conn) == SCHEMA_VERSION + 1
    assert conn.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()[0] == 1
    conn.close()


def test_misnumbered_migrations_are_a_programming_error(tmp_path: Path) -> None:
    conn = _autocommit(tmp_path / "x.sqlite3")
    with pytest.raises(ValueError, match="numbered 3"):
        migrate(conn, (*MIGRATIONS, sql_step(3, "skips two")))
    assert schema_version(conn) == 0
    conn.close()
