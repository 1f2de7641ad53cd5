"""A damaged, unreadable or foreign store never stops the app; good data is never moved."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from mayadesk.sessions.history import Message, Role
from mayadesk.storage import SCHEMA_VERSION, ConversationStore, move_aside, open_store, recovery
from tests.unit.storage.samples import rich_session, save_session

REPO = Path(__file__).resolve().parents[3]
MOVED_ASIDE = "damaged or unreadable"


def usable(store: ConversationStore) -> bool:
    """A store that takes a whole conversation and gives it back."""
    session = rich_session()
    save_session(store, session)
    return len(store.load_entries(session.id)) == len(session.entries())


def filled(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with ConversationStore(path, durable=False) as store:  # no fsync per row: it's set-up
        for _ in range(4):
            session = rich_session()
            save_session(store, session)
            for n in range(60):
                store.append_entry(session.id, Message(Role.USER, f"round {n} " * 30))


def aside(path: Path) -> list[Path]:
    return sorted(path.parent.glob(f"{path.name}.corrupt-*"))


@pytest.fixture
def warned(expected_logs: list[str]) -> None:
    expected_logs += ["can.t be used", "no fresh", "is newer", "is locked", "can.t be opened"]


@pytest.mark.usefixtures("warned")
def test_garbage_is_moved_aside(db_path: Path) -> None:
    db_path.parent.mkdir(parents=True)
    garbage = os.urandom(8192)
    db_path.write_bytes(garbage)
    store, notice = open_store(db_path)
    with store:
        assert notice is not None and MOVED_ASIDE in notice and "started a fresh one" in notice
        [moved] = aside(db_path)
        assert moved.name in notice and str(moved.parent) in notice
        assert moved.read_bytes() == garbage
        assert store.path == db_path and usable(store)


@pytest.mark.usefixtures("warned")
@pytest.mark.parametrize("keep", [0.9, 0.5, 0.02])
def test_a_truncated_file_is_moved_aside(db_path: Path, keep: float) -> None:
    filled(db_path)
    size = db_path.stat().st_size
    os.truncate(db_path, int(size * keep))
    store, notice = open_store(db_path)
    with store:
        assert notice is not None and MOVED_ASIDE in notice
        assert aside(db_path)[0].stat().st_size == int(size * keep)
        assert store.list_conversations() == [] and usable(store)


@pytest.mark.usefixtures("warned")
def test_a_directory_in_its_place_is_moved_aside_with_its_side_files(db_path: Path) -> None:
    (db_path / "something").mkdir(parents=True)
    for suffix in ("-wal", "-shm"):
        db_path.with_name(db_path.name + suffix).write_text(f"old {suffix}")
    store, notice = open_store(db_path)
    with store:
        assert notice is not None and MOVED_ASIDE in notice
        [moved] = [p for p in aside(db_path) if p.is_dir()]
        assert (moved / "something").is_dir()
        assert Path(f"{moved}-wal").read_text() == "old -wal"
        assert Path(f"{moved}-shm").read_text() == "old -shm"
        assert db_path.is_file() and usable(store)


CHILD = """
import json, sys
from pathlib import Path
from mayadesk.storage import open_store
store, notice = open_store(Path(sys.argv[1]))
print(json.dumps({"notice": notice, "memory": store.path == ":memory:"}))
"""


def test_a_file_it_may_not_read_is_moved_aside(db_path: Path) -> None:
    filled(db_path)
    db_path.chmod(0)
    # root reads anything, so the child drops the capability that lets it (setpriv)
    caps = "-dac_override,-dac_read_search"
    drop = ["setpriv", f"--inh-caps={caps}", f"--bounding-set={caps}"] if os.geteuid() == 0 else []
    done = subprocess.run(
        [*drop, sys.executable, "-c", CHILD, str(db_path)],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    answer = json.loads(done.stdout)
    assert MOVED_ASIDE in answer["notice"] and not answer["memory"], done.stderr
    [moved] = aside(db_path)
    assert moved.stat().st_mode & 0o777 == 0
    moved.chmod(0o600)
    with ConversationStore(moved) as old:  # nothing was lost: the user can still recover it
        assert len(old.list_conversations()) == 4


@pytest.mark.usefixtures("warned")
def test_no_place_to_write_means_an_in_memory_store(db_path: Path) -> None:
    db_path.parent.write_text("a file where the data directory should be")
    store, notice = open_store(db_path)
    with store:
        assert store.path == ":memory:" and usable(store)
        assert notice is not None and "won't be kept" in notice and str(db_path.parent) in notice


@pytest.mark.usefixtures("warned")
def test_a_newer_version_store_is_left_alone(db_path: Path) -> None:
    filled(db_path)
    conn = sqlite3.connect(db_path)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.close()
    before = db_path.read_bytes()
    store, notice = open_store(db_path)
    with store:
        assert store.path == ":memory:" and usable(store)
        assert notice is not None and "newer version" in notice
    assert aside(db_path) == [] and db_path.read_bytes() == before


@pytest.mark.usefixtures("warned")
def test_a_store_locked_by_someone_else_is_not_mistaken_for_damage(db_path: Path) -> None:
    filled(db_path)
    holder = sqlite3.connect(db_path, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        store, notice = open_store(db_path, busy_timeout=0.05)
        with store:
            assert store.path == ":memory:" and notice is not None
            assert "Another program" in notice
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert aside(db_path) == []
    store, notice = open_store(db_path)
    with store:
        assert notice is None and len(store.list_conversations()) == 4


def test_a_healthy_store_opens_without_a_notice(db_path: Path) -> None:
    filled(db_path)
    store, notice = open_store(db_path)
    with store:
        assert notice is None and len(store.list_conversations()) == 4
        assert store.integrity_check() == []
    assert aside(db_path) == []


def test_moving_aside_never_overwrites_an_earlier_copy(tmp_path: Path) -> None:
    path = tmp_path / "store.sqlite3"
    names = []
    for n in range(3):
        path.write_text(f"bad {n}")
        names.append(move_aside(path, now=1_767_225_600.0))
    assert len(set(names)) == 3 and [p.read_text() for p in names] == ["bad 0", "bad 1", "bad 2"]


@pytest.mark.usefixtures("warned")
@pytest.mark.parametrize("error", ["SQLITE_FULL", "SQLITE_IOERR_READ"])
def test_a_failing_disk_is_not_blamed_on_the_file(
    db_path: Path, monkeypatch: pytest.MonkeyPatch, error: str
) -> None:
    filled(db_path)
    real = recovery.ConversationStore

    def disk_says_no(path: Path | str, **options: object) -> ConversationStore:
        if path == ":memory:":
            return real(path)
        failure = sqlite3.OperationalError("database or disk is full")
        failure.sqlite_errorname = error  # what SQLite itself would set
        raise failure

    monkeypatch.setattr(recovery, "ConversationStore", disk_says_no)
    store, notice = open_store(db_path)
    with store:
        assert store.path == ":memory:" and usable(store)
        assert notice is not None and "left as they are" in notice and "disk is full" in notice
    assert aside(db_path) == []
