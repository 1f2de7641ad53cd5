"""Exports: readable Markdown, complete JSON, and nothing key-shaped in either."""

from __future__ import annotations

import json
import re

from mayadesk.keys.formats import CARTESIA_KEY, GEMINI_KEY
from mayadesk.sessions.history import Message, Role, ToolExchange
from mayadesk.storage import ConversationStore
from tests.unit.storage.samples import SIGNATURE, rich_session, save_session

FAKE_GEMINI = "AIza" + "Sy" + "A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q"
FAKE_CARTESIA = "sk_car_" + "Zq8Yx7Wv6Ut5Sr4Qp3On2"
_OPAQUE = re.compile(r"[A-Za-z0-9+/=_-]{24,}")


def key_shaped(text: str) -> list[str]:
    """Anything that looks like a provider key, or a long opaque token that isn't an id."""
    found = GEMINI_KEY.findall(text) + CARTESIA_KEY.findall(text)
    return found + [t for t in _OPAQUE.findall(text) if not re.fullmatch(r"[0-9a-f]{32}", t)]


def field_names(value: object) -> list[str]:
    if isinstance(value, dict):
        return [k for k, v in value.items() for k in (k, *field_names(v))]
    if isinstance(value, list):
        return [k for item in value for k in field_names(item)]
    return []


def test_the_detector_would_notice_a_key() -> None:
    assert GEMINI_KEY.fullmatch(FAKE_GEMINI) and CARTESIA_KEY.fullmatch(FAKE_CARTESIA)
    assert len(key_shaped(f"x {FAKE_GEMINI} y {FAKE_CARTESIA} z")) >= 2


def test_exports_carry_nothing_key_shaped(store: ConversationStore) -> None:
    session = rich_session()
    save_session(store, session)
    store.record_turn_timings(session.id, 0, {"first_token": 0.41})
    markdown, document = store.export_markdown(session.id), store.export_json(session.id)
    assert key_shaped(markdown) == [] and key_shaped(document) == []
    # the one opaque value the store does hold — Gemini's thought signature — stays home
    assert SIGNATURE not in markdown + document
    kept = store.load_entries(session.id)[2].entry
    assert isinstance(kept, ToolExchange) and kept.calls[0].signature == SIGNATURE
    assert not [k for k in field_names(json.loads(document)) if re.search(r"key|secret", k)]


def test_markdown_reads_like_the_conversation(store: ConversationStore) -> None:
    session = rich_session()
    save_session(store, session, title="Martinis at the bar")
    store.append_entry(session.id, Message(Role.USER, "# not a heading\n> nor a quote"))
    text = store.export_markdown(session.id)
    assert text.startswith("# Martinis at the bar\n")
    assert "**Maya** (happy) · " in text and "Evening! What can I get you?" in text
    assert "**You** · " in text and "Two dry martinis, please." in text
    assert '`add_to_order(item="Martini", quantity=2, modifiers=["dry"])` → ok' in text
    assert "*stopped*" in text and "*failed*" in text
    assert "Gemini is busy; try again in a moment." in text
    assert "\\# not a heading\n\\> nor a quote" in text
    assert "- 2 × Martini (dry) — $26.00" in text and "- 1 × Mojito" in text
    assert "- Tip: $3.90" in text and "- Bill total: $29.90" in text
    assert "Bills paid: 1" in text


def test_json_holds_every_entry_and_the_tab(store: ConversationStore) -> None:
    session = rich_session()
    save_session(store, session)
    store.record_turn_timings(session.id, 0, {"first_token": 0.41, "first_audio": 0.72})
    document = json.loads(store.export_json(session.id))
    assert document["format"] == "mayadesk.conversation" and document["format_version"] == 1
    conversation = document["conversation"]
    assert (conversation["id"], conversation["profile"], conversation["phase"]) == (
        session.id,
        "work",
        "small_talk",
    )
    assert conversation["bar"] == session.bar.to_dict()
    entries = document["entries"]
    assert [e["seq"] for e in entries] == list(range(len(session.entries())))
    assert [e["type"] for e in entries].count("tool_exchange") == 1
    exchange = entries[2]
    assert exchange["calls"][0] == {
        "id": "call-1",
        "name": "add_to_order",
        "args": {"item": "Martini", "quantity": 2, "modifiers": ["dry"]},
    }
    assert exchange["results"][1]["result"]["total"] == 26.0
    first = entries[0]
    assert (first["role"], first["emotion"], first["voice"]) == ("maya", "happy", "cartesia")
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d", first["created"])
    assert [e["stopped"] for e in entries if e["type"] == "message"].count(True) == 1
    assert document["turn_timings"] == {"0": {"first_token": 0.41, "first_audio": 0.72}}
