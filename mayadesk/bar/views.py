"""JSON views of the bar for the model: money as "$12.50" strings, nothing else to format.

The model relays these numbers aloud, so they are already formatted; it never does the
arithmetic itself. Kept apart from ``tools`` so the dispatching stays small.
"""

from __future__ import annotations

from typing import Any

from mayadesk.bar.menu import Drink, Menu
from mayadesk.bar.money import format_cents
from mayadesk.bar.order import OrderLine, Tip
from mayadesk.bar.state import BarState, Receipt


def line_view(line: OrderLine) -> dict[str, Any]:
    return {
        "item": line.name,
        "quantity": line.quantity,
        "modifiers": list(line.modifiers),
        "unit_price": format_cents(line.unit_cents),
        "line_total": format_cents(line.line_cents),
    }


def order_view(state: BarState) -> dict[str, Any]:
    order = state.order
    return {
        "items": [line_view(line) for line in order.lines],
        "subtotal": format_cents(order.subtotal_cents),
    }


def tip_view(tip: Tip | None, tip_cents: int) -> dict[str, Any]:
    return {
        "tip": format_cents(tip_cents),
        "tip_percent": tip.describe() if tip is not None and tip.basis_points is not None else None,
    }


def bill_view(state: BarState) -> dict[str, Any]:
    bill = state.bill
    return {
        "items": [line_view(line) for line in bill.lines],
        "subtotal": format_cents(bill.subtotal_cents),
        **tip_view(bill.tip, bill.tip_cents),
        "total": format_cents(bill.total_cents),
    }


def receipt_view(receipt: Receipt) -> dict[str, Any]:
    return {
        "items": [line_view(line) for line in receipt.lines],
        "subtotal": format_cents(receipt.subtotal_cents),
        **tip_view(receipt.tip, receipt.tip_cents),
        "total": format_cents(receipt.total_cents),
    }


def money_view(state: BarState) -> dict[str, Any]:
    return {
        "balance": format_cents(state.balance_cents),
        "tab_total": format_cents(state.bill.total_cents),
        "pending_order": format_cents(state.order.subtotal_cents),
        "available": format_cents(state.available_cents),
    }


def drink_view(drink: Drink, *, full: bool = True) -> dict[str, Any]:
    view: dict[str, Any] = {
        "name": drink.name,
        "price": drink.price,
        "description": drink.description,
    }
    if full:
        view["modifiers"] = list(drink.modifiers)
        view["tastes"] = list(drink.tags)
    return view


def menu_view(menu: Menu) -> dict[str, Any]:
    used = {m for drink in menu.drinks for m in drink.modifiers}
    return {
        "bar": {"name": menu.bar.name, "pronounced": menu.bar.pronunciation},
        "categories": [
            {"category": label, "drinks": [drink_view(d) for d in drinks]}
            for _, label, drinks in menu.by_category()
        ],
        "modifier_meanings": {m.name: m.description for m in menu.modifiers if m.name in used},
    }
