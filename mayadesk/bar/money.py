"""Money as integer cents: parsing, percentages and display.

Floats never hold money here. Prices are cents in the menu; amounts the model sends as JSON
numbers go through ``Decimal(str(x))`` so 0.1 + 0.2 style drift cannot reach a bill.
"""

from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

CENT = Decimal("0.01")


def format_cents(cents: int) -> str:
    """Render cents the way a bill reads them: ``$1,012.50``, ``-$3.00``."""
    sign = "-" if cents < 0 else ""
    dollars, rest = divmod(abs(cents), 100)
    return f"{sign}${dollars:,}.{rest:02d}"


def to_decimal(value: int | float | str | Decimal) -> Decimal:
    """Turn a JSON number or numeric string into an exact Decimal.

    ``str()`` first, so the float 12.5 becomes Decimal("12.5") rather than its binary
    expansion. Raises ValueError for NaN, infinities and text that is not a number.
    """
    if isinstance(value, bool):
        raise ValueError("a boolean is not an amount")
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError("amount must be a finite number")
    try:
        result = Decimal(str(value).strip())
    except InvalidOperation as exc:
        raise ValueError(f"not a number: {value!r}") from exc
    if not result.is_finite():
        raise ValueError("amount must be a finite number")
    return result


def dollars_to_cents(value: int | float | str | Decimal) -> int:
    """Dollars (as the model says them) to cents, rounding half up to the nearest cent."""
    return int((to_decimal(value) / CENT).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def percent_to_basis_points(value: int | float | str | Decimal) -> int:
    """A percentage to hundredths of a percent (15 → 1500, 12.5 → 1250), half up."""
    return int((to_decimal(value) * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def apply_basis_points(cents: int, basis_points: int) -> int:
    """``cents × basis_points / 10 000``, rounded half up in pure integers.

    Only defined for non-negative inputs, which is all a bill ever has.
    """
    if cents < 0 or basis_points < 0:
        raise ValueError("percentages apply to non-negative amounts only")
    return (cents * basis_points + 5_000) // 10_000


def format_percent(basis_points: int) -> str:
    """15% for 1500, 12.5% for 1250: no trailing zeros, since Maya reads it aloud."""
    text = f"{Decimal(basis_points) / 100:f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return f"{text}%"
