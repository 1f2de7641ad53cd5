"""BarState: the balance rules that keep order, bill, tip and money consistent."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest

from mayadesk.bar.errors import (
    EmptyBillError,
    EmptyOrderError,
    InsufficientFundsError,
    NotOnOrderError,
    TipError,
    UnknownDrinkError,
)
from mayadesk.bar.state import DEFAULT_STARTING_BALANCE_CENTS, BarState


def _consistent(state: BarState) -> None:
    snap = state.snapshot()
    assert snap.total_cents == snap.subtotal_cents + snap.tip_cents
    assert snap.balance_cents == state.starting_balance_cents - state.paid_cents
    assert snap.available_cents >= 0
    assert snap.subtotal_cents == sum(line.line_cents for line in snap.bill)
    assert snap.order_subtotal_cents == sum(line.line_cents for line in snap.order)


def test_a_new_tab_starts_with_1000_dollars() -> None:
    state = BarState()
    assert DEFAULT_STARTING_BALANCE_CENTS == 100_000
    snap = state.snapshot()
    assert (snap.balance_cents, snap.available_cents, snap.total_cents) == (100_000, 100_000, 0)


def test_full_evening() -> None:
    state = BarState()
    state.add_to_order("martinis", 2, ["dry"])
    state.add_to_order("IPA")
    assert state.available_cents == 100_000 - 3200
    state.place_order()
    assert state.order.is_empty and state.bill.subtotal_cents == 3200
    state.set_tip_percent(15)
    assert state.bill.tip_cents == 480
    state.add_to_order("Water")  # pending: counted against what is left, tip included
    assert state.available_cents == 100_000 - (3300 + 495)
    receipt = state.pay()
    assert receipt.total_cents == 3680
    assert receipt.tip_cents == 480 and receipt.tip is not None
    assert state.balance_cents == 100_000 - 3680
    assert state.bill.is_empty and state.bill.tip is None  # a fresh bill
    assert state.order.quantity_of("Water") == 1  # the unplaced order was not paid for
    assert state.bills_paid == 1
    _consistent(state)


def test_an_order_beyond_the_balance_is_refused_and_changes_nothing() -> None:
    state = BarState(starting_balance_cents=5000)
    state.add_to_order("Champagne", 2)  # $36
    with pytest.raises(InsufficientFundsError) as caught:
        state.add_to_order("Martini")  # $13 more → $49 fits
        state.add_to_order("Martini")  # $62 does not
    assert str(caught.value) == (
        "Adding 1 × Martini at $13.00 would bring your tab to $62.00, more than your balance of "
        "$50.00; you have $1.00 left to spend."
    )
    assert state.order.subtotal_cents == 4900
    _consistent(state)


def test_a_percentage_tip_counts_against_the_balance_when_ordering() -> None:
    state = BarState(starting_balance_cents=11_000)
    state.add_to_order("Champagne", 5)  # $90
    state.place_order()
    state.set_tip_percent(20)  # $18 → $108
    with pytest.raises(InsufficientFundsError):
        state.add_to_order("Water", 2)  # $2 more is $110 + 20% of it
    state.add_to_order("Water", 1)  # $91 × 1.2 = $109.20
    _consistent(state)


def test_a_tip_beyond_the_balance_is_refused() -> None:
    state = BarState(starting_balance_cents=2000)
    state.add_to_order("Martini")
    state.place_order()
    with pytest.raises(InsufficientFundsError, match=r"A \$7\.01 tip"):
        state.set_tip_amount(701)
    state.set_tip_amount(700)
    assert state.available_cents == 0
    _consistent(state)


@pytest.mark.parametrize("percent", [-1, 100.01, 150, "lots", float("nan")])
def test_tip_percent_must_be_0_to_100(percent: Any) -> None:
    state = BarState()
    state.add_to_order("IPA")
    state.place_order()
    with pytest.raises(TipError):
        state.set_tip_percent(percent)
    assert state.bill.tip is None


def test_zero_tip_removes_the_tip() -> None:
    state = BarState()
    state.add_to_order("IPA")
    state.place_order()
    state.set_tip_amount(300)
    assert state.set_tip_percent(0) is None
    assert state.bill.tip is None


def test_tip_on_an_empty_bill_is_refused() -> None:
    with pytest.raises(EmptyBillError):
        BarState().set_tip_percent(15)


def test_tip_preset_toggles() -> None:
    state = BarState()
    state.add_to_order("Negroni", 2)
    state.place_order()
    tip = state.toggle_tip_preset(15)
    assert tip is not None and tip.percent == Decimal(15)
    assert state.toggle_tip_preset(20) is not None
    assert state.snapshot().tip_percent == 20
    assert state.toggle_tip_preset(20) is None
    assert state.bill.tip is None


def test_cannot_pay_an_empty_bill() -> None:
    state = BarState()
    state.add_to_order("IPA")  # ordered but not placed
    with pytest.raises(EmptyBillError, match="nothing on the bill"):
        state.pay()
    assert state.balance_cents == 100_000


def test_place_needs_an_order() -> None:
    with pytest.raises(EmptyOrderError):
        BarState().place_order()


def test_removing_a_placed_drink_is_explained() -> None:
    state = BarState()
    state.add_to_order("Mojito")
    state.place_order()
    with pytest.raises(NotOnOrderError, match="already been placed"):
        state.remove_from_order("mojitos")


def test_unknown_drinks_never_reach_the_order() -> None:
    state = BarState()
    with pytest.raises(UnknownDrinkError):
        state.add_to_order("Unicorn Tears")
    assert state.order.is_empty


def test_snapshot_round_trip_through_json() -> None:
    state = BarState(starting_balance_cents=50_000)
    state.add_to_order("Old Fashioned", 2, ["on the rocks"])
    state.place_order()
    state.set_tip_percent(12.5)
    state.pay()
    state.add_to_order("Rosé", 3)
    state.place_order()
    state.set_tip_amount(425)
    state.add_to_order("Whiskey", 1, ["neat", "with a chaser"])
    data = json.loads(json.dumps(state.to_dict()))
    restored = BarState.from_dict(data)
    assert restored.to_dict() == state.to_dict()
    assert restored.snapshot() == state.snapshot()
    restored.pay()  # and it keeps working
    _consistent(restored)


@pytest.mark.parametrize(
    "breakage",
    [
        lambda d: d.update(version=99),
        lambda d: d.update(paid_cents=1.5),
        lambda d: d.update(starting_balance_cents=-1),
        lambda d: d["order"]["lines"].append({"name": "X"}),
        lambda d: d["bill"].update(tip={"basis_points": 50_000}),
        lambda d: d["bill"].update(tip={"basis_points": 1, "cents": 1}),
        lambda d: d.update(order=[]),
    ],
)
def test_from_dict_rejects_what_to_dict_never_writes(breakage: Any) -> None:
    state = BarState()
    state.add_to_order("IPA")
    state.place_order()
    data = state.to_dict()
    breakage(data)
    with pytest.raises(ValueError):
        BarState.from_dict(data)
