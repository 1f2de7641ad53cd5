"""A customer's current order and their bill (the tab), in integer cents.

The order is what Maya is still writing down; ``place_order`` moves it onto the bill, where
drinks stay until the bill is paid. Each line keeps the unit price it was ordered at, so a
restored tab (``from_dict``) bills what the customer was quoted. These classes hold the
arithmetic and their own invariants; the customer's balance lives one level up in
:class:`mayadesk.bar.state.BarState`, which is the only thing that changes them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from mayadesk.bar.errors import (
    EmptyBillError,
    EmptyOrderError,
    ModifierError,
    NotOnOrderError,
    QuantityError,
    TipError,
)
from mayadesk.bar.menu import Drink
from mayadesk.bar.money import apply_basis_points, format_cents, format_percent

MIN_QUANTITY = 1
MAX_QUANTITY = 20
MAX_TIP_BASIS_POINTS = 10_000  # 100 %


def check_quantity(quantity: int) -> None:
    """Refuse quantities outside 1–20 with a sentence Maya can repeat."""
    if not MIN_QUANTITY <= quantity <= MAX_QUANTITY:
        raise QuantityError(
            f"I can pour between {MIN_QUANTITY} and {MAX_QUANTITY} of a drink at a time, "
            f"not {quantity}."
        )


@dataclass(frozen=True, slots=True)
class OrderLine:
    """Some number of one drink made one way, at the unit price quoted when it was ordered."""

    name: str
    quantity: int
    unit_cents: int
    modifiers: tuple[str, ...] = ()

    @property
    def line_cents(self) -> int:
        return self.quantity * self.unit_cents

    def same_drink(self, other: OrderLine) -> bool:
        """Lines merge when they are the same drink made the same way at the same price."""
        return (self.name, self.modifiers, self.unit_cents) == (
            other.name,
            other.modifiers,
            other.unit_cents,
        )

    def describe(self) -> str:
        """``2 × Martini (dry, with a twist)``: how Maya and the panel read a line."""
        extras = f" ({', '.join(self.modifiers)})" if self.modifiers else ""
        return f"{self.quantity} × {self.name}{extras}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "quantity": self.quantity,
            "unit_cents": self.unit_cents,
            "modifiers": list(self.modifiers),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> OrderLine:
        name, quantity, unit = data["name"], data["quantity"], data["unit_cents"]
        modifiers = data.get("modifiers", [])
        if not isinstance(name, str) or not name:
            raise ValueError("order line needs a name")
        if not _is_int(quantity) or quantity < 1 or not _is_int(unit) or unit < 0:
            raise ValueError(f"order line {name!r} has a bad quantity or price")
        if not isinstance(modifiers, list) or not all(isinstance(m, str) for m in modifiers):
            raise ValueError(f"order line {name!r} has bad modifiers")
        return cls(name, quantity, unit, tuple(modifiers))


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _merge(lines: list[OrderLine], new: OrderLine) -> None:
    for i, line in enumerate(lines):
        if line.same_drink(new):
            lines[i] = OrderLine(line.name, line.quantity + new.quantity, line.unit_cents,
                                 line.modifiers)  # fmt: skip
            return
    lines.append(new)


def _subtotal(lines: Iterable[OrderLine]) -> int:
    return sum(line.line_cents for line in lines)


class Order:
    """The drinks being ordered right now, not yet placed on the bill."""

    def __init__(self, lines: Iterable[OrderLine] = ()) -> None:
        self._lines: list[OrderLine] = []
        for line in lines:
            _merge(self._lines, line)

    @property
    def lines(self) -> tuple[OrderLine, ...]:
        return tuple(self._lines)

    @property
    def subtotal_cents(self) -> int:
        return _subtotal(self._lines)

    @property
    def is_empty(self) -> bool:
        return not self._lines

    def quantity_of(self, name: str) -> int:
        """How many of the drink called ``name`` are on the order, however they are made."""
        return sum(line.quantity for line in self._lines if line.name == name)

    def line_for(self, drink: Drink, quantity: int, modifiers: Sequence[str] = ()) -> OrderLine:
        """The line ``add`` would append, after checking quantity and modifiers.

        Separate from ``add`` so the caller can price the line (balance check) before
        anything changes. ``modifiers`` must already be canonical names (see
        :meth:`Menu.resolve_modifiers`); this re-checks them against the drink as a guard.
        """
        check_quantity(quantity)
        total = self.quantity_of(drink.name) + quantity
        if total > MAX_QUANTITY:
            raise QuantityError(
                f"That would make {total} × {drink.name} on one order; "
                f"the limit is {MAX_QUANTITY} of a drink."
            )
        not_allowed = [m for m in modifiers if m not in drink.modifiers]
        if not_allowed:
            raise ModifierError(
                f"'{not_allowed[0]}' isn't an option for the {drink.name}."
                if drink.modifiers
                else f"The {drink.name} is served just one way."
            )
        ordered = tuple(m for m in drink.modifiers if m in modifiers)
        return OrderLine(drink.name, quantity, drink.price_cents, ordered)

    def add(self, drink: Drink, quantity: int = 1, modifiers: Sequence[str] = ()) -> OrderLine:
        """Add ``quantity`` of ``drink``; the same drink made the same way shares a line."""
        line = self.line_for(drink, quantity, modifiers)
        _merge(self._lines, line)
        return line

    def remove(self, name: str, quantity: int = 1) -> int:
        """Take ``quantity`` of the drink off the order, newest lines first.

        Refuses (rather than silently removing fewer) when there are not that many, so the
        customer hears exactly what is left.
        """
        check_quantity(quantity)
        held = self.quantity_of(name)
        if held == 0:
            raise NotOnOrderError(f"There's no {name} on the current order.")
        if quantity > held:
            raise QuantityError(f"There {'is' if held == 1 else 'are'} only {held} × {name} "
                                f"on the order, so I can't take off {quantity}.")  # fmt: skip
        left = quantity
        for i in range(len(self._lines) - 1, -1, -1):
            line = self._lines[i]
            if left == 0 or line.name != name:
                continue
            take = min(left, line.quantity)
            left -= take
            if take == line.quantity:
                del self._lines[i]
            else:
                self._lines[i] = OrderLine(line.name, line.quantity - take, line.unit_cents,
                                           line.modifiers)  # fmt: skip
        return quantity

    def clear(self) -> tuple[OrderLine, ...]:
        """Empty the order, returning what was on it."""
        lines, self._lines = tuple(self._lines), []
        return lines

    def take_all(self) -> tuple[OrderLine, ...]:
        """Hand every line over for placing; an empty order cannot be placed."""
        if not self._lines:
            raise EmptyOrderError("There's nothing on the order to place yet.")
        return self.clear()

    def to_dict(self) -> dict[str, Any]:
        return {"lines": [line.to_dict() for line in self._lines]}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Order:
        return cls(OrderLine.from_dict(line) for line in data.get("lines", []))


@dataclass(frozen=True, slots=True)
class Tip:
    """A tip as the customer gave it: a percentage that follows the subtotal, or fixed cents."""

    basis_points: int | None = None
    cents: int | None = None

    def __post_init__(self) -> None:
        if (self.basis_points is None) == (self.cents is None):
            raise ValueError("a tip is either a percentage or an amount")
        if self.basis_points is not None and not 0 <= self.basis_points <= MAX_TIP_BASIS_POINTS:
            raise TipError("A tip has to be between 0% and 100%.")
        if self.cents is not None and self.cents < 0:
            raise TipError("A tip can't be negative.")

    @property
    def percent(self) -> Decimal | None:
        """The percentage (15, 12.5), or None for a fixed amount."""
        return None if self.basis_points is None else Decimal(self.basis_points) / 100

    def cents_on(self, subtotal_cents: int) -> int:
        """What the tip comes to on ``subtotal_cents``."""
        if self.basis_points is not None:
            return apply_basis_points(subtotal_cents, self.basis_points)
        return self.cents or 0

    def describe(self) -> str:
        if self.basis_points is not None:
            return format_percent(self.basis_points)
        return format_cents(self.cents or 0)

    def to_dict(self) -> dict[str, Any]:
        if self.basis_points is not None:
            return {"basis_points": self.basis_points}
        return {"cents": self.cents}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Tip:
        bp, cents = data.get("basis_points"), data.get("cents")
        if (bp is not None and not _is_int(bp)) or (cents is not None and not _is_int(cents)):
            raise ValueError("tip must be whole basis points or whole cents")
        return cls(bp, cents)


class Bill:
    """The tab: everything placed since the last payment, plus the tip."""

    def __init__(self, lines: Iterable[OrderLine] = (), tip: Tip | None = None) -> None:
        self._lines: list[OrderLine] = []
        for line in lines:
            _merge(self._lines, line)
        self._tip = tip

    @property
    def lines(self) -> tuple[OrderLine, ...]:
        return tuple(self._lines)

    @property
    def tip(self) -> Tip | None:
        return self._tip

    @property
    def is_empty(self) -> bool:
        return not self._lines

    @property
    def subtotal_cents(self) -> int:
        return _subtotal(self._lines)

    @property
    def tip_cents(self) -> int:
        return self._tip.cents_on(self.subtotal_cents) if self._tip else 0

    @property
    def total_cents(self) -> int:
        return self.subtotal_cents + self.tip_cents

    def projected_total(self, extra_cents: int, tip: Tip | None) -> int:
        """The total if ``extra_cents`` more were placed and ``tip`` applied.

        Used to check a change against the balance before making it: a percentage tip grows
        with the subtotal, so the check has to include it. Pass ``bill.tip`` to keep the tip.
        """
        subtotal = self.subtotal_cents + extra_cents
        return subtotal + (tip.cents_on(subtotal) if tip is not None else 0)

    def place(self, lines: Iterable[OrderLine]) -> None:
        for line in lines:
            _merge(self._lines, line)

    def set_tip(self, tip: Tip | None) -> None:
        """Set or (with None) remove the tip; a tip needs something on the bill to go with."""
        if tip is not None and self.is_empty:
            raise EmptyBillError("There's nothing on the tab to tip on yet.")
        self._tip = tip

    def to_dict(self) -> dict[str, Any]:
        return {
            "lines": [line.to_dict() for line in self._lines],
            "tip": self._tip.to_dict() if self._tip else None,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Bill:
        tip = data.get("tip")
        return cls(
            (OrderLine.from_dict(line) for line in data.get("lines", [])),
            Tip.from_dict(tip) if tip is not None else None,
        )
