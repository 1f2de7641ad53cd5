"""Money helpers: integer cents in, "$12.50" out, no float drift anywhere between."""

from __future__ import annotations

from decimal import Decimal

import pytest

from mayadesk.bar.money import (
    apply_basis_points,
    dollars_to_cents,
    format_cents,
    format_percent,
    percent_to_basis_points,
)


@pytest.mark.parametrize(
    ("cents", "text"),
    [(0, "$0.00"), (5, "$0.05"), (1250, "$12.50"), (100_000, "$1,000.00"),
     (123_456_789, "$1,234,567.89"), (-300, "-$3.00")],
)  # fmt: skip
def test_format_cents(cents: int, text: str) -> None:
    assert format_cents(cents) == text


@pytest.mark.parametrize(
    ("dollars", "cents"),
    [(5, 500), (5.5, 550), (0.1 + 0.2, 30), (19.99, 1999), (1.005, 101), ("2.675", 268),
     (Decimal("0.004"), 0), (0, 0)],
)  # fmt: skip
def test_dollars_to_cents_rounds_half_up_without_binary_error(
    dollars: float | str | Decimal, cents: int
) -> None:
    assert dollars_to_cents(dollars) == cents


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), "ten", True])
def test_dollars_to_cents_refuses_non_numbers(bad: object) -> None:
    with pytest.raises(ValueError):
        dollars_to_cents(bad)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("cents", "bp", "tip"),
    [(3750, 1500, 563), (3900, 1500, 585), (1000, 1250, 125), (1, 5000, 1), (1, 4999, 0),
     (0, 2000, 0), (12345, 10000, 12345)],
)  # fmt: skip
def test_apply_basis_points_rounds_half_up(cents: int, bp: int, tip: int) -> None:
    assert apply_basis_points(cents, bp) == tip


def test_percentages_are_exact() -> None:
    assert percent_to_basis_points(15) == 1500
    assert percent_to_basis_points(12.5) == 1250
    assert percent_to_basis_points(0.1 + 0.2) == 30
    assert format_percent(1500) == "15%"
    assert format_percent(1250) == "12.5%"
    assert format_percent(1) == "0.01%"
