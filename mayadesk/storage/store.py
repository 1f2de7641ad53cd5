"""The conversation store: one SQLite file (WAL) with every tab's metadata, entries and timings.

Every call blocks and commits before it returns, so "returned" means "on disk" (with
`durable=True`, synchronous=FULL: even a power cut keeps it). The app calls the store from one
dedicated writer thread, never the UI thread; a lock still serialises calls, so a stray call
from elsewhere is safe, only slow. Corrupt or unreadable files are handled by
`recovery.open_store`, which is how the app should open the store.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from mayadesk.sessions.history import Entry
from mayadesk.storage import conversations, entries, export, search_index
from mayadesk.storage.mapping import entry_to_row, to_json
from mayadesk.storage.records import ConversationRecord, SearchHit, StoredEntry
from mayadesk.storage.schema import migrate


def connect(
    path: Path | str, *, durable: bool = True, busy_timeout: float = 5.0
) -> sqlite3.Connection:
    """A connection set up the way the store needs it (autocommit: we open transactions)."""
    conn = sqlite3.connect(
        str(path), isolation_level=None, check_same_thread=False, timeout=busy_timeout
    )
    try:
        conn.row_factory = sqlite3.Row
        conn.execute("PRAGMA journal_mode = WAL").fetchone()
        conn.execute(f"PRAGMA synchronous = {'FULL' if durable else 'NORMAL'}")
        conn.execute("PRAGMA foreign_keys = ON")
        conn.execute("PRAGMA secure_delete = ON")
    except BaseException:
        conn.close()
        raise
    return conn


class ConversationStore:
    """Conversations, their entries, tab layout and turn timings, in one SQLite database.

    `use_fts=None` uses FTS5 when this SQLite has it; False forces the LIKE fallback.
    `clock` gives the times written as `updated` and `closed_at` (tests pass their own);
    `busy_timeout` is how long to wait for another connection's write lock before failing.
    """

    def __init__(
        self,
        path: Path | str,
        *,
        durable: bool = True,
        use_fts: bool | None = None,
        clock: Callable[[], float] = time.time,
        busy_timeout: float = 5.0,
    ) -> None:
        self.path = path
        self._clock = clock
        self._lock = threading.Lock()
        self._conn = connect(path, durable=durable, busy_timeout=busy_timeout)
        try:
            self.migrated_from = migrate(self._conn)
            self.uses_fts = search_index.ensure_search_index(self._conn, use_fts)
        except BaseException:
            self._conn.close()
            raise

    # -- plumbing ----------------------------------------------------------------------------

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._conn
                self._conn.execute("COMMIT")
            except BaseException:
                if self._conn.in_transaction:
                    self._conn.execute("ROLLBACK")
                raise

    @contextmanager
    def _read(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            yield self._conn

    def close(self) -> None:
        """Close the connection; SQLite checkpoints the WAL into the file on the last close."""
        with self._lock:
            self._conn.close()

    def __enter__(self) -> ConversationStore:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- conversations -----------------------------------------------------------------------

    def save_conversation(self, record: ConversationRecord) -> None:
        """Insert a conversation, or update its title, profile, phase, mood and bar.

        The tab layout fields of an existing conversation are left alone (they change through
        `set_open_tabs`, `close_conversation` and `reopen`).
        """
        with self._write() as conn:
            conversations.upsert(conn, record)

    def update_conversation(
        self,
        conversation_id: str,
        *,
        title: str | None = None,
        profile: str | None = None,
        phase: str | None = None,
        emotion: str | None = None,
        small_talk_turns: int | None = None,
    ) -> None:
        """Change only the given fields (a rename, a profile switch, a new phase or mood)."""
        fields = {
            "title": title,
            "profile": profile,
            "phase": phase,
            "emotion": emotion,
            "small_talk_turns": small_talk_turns,
        }
        with self._write() as conn:
            conversations.update_fields(conn, conversation_id, fields, self._clock())

    def replace_bar_state(self, conversation_id: str, bar_state: Mapping[str, Any]) -> None:
        """Store the tab's order/bill/balance (`BarState.to_dict()`, taken under its lock)."""
        with self._write() as conn:
            conversations.touch(conn, conversation_id, self._clock(), bar_state=to_json(bar_state))

    def load_conversation(self, conversation_id: str) -> ConversationRecord:
        with self._read() as conn:
            return conversations.load_one(conn, conversation_id)

    def load_open_conversations(self) -> list[ConversationRecord]:
        """The tabs that were open, in tab order; `is_current` marks the one in front."""
        with self._read() as conn:
            return conversations.select(
                conn, "c.is_open = 1", "c.position IS NULL, c.position, c.created"
            )

    def recently_closed(self, limit: int = 25) -> list[ConversationRecord]:
        """Closed tabs, most recently closed first (what Ctrl+Shift+T and its menu offer)."""
        with self._read() as conn:
            return conversations.select(
                conn,
                "c.is_open = 0 AND c.closed_at IS NOT NULL",
                "c.closed_at DESC, c.position DESC",
                limit,
            )

    def list_conversations(self, limit: int = 100, offset: int = 0) -> list[ConversationRecord]:
        """Every conversation, most recently active first (the History panel)."""
        with self._read() as conn:
            return conversations.select(conn, "1", "c.updated DESC", limit, offset)

    # -- tabs --------------------------------------------------------------------------------

    def set_open_tabs(self, order: Sequence[str], current: str | None) -> None:
        """Record the window's tabs: these ids are open, in this order, `current` in front.

        Conversations that were open and are not in `order` become "recently closed" now.
        Call it when tabs open, close or move — not while the window closes at quit, or every
        tab would count as closed.
        """
        with self._write() as conn:
            conversations.set_open_tabs(conn, order, current, self._clock())

    def close_conversation(self, conversation_id: str) -> None:
        """One tab closed: it moves to "recently closed", the other tabs stay as they are."""
        with self._write() as conn:
            conversations.close(conn, conversation_id, self._clock())

    def reopen(self, conversation_id: str) -> ConversationRecord:
        """Open a closed conversation again as the last tab, in front; return its record."""
        with self._write() as conn:
            conversations.reopen(conn, conversation_id)
            return conversations.load_one(conn, conversation_id)

    def delete_conversation(self, conversation_id: str) -> bool:
        """Remove a conversation for good; False if there was none.

        Its entries, timings and search-index tokens go too, and the WAL is checkpointed, so
        the deleted text is not left readable in the file (secure_delete zeroes freed pages).
        """
        with self._write() as conn:
            conn.execute("DELETE FROM entries WHERE conversation_id = ?", (conversation_id,))
            cursor = conn.execute("DELETE FROM conversations WHERE id = ?", (conversation_id,))
            deleted = cursor.rowcount > 0
            search_index.optimize(conn)
        with self._read() as conn:
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        return deleted

    # -- entries -----------------------------------------------------------------------------

    def append_entry(
        self,
        conversation_id: str,
        entry: Entry,
        *,
        voice: str | None = None,
        pending: bool = False,
    ) -> int:
        """Add an entry at the end of a conversation, committed on return; return its seq.

        `pending=True` stores a reply that is still streaming, to be completed with
        `update_entry`; if the app dies first, the draft survives as a stopped reply.
        """
        row = entry_to_row(entry, voice=voice, pending=pending)
        with self._write() as conn:
            conversations.touch(conn, conversation_id, self._clock())
            return entries.append(conn, conversation_id, row)

    def update_entry(
        self,
        conversation_id: str,
        seq: int,
        entry: Entry,
        *,
        voice: str | None = None,
        pending: bool = False,
    ) -> None:
        """Replace a stored entry (a streaming draft growing, then completed or stopped)."""
        row = entry_to_row(entry, voice=voice, pending=pending)
        with self._write() as conn:
            conversations.touch(conn, conversation_id, self._clock())
            entries.update(conn, conversation_id, seq, row)

    def stop_interrupted_replies(self) -> int:
        """At start-up: replies cut off by a crash become stopped replies; return how many."""
        with self._write() as conn:
            return entries.stop_interrupted(conn)

    def load_entries(
        self, conversation_id: str, limit: int | None = None, before_seq: int | None = None
    ) -> list[StoredEntry]:
        """Entries in order; with `limit`, only the last `limit` before `before_seq`.

        A long conversation can show its last page first and fetch earlier pages on scroll.
        """
        with self._read() as conn:
            return entries.page(conn, conversation_id, limit, before_seq)

    # -- timings, search, export, health ----------------------------------------------------

    def record_turn_timings(
        self, conversation_id: str, turn_seq: int, timings: Mapping[str, float]
    ) -> None:
        """Keep how long a turn's stages took (first token, first audio…), keyed by name."""
        with self._write() as conn:
            entries.record_timings(conn, conversation_id, turn_seq, timings, self._clock())

    def load_turn_timings(self, conversation_id: str) -> dict[int, dict[str, float]]:
        with self._read() as conn:
            return entries.load_timings(conn, conversation_id)

    def search(self, text: str, limit: int = 50) -> list[SearchHit]:
        """Conversations whose messages (or title) contain every word of `text`, best first."""
        find = search_index.search_fts if self.uses_fts else search_index.search_like
        with self._read() as conn:
            return conversations.hits(conn, text, find(conn, text), limit)

    def export_markdown(self, conversation_id: str) -> str:
        """The conversation as a readable Markdown document (tool calls summarised)."""
        with self._read() as conn:
            record = conversations.load_one(conn, conversation_id)
            stored = entries.page(conn, conversation_id, None, None)
        return export.to_markdown(record, stored)

    def export_json(self, conversation_id: str) -> str:
        """The conversation as JSON, entries and timings included (keys never reach the store)."""
        with self._read() as conn:
            record = conversations.load_one(conn, conversation_id)
            stored = entries.page(conn, conversation_id, None, None)
            timings = entries.load_timings(conn, conversation_id)
        return export.to_json(record, stored, timings)

    def integrity_check(self, *, quick: bool = False) -> list[str]:
        """SQLite's integrity check plus the search index's; the problems, or [].

        `quick=True` runs `quick_check` (every page read, no index cross-checks): cheap
        enough for start-up, and it finds the damage that would otherwise surface later.
        """
        with self._read() as conn:
            pragma = "quick_check" if quick else "integrity_check"
            rows = [row[0] for row in conn.execute(f"PRAGMA {pragma}")]
            problems = [] if rows == ["ok"] else rows
            return problems if quick else problems + search_index.check(conn)
