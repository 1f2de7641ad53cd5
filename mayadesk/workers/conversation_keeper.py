"""Keeps the conversation store in step with the tabs, on one thread of its own.

The UI thread never touches SQLite: every call here queues work on the store's thread and
returns a future. Work runs in the order it was asked for, so a tab's entries are written
in order, and a reply's completion can wait on its commit before it is shown as complete.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, TypeVar

from mayadesk.daemon_executor import DaemonExecutor
from mayadesk.sessions.history import Message, Role
from mayadesk.sessions.session import Session
from mayadesk.storage.mapping import restore_session, session_to_record
from mayadesk.storage.records import (
    ConversationRecord,
    SearchHit,
    StoredEntry,
    UnknownConversationError,
)
from mayadesk.storage.recovery import open_store
from mayadesk.storage.store import ConversationStore

log = logging.getLogger("mayadesk.storage")

T = TypeVar("T")
STORE_FILE_NAME = "conversations.sqlite3"
FLUSH_SECONDS = 10.0
REOPEN_SCAN = 25
"""How many recently closed conversations Ctrl+Shift+T looks through for one it can restore."""
ExportKind = Literal["markdown", "json"]


@dataclass
class _Written:
    """How much of a conversation's history is in the store (known on the store thread)."""

    count: int = 0
    draft_seq: int | None = None


@dataclass(frozen=True)
class RestoredTab:
    record: ConversationRecord
    session: Session


@dataclass
class ConversationKeeper:
    """Store access for the app: the store, its thread, and what each tab has written."""

    store: ConversationStore
    notice: str | None = None
    executor: DaemonExecutor = field(default_factory=lambda: DaemonExecutor("mayadesk-store"))
    _written: dict[str, _Written] = field(default_factory=dict)

    @classmethod
    def open(cls, data_dir: Path) -> ConversationKeeper:
        """Open (or recover) the store on its own thread; blocks the caller until it is open.

        A damaged store is moved aside and a fresh one started; `notice` then says so.
        """
        executor = DaemonExecutor("mayadesk-store")

        def opening() -> tuple[ConversationStore, str | None]:
            store, notice = open_store(data_dir / STORE_FILE_NAME)
            stopped = store.stop_interrupted_replies()
            if stopped:
                log.info("Marked %d reply cut off by a crash as stopped", stopped)
            return store, notice

        store, notice = executor.submit(opening).result()
        return cls(store, notice, executor)

    def _run(self, fn: Callable[..., T], *args: Any) -> Future[T]:
        def guarded() -> T:
            try:
                return fn(*args)
            except Exception:
                log.exception("Conversation store call %s failed", getattr(fn, "__name__", fn))
                raise

        return self.executor.submit(guarded)

    # Restoring -------------------------------------------------------------------------------
    def load_open_tabs(self) -> list[RestoredTab]:
        """The tabs that were open, in order, with their whole histories (blocking)."""
        return self.executor.submit(self._load_open_tabs).result()

    def _load_open_tabs(self) -> list[RestoredTab]:
        tabs = []
        for record in self.store.load_open_conversations():
            tab = self._restore(record)
            if tab is not None:
                tabs.append(tab)
        return tabs

    def _restore(self, record: ConversationRecord) -> RestoredTab | None:
        entries = self.store.load_entries(record.id)
        try:
            session = restore_session(record, entries)
        except ValueError:
            log.warning("Conversation %s has a damaged bar state; not restored", record.id[:8])
            return None
        self._written[record.id] = _Written(count=len(entries))
        return RestoredTab(record, session)

    def reopen(self, conversation_id: str) -> Future[RestoredTab | None]:
        """A recently closed conversation, open again as the last tab."""
        return self._run(lambda: self._restore(self.store.reopen(conversation_id)))

    def recently_closed(self, limit: int = 10) -> Future[list[ConversationRecord]]:
        return self._run(self.store.recently_closed, limit)

    # Writing ---------------------------------------------------------------------------------
    def save(self, session: Session, title: str) -> Future[None]:
        """Insert or update a conversation's metadata and bar."""
        return self._run(lambda: self.store.save_conversation(session_to_record(session,
                                                                                 title=title)))

    def rename(self, session: Session, title: str) -> Future[None]:
        return self._run(lambda: self.store.update_conversation(session.id, title=title))

    def set_profile(self, session: Session, profile: str) -> Future[None]:
        return self._run(lambda: self.store.update_conversation(session.id, profile=profile))

    def set_open_tabs(self, order: Sequence[str], current: str | None) -> Future[None]:
        return self._run(self.store.set_open_tabs, list(order), current)

    def close_tab(self, session: Session) -> Future[None]:
        return self._run(self.store.close_conversation, session.id)

    def sync(self, session: Session) -> Future[None]:
        """Write the session's new entries (and its bar, phase and mood), committed on return.

        A streaming draft, if one was saved, is replaced by the first new entry, so a reply
        is one row whether or not the app crashed while it streamed.
        """
        return self._run(self._sync, session)

    def _sync(self, session: Session) -> None:
        with session.lock:
            entries = session.entries()
            record = session_to_record(session, title="")
        written = self._written.setdefault(session.id, _Written())
        for entry in entries[written.count:]:
            if written.draft_seq is not None:
                self.store.update_entry(session.id, written.draft_seq, entry)
                written.draft_seq = None
            else:
                self.store.append_entry(session.id, entry)
            written.count += 1
        self.store.replace_bar_state(session.id, record.bar_state)
        self.store.update_conversation(
            session.id, phase=record.phase, emotion=record.emotion,
            small_talk_turns=record.small_talk_turns,
        )

    def save_draft(self, session: Session, text: str) -> Future[None]:
        """Keep the reply streaming now, marked pending: after a crash it comes back stopped."""
        return self._run(self._save_draft, session.id, text)

    def _save_draft(self, conversation_id: str, text: str) -> None:
        written = self._written.setdefault(conversation_id, _Written())
        draft = Message(Role.MAYA, text)
        if written.draft_seq is None:
            written.draft_seq = self.store.append_entry(conversation_id, draft, pending=True)
        else:
            self.store.update_entry(conversation_id, written.draft_seq, draft, pending=True)

    def delete(self, conversation_id: str) -> Future[bool]:
        self._written.pop(conversation_id, None)
        return self._run(self.store.delete_conversation, conversation_id)

    def entries(self, conversation_id: str) -> Future[list[StoredEntry]]:
        return self._run(self.store.load_entries, conversation_id)

    # History: the Recently closed menu and the History dialog -------------------------------
    def reopen_latest(self) -> Future[RestoredTab | None]:
        """The most recently closed conversation, open again as the last tab; None if none.

        Picked and reopened in one step on the store's thread, so two quick Ctrl+Shift+T
        presses bring back two conversations rather than the same one twice. One whose bar
        state is damaged is passed over (and stays closed) instead of blocking the rest.
        """

        def reopening() -> RestoredTab | None:
            for record in self.store.recently_closed(REOPEN_SCAN):
                if (tab := self._reopen_restorable(record.id)) is not None:
                    return tab
            return None

        return self._run(reopening)

    def reopen_stored(self, conversation_id: str) -> Future[RestoredTab | None]:
        """Like `reopen`, but None (not an error) when the conversation is gone or damaged.

        The menu and the History dialog show lists that can be a moment old: a conversation
        deleted meanwhile is an ordinary outcome there, not a fault to log.
        """
        return self._run(self._reopen_restorable, conversation_id)

    def _reopen_restorable(self, conversation_id: str) -> RestoredTab | None:
        try:
            record = self.store.load_conversation(conversation_id)
        except UnknownConversationError:
            return None
        tab = self._restore(record)  # before reopening: a damaged one stays closed
        if tab is not None:
            self.store.reopen(conversation_id)
        return tab

    def list_conversations(self, limit: int = 300) -> Future[list[ConversationRecord]]:
        """Every conversation, most recently active first."""
        return self._run(self.store.list_conversations, limit)

    def search(self, text: str, limit: int = 50) -> Future[list[SearchHit]]:
        """Conversations whose messages or title contain every word of `text`."""
        return self._run(self.store.search, text, limit)

    def export(self, conversation_id: str, path: Path, kind: ExportKind) -> Future[Path]:
        """Write the conversation to `path` as Markdown or JSON, from the store's thread.

        The document is written beside `path` and renamed into place, so a failed export
        never leaves half a file where the user asked for one. An OSError (a read-only
        folder, a full disk) reaches the caller unlogged: it is the user's to fix, not a
        fault of the app.
        """
        return self.executor.submit(self._export, conversation_id, path, kind)

    def _export(self, conversation_id: str, path: Path, kind: ExportKind) -> Path:
        if kind == "markdown":
            text = self.store.export_markdown(conversation_id)
        else:
            text = self.store.export_json(conversation_id)
        part = path.with_name(f".{path.name}.part")
        try:
            part.write_text(text, encoding="utf-8")
            os.replace(part, path)
        except BaseException:
            part.unlink(missing_ok=True)
            raise
        return path

    def close(self) -> None:
        """Finish queued writes (bounded), then close the database."""
        done = threading.Event()
        self.executor.submit(done.set)
        if not done.wait(FLUSH_SECONDS):
            log.warning("Conversation store writes did not finish within %.0f s", FLUSH_SECONDS)
            return
        self.executor.submit(self.store.close).result(FLUSH_SECONDS)
        self.executor.shutdown(wait=False)
