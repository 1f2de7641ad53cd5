"""Sessions and history entries survive save → load unchanged."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from mayadesk.sessions.history import Emotion, Message, Role, ToolCall, ToolExchange, ToolResult
from mayadesk.sessions.session import Phase
from mayadesk.storage import (
    ConversationStore,
    entry_to_row,
    restore_session,
    row_to_entry,
    session_to_record,
)
from tests.unit.storage.conftest import Clock
from tests.unit.storage.samples import rich_entries, rich_session, save_session


def test_a_session_survives_save_and_load(db_path: Path, clock: Clock) -> None:
    db_path.parent.mkdir(parents=True)
    original = rich_session()
    with ConversationStore(db_path, clock=clock) as store:
        save_session(store, original)
        store.set_open_tabs([original.id], original.id)
    with ConversationStore(db_path, clock=clock) as store:
        [record] = store.load_open_conversations()
        restored = restore_session(record, store.load_entries(record.id))
    assert restored.id == original.id and restored.profile == "work"
    assert (restored.phase, restored.emotion, restored.small_talk_turns) == (
        Phase.SMALL_TALK,
        Emotion.MIXING,
        3,
    )
    assert restored.entries() == original.entries()
    assert restored.bar.to_dict() == original.bar.to_dict()
    assert restored.bar.snapshot() == original.bar.snapshot()
    snap = restored.bar.snapshot()
    assert [line.describe() for line in snap.bill] == ["2 × Martini (dry)"]
    assert [line.describe() for line in snap.order] == ["1 × Mojito"]
    assert (snap.tip_percent, snap.bills_paid) == (15, 1)
    restored.bar.place_order()  # the restored tab still follows the bar's rules
    assert restored.bar.snapshot().bill[-1].name == "Mojito"


@pytest.mark.parametrize("entry", rich_entries(), ids=lambda e: type(e).__name__)
def test_each_entry_round_trips_through_its_row(entry: Message | ToolExchange) -> None:
    row = entry_to_row(entry, voice="piper")
    assert row_to_entry(dataclasses.asdict(row)) == entry


def test_tool_rows_keep_signatures_and_nested_arguments() -> None:
    exchange = ToolExchange(
        (ToolCall("c", "add_tip", {"percent": 12.5, "amount": None, "x": {"y": [1, 2]}}),),
        (ToolResult("c", "add_tip", {"ok": False, "error": "There's nothing on the tab."}),),
    )
    row = entry_to_row(exchange)
    assert (row.kind, row.text, row.role, row.voice) == ("tool_exchange", "", None, None)
    back = row_to_entry(dataclasses.asdict(row))
    assert back == exchange
    assert isinstance(back, ToolExchange) and back.calls[0].signature is None


def test_a_message_row_holds_flags_voice_and_mood() -> None:
    message = Message(Role.MAYA, "Shaken…", emotion=Emotion.FLUSTERED, stopped=True)
    row = entry_to_row(message, voice="system", pending=True)
    assert (row.kind, row.role, row.emotion, row.voice, row.stopped, row.failed, row.pending) == (
        "message",
        "maya",
        "flustered",
        "system",
        True,
        False,
        True,
    )


def test_an_unknown_row_kind_is_an_error() -> None:
    row = dataclasses.asdict(entry_to_row(Message(Role.USER, "hi"))) | {"kind": "photo"}
    with pytest.raises(ValueError, match="photo"):
        row_to_entry(row)


def test_the_record_is_a_copy_not_a_view_of_the_live_session() -> None:
    session = rich_session()
    record = session_to_record(session, title="Copy")
    session.bar.place_order()
    session.phase = Phase.OFFER_ANOTHER
    assert record.phase == "small_talk"
    assert record.bar_state["order"]["lines"][0]["name"] == "Mojito"


def test_unknown_mood_or_phase_falls_back_but_a_bad_bar_is_refused() -> None:
    record = session_to_record(rich_session(), title="Odd")
    odd = dataclasses.replace(record, phase="dancing", emotion="sleepy")
    restored = restore_session(odd, [])
    assert (restored.phase, restored.emotion) == (Phase.GREETING, Emotion.NEUTRAL)
    broken = dataclasses.replace(record, bar_state={"version": 99})
    with pytest.raises(ValueError, match="bar state"):
        restore_session(broken, [])
