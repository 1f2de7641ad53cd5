"""Errors of the bar's rules, each carrying a sentence Maya can say to the customer.

The tools turn these into ``{"ok": False, "error": <sentence>}``, so the message is written
for a customer, not a developer: what went wrong and, where it helps, what to do instead.
"""

from __future__ import annotations


class BarError(Exception):
    """A rule of the bar refused a request; ``str(error)`` is the sentence to relay."""


class UnknownDrinkError(BarError):
    """The drink is not on the menu; carries the closest names so Maya can offer them."""

    def __init__(self, message: str, query: str, suggestions: tuple[str, ...]) -> None:
        super().__init__(message)
        self.query = query
        self.suggestions = suggestions


class ModifierError(BarError):
    """A modifier is unknown, not offered for that drink, or clashes with another one."""


class QuantityError(BarError):
    """A quantity outside 1–20, or more than is on the order to remove."""


class NotOnOrderError(BarError):
    """The drink to remove is not on the current (unplaced) order."""


class EmptyOrderError(BarError):
    """There is nothing on the order to place."""


class EmptyBillError(BarError):
    """There is nothing on the bill to pay or to tip on."""


class TipError(BarError):
    """A tip outside 0–100 % or a negative, non-finite or absurd amount."""


class InsufficientFundsError(BarError):
    """The order, tip or payment would exceed the customer's balance."""
