"""The bar tools as the model calls them: fixed names, JSON results, never an exception."""

from __future__ import annotations

import json
import logging
import threading
from types import TracebackType
from typing import Any

import pytest

from mayadesk.bar.state import BarSnapshot, BarState
from mayadesk.bar.tools import TOOL_NAMES, BarTools, declarations

# DESIGN.md, "What reaches the model" (fixed): names, parameters and which are required.
FIXED_TOOLS: dict[str, dict[str, str]] = {
    "get_menu": {},
    "recommend": {"taste": "STRING"},
    "add_to_order": {"item": "STRING", "quantity": "INTEGER", "modifiers": "ARRAY"},
    "remove_from_order": {"item": "STRING", "quantity": "INTEGER"},
    "show_order": {},
    "clear_order": {},
    "place_order": {},
    "get_bill": {},
    "add_tip": {"percent": "NUMBER", "amount": "NUMBER"},
    "get_balance": {},
    "pay_bill": {},
}
REQUIRED = {"recommend": ["taste"], "add_to_order": ["item"], "remove_from_order": ["item"]}


@pytest.fixture
def changes() -> list[BarSnapshot]:
    return []


@pytest.fixture
def tools(changes: list[BarSnapshot]) -> BarTools:
    return BarTools(BarState(), threading.RLock(), on_change=changes.append)


def _ok(tools: BarTools, name: str, **args: Any) -> dict[str, Any]:
    result = tools.call(name, args)
    assert result["ok"] is True, result
    return result


def _error(tools: BarTools, name: str, args: Any) -> str:
    result = tools.call(name, args)
    assert set(result) == {"ok", "error"}, result
    assert result["ok"] is False
    sentence = result["error"]
    assert isinstance(sentence, str) and sentence.endswith((".", "?")), sentence
    assert sentence[0].isupper() or sentence[0] in "'", sentence
    return sentence


# -- declarations ---------------------------------------------------------------------------


def test_declarations_match_the_fixed_tool_list() -> None:
    decls = declarations()
    assert [d["name"] for d in decls] == list(FIXED_TOOLS) == list(TOOL_NAMES)
    for decl in decls:
        expected = FIXED_TOOLS[decl["name"]]
        assert decl["description"]
        if not expected:
            assert "parameters" not in decl
            continue
        params = decl["parameters"]
        assert params["type"] == "OBJECT"
        assert list(params["properties"]) == list(expected)
        assert params["required"] == REQUIRED.get(decl["name"], [])
        for name, schema in params["properties"].items():
            kind = schema.get("type") or schema["anyOf"][0]["type"]
            assert kind == expected[name], (decl["name"], name)
            assert schema["description"]
    modifiers = decls[2]["parameters"]["properties"]["modifiers"]
    assert modifiers["items"] == {"type": "STRING"}
    assert BarTools.declarations() == decls


def test_declarations_survive_langchain_bind_tools_unchanged() -> None:
    """The real SDK turns them into the function declarations Gemini receives (offline)."""
    from langchain_core.messages import HumanMessage
    from langchain_core.runnables import RunnableBinding
    from langchain_google_genai import ChatGoogleGenerativeAI

    llm = ChatGoogleGenerativeAI(
        model="gemini-flash-latest", google_api_key="AIza" + "X" * 35, max_retries=0
    )
    bound = llm.bind_tools(declarations())
    assert isinstance(bound, RunnableBinding)
    request = llm._prepare_request([HumanMessage("hi")], tools=bound.kwargs["tools"])
    sent = [
        fd.model_dump(mode="json", exclude_none=True)
        for tool in request["config"].tools
        for fd in tool.function_declarations
    ]
    assert [fd["name"] for fd in sent] == list(FIXED_TOOLS)
    for fd in sent:
        props = fd.get("parameters", {}).get("properties", {})
        assert {k: v["type"] for k, v in props.items()} == FIXED_TOOLS[fd["name"]]
    tip = next(fd for fd in sent if fd["name"] == "add_tip")["parameters"]["properties"]
    assert tip["percent"]["nullable"] is True and tip["amount"]["nullable"] is True


# -- results --------------------------------------------------------------------------------


def test_an_evening_at_the_bar(tools: BarTools, changes: list[BarSnapshot]) -> None:
    menu = _ok(tools, "get_menu")
    assert menu["bar"] == {"name": "MOK 5-ha", "pronounced": "Moksha"}
    assert [c["category"] for c in menu["categories"]] == [
        "Cocktails", "Beer", "Wine", "Spirits", "Non-alcoholic"
    ]  # fmt: skip

    added = _ok(tools, "add_to_order", item="martinis", quantity=3.0, modifiers=["dry", "twist"])
    assert added["added"] == {
        "item": "Martini", "quantity": 3, "modifiers": ["dry", "with a twist"],
        "unit_price": "$13.00", "line_total": "$39.00",
    }  # fmt: skip
    assert added["available"] == "$961.00"
    _ok(tools, "add_to_order", item="Whiskey", modifiers="neat")
    assert _ok(tools, "show_order")["order"]["subtotal"] == "$47.00"
    assert _ok(tools, "remove_from_order", item="whiskey")["removed"] == {
        "item": "Whiskey", "quantity": 1
    }  # fmt: skip

    placed = _ok(tools, "place_order")
    assert placed["bill"]["total"] == "$39.00"
    tip = _ok(tools, "add_tip", percent=15, amount=None)
    assert tip["bill"]["tip"] == "$5.85" and tip["bill"]["tip_percent"] == "15%"
    assert tip["bill"]["total"] == "$44.85"
    assert _ok(tools, "get_balance") == {
        "ok": True, "balance": "$1,000.00", "tab_total": "$44.85",
        "pending_order": "$0.00", "available": "$955.15",
    }  # fmt: skip

    paid = _ok(tools, "pay_bill")
    assert paid["paid"] == "$44.85" and paid["balance"] == "$955.15"
    assert _ok(tools, "get_bill")["bill"]["items"] == []
    assert "Nothing has been placed" in _ok(tools, "get_bill")["note"]
    assert _error(tools, "pay_bill", {}) == "There's nothing on the bill to pay yet."

    assert len(changes) == 6  # add, add, remove, place, tip, pay; reads and refusals: none
    assert changes[-1].balance_cents == 95_515 and changes[-1].total_cents == 0


def test_every_result_is_plain_json(tools: BarTools) -> None:
    calls: list[tuple[str, dict[str, Any]]] = [
        ("get_menu", {}), ("recommend", {"taste": "fruity"}),
        ("add_to_order", {"item": "IPA", "quantity": 2}), ("show_order", {}),
        ("place_order", {}), ("add_tip", {"amount": 3.5}), ("get_bill", {}),
        ("get_balance", {}), ("add_to_order", {"item": "Soda"}), ("clear_order", {}),
        ("pay_bill", {}), ("remove_from_order", {"item": "IPA"}),
    ]  # fmt: skip
    for name, args in calls:
        result = tools.call(name, args)
        assert json.loads(json.dumps(result)) == result
        assert isinstance(result["ok"], bool)


def test_tip_as_an_amount_in_dollars(tools: BarTools) -> None:
    _ok(tools, "add_to_order", item="Negroni", quantity=2)
    _ok(tools, "place_order")
    bill = _ok(tools, "add_tip", amount=4.1)["bill"]
    assert (bill["tip"], bill["tip_percent"], bill["total"]) == ("$4.10", None, "$26.10")
    assert _ok(tools, "add_tip", percent=0)["bill"]["tip"] == "$0.00"


def test_recommend_results(tools: BarTools) -> None:
    found = _ok(tools, "recommend", taste="something fruity, not too sweet")
    assert found["understood"] == ["fruity"] and found["avoided"] == ["sweet"]
    assert found["drinks"][0] == {
        "name": "Daiquiri", "price": "$10.00", "description": "White rum, fresh lime and "
        "sugar, shaken bright."
    }  # fmt: skip
    unknown = _ok(tools, "recommend", taste="like a Tuesday")
    assert "house favourites" in unknown["note"]


@pytest.mark.parametrize(
    ("name", "args", "sentence"),
    [
        ("order_pizza", {}, "There is no bar tool called 'order_pizza'."),
        ("add_to_order", {}, "The add_to_order tool needs 'item'."),
        ("add_to_order", None, "The add_to_order tool needs 'item'."),
        ("add_to_order", {"item": None}, "The add_to_order tool needs 'item'."),
        ("add_to_order", {"item": "  "}, "'item' must be some text, like 'Martini'."),
        ("add_to_order", {"item": 7}, "'item' must be some text, like 'Martini'."),
        ("add_to_order", {"item": "x" * 500}, "'item' is too long; keep it under 200 letters."),
        ("add_to_order", {"item_name": "Martini"},
         "The add_to_order tool has no argument 'item_name';"
         " its arguments are item, modifiers, quantity."),
        ("add_to_order", {"item": "IPA", "quantity": "two"},
         "'quantity' must be a whole number, like 1 or 2."),
        ("add_to_order", {"item": "IPA", "quantity": 1.5},
         "'quantity' must be a whole number, like 1 or 2."),
        ("add_to_order", {"item": "IPA", "quantity": True},
         "'quantity' must be a whole number, like 1 or 2."),
        ("add_to_order", {"item": "IPA", "quantity": 0},
         "I can pour between 1 and 20 of a drink at a time, not 0."),
        ("add_to_order", {"item": "IPA", "quantity": 21},
         "I can pour between 1 and 20 of a drink at a time, not 21."),
        ("add_to_order", {"item": "IPA", "modifiers": [1]},
         "'modifiers' must be a list of words, like ['on the rocks']."),
        ("add_to_order", {"item": "IPA", "modifiers": {"neat": True}},
         "'modifiers' must be a list of words, like ['on the rocks']."),
        ("add_to_order", {"item": "Martinee"},
         "We don't have 'Martinee' on the menu. The closest we pour: Martini."),
        ("add_to_order", {"item": "Martini", "modifiers": ["frozen"]},
         "'frozen' isn't an option for the Martini; it can be shaken, stirred, dry, dirty, "
         "perfect, with a twist, up, on the rocks, with vodka."),
        ("remove_from_order", {"item": "Martini"}, "There's no Martini on the current order."),
        ("recommend", {}, "The recommend tool needs 'taste'."),
        ("show_order", {"verbose": True}, "The show_order tool has no argument 'verbose'; it "
         "takes none."),
        ("show_order", ["x"], "The arguments of the show_order tool must be an object."),
        ("add_tip", {}, "Tell me the tip either as a percent or as an amount, just one."),
        ("add_tip", {"percent": 10, "amount": 2},
         "Tell me the tip either as a percent or as an amount, just one."),
        ("add_tip", {"percent": "15%"}, "'percent' must be a number, like 15 or 5.50."),
        ("add_tip", {"amount": float("inf")}, "'amount' must be a real number."),
        ("add_tip", {"percent": 15}, "There's nothing on the tab to tip on yet."),
        ("place_order", {}, "There's nothing on the order to place yet."),
        ("pay_bill", {}, "There's nothing on the bill to pay yet."),
    ],
)  # fmt: skip
def test_bad_calls_get_a_sentence_not_an_exception(
    tools: BarTools, changes: list[BarSnapshot], name: str, args: Any, sentence: str
) -> None:
    assert _error(tools, name, args) == sentence
    assert changes == []


@pytest.mark.parametrize(
    ("args", "sentence"),
    [
        ({"percent": -5}, "A tip has to be between 0% and 100%, not -5%."),
        ({"percent": 101}, "A tip has to be between 0% and 100%, not 101%."),
        ({"percent": 1e300}, "A tip has to be between 0% and 100%"),
        ({"amount": -1}, "A tip can't be negative."),
        ({"amount": 1e300}, "A tip that large is more than I can ring up."),
        ({"amount": 5000}, "A $5,000.00 tip would bring your tab to $5,006.00"),
    ],
)
def test_tip_rules(tools: BarTools, args: dict[str, Any], sentence: str) -> None:
    _ok(tools, "add_to_order", item="IPA")
    _ok(tools, "place_order")
    assert _error(tools, "add_tip", args).startswith(sentence)
    assert _ok(tools, "get_bill")["bill"]["tip"] == "$0.00"


def test_balance_limit_refuses_with_what_is_left(changes: list[BarSnapshot]) -> None:
    tools = BarTools(BarState(starting_balance_cents=3000), on_change=changes.append)
    _ok(tools, "add_to_order", item="Champagne")
    sentence = _error(tools, "add_to_order", {"item": "Champagne"})
    assert sentence == (
        "Adding 1 × Champagne at $18.00 would bring your tab to $36.00, more than your balance of "
        "$30.00; you have $12.00 left to spend."
    )
    assert len(changes) == 1


@pytest.mark.parametrize(
    "junk",
    [None, 0, "", [], {}, {"item": {"$gt": ""}}, {"quantity": -(10**30)}, {"percent": "NaN"},
     {"modifiers": ["on the rocks"] * 500}, {"amount": 1e-300}, {"taste": "\x00" * 50}],
)  # fmt: skip
def test_no_argument_makes_any_tool_raise(tools: BarTools, junk: Any) -> None:
    for name in TOOL_NAMES:
        result = tools.call(name, junk)
        assert isinstance(result["ok"], bool)
        json.dumps(result)


def test_an_internal_failure_is_logged_and_reported_politely(
    tools: BarTools,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    expected_logs: list[str],
) -> None:
    expected_logs.append("bar tool place_order failed")

    def boom(*_: object) -> None:
        raise RuntimeError("spilled")

    monkeypatch.setattr(BarState, "place_order", boom)
    with caplog.at_level(logging.ERROR, logger="mayadesk.bar"):
        sentence = _error(tools, "place_order", {})
    assert sentence == "Something went wrong behind the bar; please try that again."
    assert "spilled" in caplog.text


def test_a_failing_on_change_does_not_fail_the_tool(
    caplog: pytest.LogCaptureFixture, expected_logs: list[str]
) -> None:
    expected_logs.append("bar on_change callback failed")

    def listener(_: BarSnapshot) -> None:
        raise RuntimeError("panel gone")

    tools = BarTools(BarState(), on_change=listener)
    with caplog.at_level(logging.ERROR, logger="mayadesk.bar"):
        _ok(tools, "add_to_order", item="IPA")
    assert "on_change" in caplog.text
    assert _ok(tools, "show_order")["order"]["subtotal"] == "$6.00"


class _RecordingLock:
    """Counts how deep it is held, so a test can see the state is touched only inside it."""

    def __init__(self) -> None:
        self.depth = 0
        self.entries = 0

    def __enter__(self) -> bool:
        self.depth += 1
        self.entries += 1
        return True

    def __exit__(
        self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.depth -= 1


def test_state_is_read_and_changed_only_under_the_lock() -> None:
    lock = _RecordingLock()
    seen: list[int] = []
    tools = BarTools(BarState(), lock, on_change=lambda _: seen.append(lock.depth))
    _ok(tools, "add_to_order", item="IPA")
    _ok(tools, "get_balance")
    tools.snapshot()
    assert lock.entries == 3 and lock.depth == 0
    assert seen == [1]  # change notifications arrive while the lock is held, in order


def test_parallel_workers_keep_the_tab_consistent() -> None:
    state = BarState(starting_balance_cents=10**9)
    tools = BarTools(state, threading.RLock())
    barrier = threading.Barrier(8)

    def worker() -> None:
        barrier.wait()
        for _ in range(50):
            tools.call("add_to_order", {"item": "Water"})
            tools.call("place_order", {})

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert state.bill.subtotal_cents == 8 * 50 * 100
    assert state.order.is_empty


def test_tip_preset_buttons_toggle_and_say_what_happened(
    tools: BarTools, changes: list[BarSnapshot]
) -> None:
    assert _error(tools, "add_tip", {"percent": 10}) == "There's nothing on the tab to tip on yet."
    assert tools.press_tip_preset(15) == {
        "ok": False, "error": "There's nothing on the tab to tip on yet."
    }  # fmt: skip
    _ok(tools, "add_to_order", item="Rosé", quantity=2)
    _ok(tools, "place_order")
    first = tools.press_tip_preset(15)
    assert first["note"] == "Added a 15% tip." and first["bill"]["tip"] == "$2.85"
    assert tools.press_tip_preset(20)["note"] == "Added a 20% tip."
    assert tools.press_tip_preset(20)["note"] == "Removed the tip."
    assert changes[-1].tip_cents == 0 and changes[-1].tip_percent is None
    assert len(changes) == 5
