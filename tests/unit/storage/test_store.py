"""The store's API: conversations, tab layout, entries, paging, timings and deletion."""

from __future__ import annotations

import sqlite3
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from mayadesk.sessions.history import Emotion, Message, Role
from mayadesk.sessions.session import Session
from mayadesk.storage import ConversationStore, UnknownConversationError, session_to_record
from mayadesk.storage.entries import PAGE_SQL
from tests.unit.storage.conftest import Clock
from tests.unit.storage.samples import T0, rich_session, save_session


def new_conversation(store: ConversationStore, title: str) -> str:
    session = Session()
    store.save_conversation(session_to_record(session, title=title, created=T0, updated=T0))
    return session.id


def test_appended_entry_is_committed_when_append_returns(store: ConversationStore) -> None:
    cid = new_conversation(store, "Committed")
    seq = store.append_entry(cid, Message(Role.USER, "One old fashioned."))
    other = sqlite3.connect(str(store.path))  # a second connection only sees committed data
    rows = other.execute("SELECT seq, text FROM entries WHERE conversation_id = ?", (cid,))
    assert rows.fetchall() == [(seq, "One old fashioned.")]
    other.close()


def test_everything_survives_closing_and_reopening(db_path: Path, clock: Clock) -> None:
    db_path.parent.mkdir(parents=True)
    session = rich_session()
    with ConversationStore(db_path, clock=clock) as store:
        seqs = save_session(store, session)
        store.set_open_tabs([session.id], session.id)
    with ConversationStore(db_path, clock=clock) as store:
        [record] = store.load_open_conversations()
        entries = store.load_entries(session.id)
    assert seqs == list(range(len(session.entries())))
    assert record.id == session.id and record.is_current and record.entry_count == len(seqs)
    assert [e.entry for e in entries] == list(session.entries())


def test_seqs_count_per_conversation(store: ConversationStore) -> None:
    a, b = new_conversation(store, "A"), new_conversation(store, "B")
    seqs = [store.append_entry(cid, Message(Role.USER, "hi")) for cid in (a, b, a, a, b)]
    assert seqs == [0, 0, 1, 2, 1]


def test_updates_change_only_what_is_named(store: ConversationStore, clock: Clock) -> None:
    cid = new_conversation(store, "Before")
    store.update_conversation(cid, title="After", emotion=Emotion.UPSET.value)
    store.replace_bar_state(cid, {"version": 1, "changed": True})
    record = store.load_conversation(cid)
    assert (record.title, record.emotion, record.profile, record.phase) == (
        "After",
        "upset",
        "default",
        "greeting",
    )
    assert record.bar_state == {"version": 1, "changed": True}
    assert record.updated == clock.now and record.created == T0


def test_saving_again_keeps_the_tab_layout(store: ConversationStore) -> None:
    session = Session()
    store.save_conversation(session_to_record(session, title="One"))
    store.set_open_tabs([session.id], session.id)
    store.save_conversation(session_to_record(session, title="Renamed"))
    record = store.load_conversation(session.id)
    assert (record.title, record.is_open, record.is_current, record.position) == (
        "Renamed",
        True,
        True,
        0,
    )


def test_open_tabs_come_back_in_order_with_the_current_one(store: ConversationStore) -> None:
    ids = [new_conversation(store, f"Tab {n}") for n in range(4)]
    store.set_open_tabs([ids[2], ids[0], ids[3], ids[1]], current=ids[3])
    tabs = store.load_open_conversations()
    assert [t.id for t in tabs] == [ids[2], ids[0], ids[3], ids[1]]
    assert [t.is_current for t in tabs] == [False, False, True, False]
    store.set_open_tabs([ids[1], ids[2]], current=ids[1])
    assert [(t.id, t.is_current) for t in store.load_open_conversations()] == [
        (ids[1], True),
        (ids[2], False),
    ]
    assert {r.id for r in store.recently_closed()} == {ids[0], ids[3]}


def test_closed_tabs_come_back_last_closed_first(store: ConversationStore) -> None:
    ids = [new_conversation(store, f"Tab {n}") for n in range(4)]
    store.set_open_tabs(ids, current=ids[0])
    store.close_conversation(ids[1])
    store.close_conversation(ids[3])
    store.set_open_tabs([ids[2]], current=ids[2])  # closes the first tab too
    assert [r.id for r in store.recently_closed()] == [ids[0], ids[3], ids[1]]
    assert [r.id for r in store.recently_closed(limit=1)] == [ids[0]]
    reopened = store.reopen(ids[3])
    assert (reopened.is_open, reopened.is_current, reopened.closed_at) == (True, True, None)
    assert [(t.id, t.is_current) for t in store.load_open_conversations()] == [
        (ids[2], False),
        (ids[3], True),
    ]
    assert [r.id for r in store.recently_closed()] == [ids[0], ids[1]]


def test_tab_layout_is_checked_before_anything_changes(store: ConversationStore) -> None:
    a = new_conversation(store, "A")
    store.set_open_tabs([a], a)
    with pytest.raises(UnknownConversationError):
        store.set_open_tabs([a, "gone"], a)
    with pytest.raises(ValueError, match="one tab only"):
        store.set_open_tabs([a, a], a)
    with pytest.raises(ValueError, match="current tab"):
        store.set_open_tabs([a], "elsewhere")
    assert [(t.id, t.is_current) for t in store.load_open_conversations()] == [(a, True)]


def test_unknown_conversations_are_refused(store: ConversationStore) -> None:
    calls = [
        lambda: store.append_entry("nope", Message(Role.USER, "hi")),
        lambda: store.update_conversation("nope", title="x"),
        lambda: store.replace_bar_state("nope", {}),
        lambda: store.load_conversation("nope"),
        lambda: store.reopen("nope"),
        lambda: store.close_conversation("nope"),
        lambda: store.export_json("nope"),
    ]
    for call in calls:
        with pytest.raises(UnknownConversationError, match="nope"):
            call()
    assert store.delete_conversation("nope") is False


def test_a_long_conversation_loads_its_last_page_first(store: ConversationStore) -> None:
    cid = new_conversation(store, "Long")
    for n in range(200):
        store.append_entry(cid, Message(Role.USER, f"message {n}"))
    last = store.load_entries(cid, limit=50)
    earlier = store.load_entries(cid, limit=50, before_seq=last[0].seq)
    assert [e.seq for e in last] == list(range(150, 200))
    assert [e.seq for e in earlier] == list(range(100, 150))
    assert earlier[-1].entry == Message(Role.USER, "message 149", created=earlier[-1].entry.created)
    assert len(store.load_entries(cid)) == 200
    assert store.load_entries(cid, limit=50, before_seq=0) == []


def test_paging_reads_through_the_index(store: ConversationStore) -> None:
    plan = store._conn.execute(f"EXPLAIN QUERY PLAN {PAGE_SQL}", ("x", 10, 5)).fetchall()
    details = " | ".join(row[-1] for row in plan)
    assert "(conversation_id=? AND seq<?)" in details and "TEMP B-TREE" not in details, details


def test_a_reply_cut_off_by_a_crash_comes_back_stopped(store: ConversationStore) -> None:
    cid = new_conversation(store, "Streaming")
    draft = Message(Role.MAYA, "Coming", emotion=Emotion.HAPPY)
    seq = store.append_entry(cid, draft, voice="cartesia", pending=True)
    grown = Message(Role.MAYA, "Coming right up", created=draft.created, emotion=Emotion.HAPPY)
    store.update_entry(cid, seq, grown, voice="cartesia", pending=True)
    done = store.append_entry(cid, Message(Role.MAYA, "Complete."))
    assert store.stop_interrupted_replies() == 1
    restored = store.load_entries(cid)
    assert restored[0].entry == Message(
        Role.MAYA, "Coming right up", created=draft.created, emotion=Emotion.HAPPY, stopped=True
    )
    assert (restored[0].pending, restored[0].voice, restored[1].seq) == (False, "cartesia", done)
    assert store.stop_interrupted_replies() == 0
    with pytest.raises(LookupError, match="no entry 9"):
        store.update_entry(cid, 9, grown)


def test_turn_timings_are_kept_per_turn(store: ConversationStore) -> None:
    cid = new_conversation(store, "Timed")
    store.record_turn_timings(cid, 0, {"first_token": 0.41, "first_audio": 0.72})
    store.record_turn_timings(cid, 1, {"first_token": 0.3})
    store.record_turn_timings(cid, 1, {"first_token": 0.35, "total": 2.0})
    assert store.load_turn_timings(cid) == {
        0: {"first_token": 0.41, "first_audio": 0.72},
        1: {"first_token": 0.35, "total": 2.0},
    }


def test_deleting_removes_every_trace(store: ConversationStore, db_path: Path) -> None:
    keep, gone = rich_session(), rich_session()
    save_session(store, keep, "Kept")
    save_session(store, gone, "Gone")
    store.append_entry(gone.id, Message(Role.USER, "my secret word is zanzibarquux"))
    store.record_turn_timings(gone.id, 0, {"first_token": 0.5})
    store.set_open_tabs([keep.id, gone.id], keep.id)
    assert store.delete_conversation(gone.id) is True
    conn = store._conn
    for table in ("conversations", "entries", "turn_timings"):
        column = "id" if table == "conversations" else "conversation_id"
        count = conn.execute(f"SELECT COUNT(*) FROM {table} WHERE {column} = ?", (gone.id,))
        assert count.fetchone()[0] == 0, table
    assert store.search("zanzibarquux") == []
    assert [h.conversation_id for h in store.search("martinis")] == [keep.id]
    assert store.integrity_check() == []
    on_disk = b"".join(
        p.read_bytes() for p in db_path.parent.iterdir() if p.name.startswith(db_path.name)
    )
    assert b"zanzibarquux" not in on_disk and b"zanzibar" not in on_disk
    assert b"Two dry martinis" in on_disk  # the kept conversation is really there to find


def test_the_writer_thread_can_use_a_store_opened_elsewhere(store: ConversationStore) -> None:
    cid = new_conversation(store, "Threads")
    with ThreadPoolExecutor(1, thread_name_prefix="store-writer") as writer:
        seqs = [
            writer.submit(store.append_entry, cid, Message(Role.USER, str(n))) for n in range(5)
        ]
        assert [f.result() for f in seqs] == [0, 1, 2, 3, 4]
    texts = [e.entry.text for e in store.load_entries(cid) if isinstance(e.entry, Message)]
    assert texts == ["0", "1", "2", "3", "4"]


def test_the_history_panel_lists_everything_newest_first(store: ConversationStore) -> None:
    a, b, c = (new_conversation(store, t) for t in "ABC")
    store.append_entry(a, Message(Role.USER, "latest"))
    assert [r.id for r in store.list_conversations()] == [a, c, b]
    assert [r.id for r in store.list_conversations(limit=1, offset=1)] == [c]
