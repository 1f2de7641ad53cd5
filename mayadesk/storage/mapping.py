"""Between the live objects (Session, History entries, BarState) and the store's rows.

The app snapshots a session on its own thread (under the session's lock) with
`session_to_record` / `entry_to_row` and hands the copy to the writer thread; on start it
rebuilds sessions with `restore_session`. Tool calls and results are kept as JSON, including
Gemini's thought signatures, because a restored conversation's next request must send them
back with the calls or Gemini refuses it.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from mayadesk.bar.menu import Menu
from mayadesk.bar.state import BarState
from mayadesk.sessions.history import (
    Emotion,
    Entry,
    History,
    Message,
    MessageKind,
    Role,
    ToolCall,
    ToolExchange,
    ToolResult,
)
from mayadesk.sessions.session import Phase, Session
from mayadesk.storage.records import ConversationRecord, StoredEntry

_E = TypeVar("_E", Phase, Emotion)

RowLike = Mapping[str, Any]
"""A row read with `sqlite3.Row` (which supports `row["column"]`) or a plain dict."""


@dataclass(frozen=True)
class EntryRow:
    """The `entries` columns of one entry (all but its id, conversation and seq)."""

    kind: str
    role: str | None
    message_kind: str | None
    text: str
    emotion: str | None
    created: float
    voice: str | None
    stopped: bool
    failed: bool
    pending: bool
    tool_calls: str | None
    tool_results: str | None


def _plain(value: object) -> object:
    """json.dumps fallback: the frozen mappings of tool calls become dicts."""
    if isinstance(value, Mapping):
        return dict(value)
    raise TypeError(f"{type(value).__name__} is not JSON-serialisable")


def to_json(value: object) -> str:
    return json.dumps(value, default=_plain, ensure_ascii=False, separators=(",", ":"))


def entry_to_row(entry: Entry, *, voice: str | None = None, pending: bool = False) -> EntryRow:
    """The row for a message or a tool exchange; `voice` names what spoke it, if anything."""
    if isinstance(entry, Message):
        return EntryRow(
            "message",
            entry.role.value,
            entry.kind.value,
            entry.text,
            entry.emotion.value if entry.emotion is not None else None,
            entry.created,
            voice,
            entry.stopped,
            entry.failed,
            pending,
            None,
            None,
        )
    calls = [
        {"id": c.id, "name": c.name, "args": c.args, "signature": c.signature} for c in entry.calls
    ]
    results = [{"call_id": r.call_id, "name": r.name, "result": r.result} for r in entry.results]
    return EntryRow(
        "tool_exchange",
        None,
        None,
        "",
        None,
        entry.created,
        None,
        False,
        False,
        pending,
        to_json(calls),
        to_json(results),
    )


def row_to_entry(row: RowLike) -> Entry:
    """The entry a row holds; ValueError if the row is not one this version wrote."""
    if row["kind"] == "message":
        emotion = row["emotion"]
        return Message(
            role=Role(row["role"]),
            text=row["text"],
            created=row["created"],
            kind=MessageKind(row["message_kind"] or MessageKind.TEXT.value),
            emotion=Emotion(emotion) if emotion is not None else None,
            stopped=bool(row["stopped"]),
            failed=bool(row["failed"]),
        )
    if row["kind"] == "tool_exchange":
        calls = tuple(
            ToolCall(c["id"], c["name"], c.get("args") or {}, c.get("signature"))
            for c in json.loads(row["tool_calls"] or "[]")
        )
        results = tuple(
            ToolResult(r["call_id"], r["name"], r.get("result") or {})
            for r in json.loads(row["tool_results"] or "[]")
        )
        return ToolExchange(calls, results, created=row["created"])
    raise ValueError(f"unknown entry kind {row['kind']!r}")


def row_to_stored(row: RowLike) -> StoredEntry:
    return StoredEntry(row["seq"], row_to_entry(row), row["voice"], bool(row["pending"]))


def session_to_record(
    session: Session,
    *,
    title: str,
    created: float | None = None,
    updated: float | None = None,
) -> ConversationRecord:
    """A copy of the session's metadata and bar, taken under its lock (workers change it)."""
    now = time.time()
    with session.lock:
        return ConversationRecord(
            id=session.id,
            title=title,
            profile=session.profile,
            phase=session.phase.value,
            emotion=session.emotion.value,
            small_talk_turns=session.small_talk_turns,
            bar_state=session.bar.to_dict(),
            created=created if created is not None else now,
            updated=updated if updated is not None else now,
        )


def _enum_or(kind: type[_E], value: str, default: _E) -> _E:
    try:
        return kind(value)
    except ValueError:
        return default


def restore_session(
    record: ConversationRecord,
    entries: Iterable[Entry | StoredEntry],
    menu: Menu | None = None,
) -> Session:
    """A live Session from a stored conversation, with the same id, history and bar.

    Raises ValueError when the stored bar state is malformed (the caller decides whether to
    offer the conversation without its tab). An unknown phase or mood falls back to the start
    of a conversation rather than losing the conversation.
    """
    bar = BarState.from_dict(record.bar_state, menu)
    history = History([e.entry if isinstance(e, StoredEntry) else e for e in entries])
    return Session(
        profile=record.profile,
        id=record.id,
        history=history,
        bar=bar,
        phase=_enum_or(Phase, record.phase, Phase.GREETING),
        emotion=_enum_or(Emotion, record.emotion, Emotion.NEUTRAL),
        small_talk_turns=record.small_talk_turns,
    )
