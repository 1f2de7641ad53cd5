"""History search: FTS5 when this SQLite has it, the LIKE fallback otherwise."""

from __future__ import annotations

from pathlib import Path

import pytest

from mayadesk.sessions.history import Message, Role
from mayadesk.sessions.session import Session
from mayadesk.storage import ConversationStore, session_to_record
from mayadesk.storage.search_index import fts5_available, fts_query
from tests.unit.storage.conftest import Clock
from tests.unit.storage.samples import rich_session, save_session


@pytest.fixture(params=[True, False], ids=["fts5", "like"])
def searchable(request: pytest.FixtureRequest, db_path: Path, clock: Clock) -> ConversationStore:
    db_path.parent.mkdir(parents=True)
    store = ConversationStore(db_path, clock=clock, use_fts=request.param)
    request.addfinalizer(store.close)
    return store


def add(store: ConversationStore, title: str, *texts: str) -> str:
    session = Session()
    store.save_conversation(session_to_record(session, title=title))
    for text in texts:
        store.append_entry(session.id, Message(Role.USER, text))
    return session.id


def test_this_sqlite_has_fts5_and_the_store_uses_it(store: ConversationStore) -> None:
    assert fts5_available(store._conn) and store.uses_fts


def test_words_find_conversations_once_each(searchable: ConversationStore) -> None:
    a = add(searchable, "Sour night", "A whiskey sour, please.", "Another whiskey sour!")
    b = add(searchable, "Tiki", "Something with rum and lime.")
    add(searchable, "Quiet", "Just water.")
    hits = searchable.search("WHISKEY")
    assert [h.conversation_id for h in hits] == [a]
    assert hits[0].title == "Sour night" and "«whiskey»" in hits[0].snippet.lower()
    assert [h.conversation_id for h in searchable.search("rum lime")] == [b]
    assert searchable.search("rum whiskey") == []  # every word must be there


def test_a_word_start_finds_the_word(searchable: ConversationStore) -> None:
    cid = add(searchable, "Classic", "An old fashioned with an orange twist.")
    [hit] = searchable.search("fash")
    assert (hit.conversation_id, hit.seq) == (cid, 0)


def test_titles_match_too(searchable: ConversationStore) -> None:
    cid = add(searchable, "Birthday round", "Three of your best.")
    [hit] = searchable.search("birthday")
    assert (hit.conversation_id, hit.seq, hit.snippet) == (cid, None, "«Birthday» round")


def test_what_users_type_is_never_query_syntax(searchable: ConversationStore) -> None:
    add(searchable, "Odd", 'He said "NEAR" AND OR NOT * 50% off_the_menu (really)')
    for text in ['"', "*", "AND", "NEAR(", "50%", "off_the", "(really", "", "   ", "-", "^x"]:
        searchable.search(text)  # must not raise
    assert len(searchable.search('"near" and')) == 1
    assert searchable.search("") == [] and searchable.search("%") == []
    assert fts_query('say "hi"') == '"say"* "hi"*'


def test_tool_calls_are_not_searched(searchable: ConversationStore) -> None:
    save_session(searchable, rich_session(), title="Evening")
    assert searchable.search("show_order") == [] and searchable.search("call") == []
    assert len(searchable.search("martinis")) == 1


def test_accents_do_not_matter_with_fts5(store: ConversationStore) -> None:
    cid = add(store, "Paris", "Un café crème, s'il vous plaît.")
    assert [h.conversation_id for h in store.search("cafe creme")] == [cid]


def test_an_index_missed_while_off_is_rebuilt(db_path: Path, clock: Clock) -> None:
    db_path.parent.mkdir(parents=True)
    with ConversationStore(db_path, clock=clock) as store:
        first = add(store, "Before", "margarita on the rocks")
    with ConversationStore(db_path, clock=clock, use_fts=False) as store:
        assert not store.uses_fts
        second = add(store, "While off", "margarita frozen")
        store.update_entry(first, 0, Message(Role.USER, "paloma on the rocks"))
        assert {h.conversation_id for h in store.search("margarita")} == {second}
    with ConversationStore(db_path, clock=clock) as store:
        assert store.uses_fts and store.integrity_check() == []
        assert [h.conversation_id for h in store.search("margarita")] == [second]
        assert [h.conversation_id for h in store.search("paloma")] == [first]
