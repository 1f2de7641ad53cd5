"""One customer's standing at the bar: order, bill, tip and balance, kept consistent.

Every change goes through a method here, and each one checks the money first and changes
state second, so a refused request leaves nothing half-done. The invariant the tab panel and
Maya both rely on: ``bill total + pending order (with the tip it would bring) <= balance``.
``BarState`` is not thread-safe by itself; the session's lock guards it (see ``tools``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from mayadesk.bar.errors import (
    BarError,
    EmptyBillError,
    InsufficientFundsError,
    NotOnOrderError,
    TipError,
)
from mayadesk.bar.menu import Drink, Menu, load_menu
from mayadesk.bar.money import format_cents, percent_to_basis_points, to_decimal
from mayadesk.bar.order import Bill, Order, OrderLine, Tip

DEFAULT_STARTING_BALANCE_CENTS = 100_000  # $1,000.00; the app's settings may choose another
SNAPSHOT_VERSION = 1


@dataclass(frozen=True, slots=True)
class BarSnapshot:
    """An immutable picture of the tab for the UI, safe to hand to another thread."""

    order: tuple[OrderLine, ...]
    order_subtotal_cents: int
    bill: tuple[OrderLine, ...]
    subtotal_cents: int
    tip_cents: int
    tip_percent: Decimal | None
    total_cents: int
    balance_cents: int
    available_cents: int
    bills_paid: int


@dataclass(frozen=True, slots=True)
class Receipt:
    """What a payment settled; the balance is what the customer has left afterwards."""

    lines: tuple[OrderLine, ...]
    subtotal_cents: int
    tip: Tip | None
    tip_cents: int
    total_cents: int
    balance_cents: int


class BarState:
    """The order, the bill and the money of one tab."""

    def __init__(
        self,
        menu: Menu | None = None,
        starting_balance_cents: int = DEFAULT_STARTING_BALANCE_CENTS,
        *,
        order: Order | None = None,
        bill: Bill | None = None,
        paid_cents: int = 0,
        bills_paid: int = 0,
    ) -> None:
        if starting_balance_cents < 0 or paid_cents < 0 or bills_paid < 0:
            raise ValueError("balances and counters cannot be negative")
        self.menu = menu if menu is not None else load_menu()
        self.starting_balance_cents = starting_balance_cents
        self.order = order if order is not None else Order()
        self.bill = bill if bill is not None else Bill()
        self.paid_cents = paid_cents
        self.bills_paid = bills_paid

    # -- money -------------------------------------------------------------------------------

    @property
    def balance_cents(self) -> int:
        """What the customer has: the starting balance less everything paid."""
        return self.starting_balance_cents - self.paid_cents

    @property
    def committed_cents(self) -> int:
        """The bill's total once the pending order is placed too (tip included)."""
        return self.bill.projected_total(self.order.subtotal_cents, self.bill.tip)

    @property
    def available_cents(self) -> int:
        """What is left to spend after the bill and the pending order."""
        return self.balance_cents - self.committed_cents

    def _check_affordable(self, total_cents: int, what: str) -> None:
        if total_cents > self.balance_cents:
            raise InsufficientFundsError(
                f"{what} would bring your tab to {format_cents(total_cents)}, more than your "
                f"balance of {format_cents(self.balance_cents)}; you have "
                f"{format_cents(max(self.available_cents, 0))} left to spend."
            )

    # -- order -------------------------------------------------------------------------------

    def add_to_order(
        self, item: str, quantity: int = 1, modifiers: Sequence[str] = ()
    ) -> OrderLine:
        """Add a menu drink, made as asked, if the customer can afford it."""
        drink = self.menu.drink(item)
        canonical = self.menu.resolve_modifiers(drink, modifiers)
        line = self.order.line_for(drink, quantity, canonical)
        projected = self.bill.projected_total(
            self.order.subtotal_cents + line.line_cents, self.bill.tip
        )
        self._check_affordable(
            projected, f"Adding {line.describe()} at {format_cents(line.unit_cents)}"
        )
        return self.order.add(drink, quantity, canonical)

    def remove_from_order(self, item: str, quantity: int = 1) -> tuple[Drink, int]:
        """Take drinks off the pending order; placed drinks stay on the bill."""
        drink = self.menu.drink(item)
        if self.order.quantity_of(drink.name) == 0 and any(
            line.name == drink.name for line in self.bill.lines
        ):
            raise NotOnOrderError(
                f"The {drink.name} has already been placed on your tab, and placed drinks "
                "stay on the bill."
            )
        return drink, self.order.remove(drink.name, quantity)

    def clear_order(self) -> tuple[OrderLine, ...]:
        """Drop the pending order; the bill is untouched."""
        return self.order.clear()

    def place_order(self) -> tuple[OrderLine, ...]:
        """Move the pending order onto the bill (affordability was checked as it was built)."""
        self._check_affordable(self.committed_cents, "Placing this order")
        lines = self.order.take_all()
        self.bill.place(lines)
        return lines

    # -- tip ---------------------------------------------------------------------------------

    def set_tip_percent(self, percent: int | float | str | Decimal) -> Tip | None:
        """Tip a percentage (0–100) of the subtotal; 0 removes the tip."""
        try:
            value = to_decimal(percent)
        except ValueError:
            raise TipError("A tip percentage has to be a number between 0 and 100.") from None
        if not 0 <= value <= 100:
            raise TipError(f"A tip has to be between 0% and 100%, not {value}%.")
        basis_points = percent_to_basis_points(value)
        return self._set_tip(Tip(basis_points=basis_points) if basis_points else None)

    def set_tip_amount(self, cents: int) -> Tip | None:
        """Tip a fixed amount in cents; 0 removes the tip."""
        if cents < 0:
            raise TipError("A tip can't be negative.")
        return self._set_tip(Tip(cents=cents) if cents else None)

    def clear_tip(self) -> None:
        self.bill.set_tip(None)

    def toggle_tip_preset(self, percent: int) -> Tip | None:
        """The panel's 10/15/20 % buttons: a second press of the active preset removes it."""
        current = self.bill.tip
        if current is not None and current.basis_points == percent * 100:
            self.clear_tip()
            return None
        return self.set_tip_percent(percent)

    def _set_tip(self, tip: Tip | None) -> Tip | None:
        if tip is not None:
            if self.bill.is_empty:
                raise EmptyBillError("There's nothing on the tab to tip on yet.")
            projected = self.bill.projected_total(self.order.subtotal_cents, tip)
            self._check_affordable(projected, f"A {tip.describe()} tip")
        self.bill.set_tip(tip)
        return tip

    # -- paying ------------------------------------------------------------------------------

    def pay(self) -> Receipt:
        """Settle the bill from the balance and start a fresh one; a pending order stays."""
        bill = self.bill
        if bill.is_empty:
            raise EmptyBillError("There's nothing on the bill to pay yet.")
        self._check_affordable(bill.total_cents, "Paying")
        receipt_total = bill.total_cents
        self.paid_cents += receipt_total
        self.bills_paid += 1
        self.bill = Bill()
        return Receipt(
            lines=bill.lines,
            subtotal_cents=bill.subtotal_cents,
            tip=bill.tip,
            tip_cents=bill.tip_cents,
            total_cents=receipt_total,
            balance_cents=self.balance_cents,
        )

    # -- views and persistence ---------------------------------------------------------------

    def snapshot(self) -> BarSnapshot:
        tip = self.bill.tip
        return BarSnapshot(
            order=self.order.lines,
            order_subtotal_cents=self.order.subtotal_cents,
            bill=self.bill.lines,
            subtotal_cents=self.bill.subtotal_cents,
            tip_cents=self.bill.tip_cents,
            tip_percent=tip.percent if tip is not None else None,
            total_cents=self.bill.total_cents,
            balance_cents=self.balance_cents,
            available_cents=self.available_cents,
            bills_paid=self.bills_paid,
        )

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able state (ints, strings, lists) for the conversation store."""
        return {
            "version": SNAPSHOT_VERSION,
            "starting_balance_cents": self.starting_balance_cents,
            "paid_cents": self.paid_cents,
            "bills_paid": self.bills_paid,
            "order": self.order.to_dict(),
            "bill": self.bill.to_dict(),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], menu: Menu | None = None) -> BarState:
        """Restore what :meth:`to_dict` wrote; ValueError if it is not that shape."""
        if data.get("version") != SNAPSHOT_VERSION:
            raise ValueError(f"unsupported bar state version {data.get('version')!r}")
        numbers = [data.get(k) for k in ("starting_balance_cents", "paid_cents", "bills_paid")]
        if not all(isinstance(n, int) and not isinstance(n, bool) for n in numbers):
            raise ValueError("bar state balances must be whole cents")
        try:
            order = Order.from_dict(data.get("order", {}))
            bill = Bill.from_dict(data.get("bill", {}))
        except (KeyError, TypeError, AttributeError, BarError) as exc:
            raise ValueError(f"bar state is malformed: {exc!r}") from exc
        return cls(
            menu,
            data["starting_balance_cents"],
            order=order,
            bill=bill,
            paid_cents=data["paid_cents"],
            bills_paid=data["bills_paid"],
        )
