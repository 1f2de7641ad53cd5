"""Order and Bill arithmetic and invariants, in integer cents."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from mayadesk.bar.errors import (
    EmptyBillError,
    EmptyOrderError,
    ModifierError,
    NotOnOrderError,
    QuantityError,
    TipError,
)
from mayadesk.bar.menu import Drink, Menu, load_menu
from mayadesk.bar.order import Bill, Order, OrderLine, Tip


@pytest.fixture(scope="module")
def menu() -> Menu:
    return load_menu()


@pytest.fixture
def martini(menu: Menu) -> Drink:
    return menu.drink("Martini")


def test_same_drink_same_way_shares_a_line(martini: Drink) -> None:
    order = Order()
    order.add(martini, 2, ("dry",))
    order.add(martini, 1, ("dry",))
    order.add(martini, 1)
    assert [(line.quantity, line.modifiers) for line in order.lines] == [(3, ("dry",)), (1, ())]
    assert order.subtotal_cents == 4 * 1300
    assert order.quantity_of("Martini") == 4


def test_modifiers_are_kept_in_the_drinks_own_order(martini: Drink) -> None:
    line = Order().add(martini, 1, ("with a twist", "dry"))
    assert line.modifiers == ("dry", "with a twist")
    assert line.describe() == "1 × Martini (dry, with a twist)"


def test_order_refuses_modifiers_the_drink_does_not_take(menu: Menu, martini: Drink) -> None:
    with pytest.raises(ModifierError, match="'neat' isn't an option for the Martini"):
        Order().add(martini, 1, ("neat",))
    with pytest.raises(ModifierError, match="served just one way"):
        Order().add(menu.drink("IPA"), 1, ("on the rocks",))


@pytest.mark.parametrize("quantity", [0, -1, 21, 1000])
def test_quantity_must_be_1_to_20(martini: Drink, quantity: int) -> None:
    with pytest.raises(QuantityError, match="between 1 and 20"):
        Order().add(martini, quantity)


def test_at_most_20_of_one_drink_per_order(martini: Drink) -> None:
    order = Order()
    order.add(martini, 15)
    with pytest.raises(QuantityError, match="21 × Martini"):
        order.add(martini, 6, ("dry",))
    order.add(martini, 5, ("dry",))
    assert order.quantity_of("Martini") == 20


def test_remove_takes_newest_lines_first(martini: Drink) -> None:
    order = Order()
    order.add(martini, 2)
    order.add(martini, 2, ("dirty",))
    assert order.remove("Martini", 3) == 3
    assert [(line.quantity, line.modifiers) for line in order.lines] == [(1, ())]


def test_remove_refuses_more_than_is_there(martini: Drink) -> None:
    order = Order()
    order.add(martini, 2)
    with pytest.raises(QuantityError, match="only 2 × Martini"):
        order.remove("Martini", 3)
    with pytest.raises(NotOnOrderError, match="no Negroni"):
        order.remove("Negroni")
    assert order.quantity_of("Martini") == 2


def test_placing_an_empty_order_is_refused() -> None:
    with pytest.raises(EmptyOrderError):
        Order().take_all()


def test_three_at_12_50_plus_15_percent_is_exact() -> None:
    # In floats, round(3 * 12.50 * 0.15, 2) is 5.62; the bill must say $5.63.
    bill = Bill([OrderLine("House Special", 3, 1250)], Tip(basis_points=1500))
    assert (bill.subtotal_cents, bill.tip_cents, bill.total_cents) == (3750, 563, 4313)


def test_menu_prices_with_a_tip_that_rounds(menu: Menu) -> None:
    order = Order()
    order.add(menu.drink("Old Fashioned"), 3)  # $12.00 each
    order.add(menu.drink("Moscow Mule"), 1)  # $10.50
    bill = Bill()
    bill.place(order.take_all())
    assert bill.subtotal_cents == 3 * 1200 + 1050 == 4650
    bill.set_tip(Tip(basis_points=1500))
    assert bill.tip_cents == 698  # 697.5 rounds half up
    assert bill.total_cents == 5348


def test_percentage_tip_follows_the_subtotal(menu: Menu) -> None:
    bill = Bill([OrderLine("Mojito", 1, 1250)])
    bill.set_tip(Tip(basis_points=2000))
    assert bill.tip_cents == 250
    bill.place([OrderLine("Mojito", 2, 1250)])
    assert bill.subtotal_cents == 3750
    assert bill.tip_cents == 750
    assert bill.projected_total(1250, bill.tip) == 5000 + 1000


def test_fixed_tip_stays_fixed() -> None:
    bill = Bill([OrderLine("Water", 1, 100)])
    bill.set_tip(Tip(cents=500))
    bill.place([OrderLine("Water", 3, 100)])
    assert (bill.subtotal_cents, bill.tip_cents, bill.total_cents) == (400, 500, 900)


def test_tip_needs_something_on_the_bill() -> None:
    with pytest.raises(EmptyBillError):
        Bill().set_tip(Tip(cents=100))
    Bill().set_tip(None)  # removing nothing is fine


@pytest.mark.parametrize("kwargs", [{"basis_points": -1}, {"basis_points": 10_001}, {"cents": -1}])
def test_tip_bounds(kwargs: dict[str, int]) -> None:
    with pytest.raises(TipError):
        Tip(**kwargs)


@pytest.mark.parametrize("kwargs", [{}, {"basis_points": 1500, "cents": 100}])
def test_tip_is_one_kind(kwargs: dict[str, int]) -> None:
    with pytest.raises(ValueError):
        Tip(**kwargs)


def test_tip_reports_its_percentage() -> None:
    assert Tip(basis_points=1250).percent == Decimal("12.5")
    assert Tip(cents=300).percent is None
    assert Tip(basis_points=1500).describe() == "15%"
    assert Tip(cents=300).describe() == "$3.00"


def test_order_and_bill_round_trip_through_json(martini: Drink) -> None:
    order = Order()
    order.add(martini, 2, ("dry", "with a twist"))
    bill = Bill([OrderLine("IPA", 3, 600)], Tip(basis_points=1250))
    order2 = Order.from_dict(json.loads(json.dumps(order.to_dict())))
    bill2 = Bill.from_dict(json.loads(json.dumps(bill.to_dict())))
    assert order2.lines == order.lines
    assert bill2.lines == bill.lines and bill2.tip == bill.tip
    assert bill2.total_cents == bill.total_cents


@pytest.mark.parametrize(
    "line",
    [{"name": "", "quantity": 1, "unit_cents": 100},
     {"name": "X", "quantity": 0, "unit_cents": 1},
     {"name": "X", "quantity": 1.5, "unit_cents": 1},
     {"name": "X", "quantity": 1, "unit_cents": -1},
     {"name": "X", "quantity": True, "unit_cents": 1},
     {"name": "X", "quantity": 1, "unit_cents": 1, "modifiers": "dry"}],
)  # fmt: skip
def test_from_dict_rejects_bad_lines(line: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        OrderLine.from_dict(line)
