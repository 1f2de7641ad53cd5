"""The tab's order and bill as the bar keeps them, with the tip buttons."""

from __future__ import annotations

import html
from decimal import Decimal

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from mayadesk.bar.money import format_cents
from mayadesk.bar.order import OrderLine
from mayadesk.bar.state import BarSnapshot

TIP_PRESETS = (10, 15, 20)


class OrderPanel(QGroupBox):
    """Shows what is ordered, what is on the bill, the tip and the balance.

    Signals:
        tip_pressed(int): a tip button (10, 15 or 20 %) was pressed; a second press removes it.
    """

    tip_pressed = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Your tab", parent)
        self.setObjectName("orderPanel")
        self.summary = QLabel("No drinks yet.")
        self.summary.setObjectName("orderSummary")
        self.summary.setWordWrap(True)
        self.totals = QLabel()
        self.totals.setObjectName("orderTotals")
        self.totals.setWordWrap(True)
        self.tip_buttons: dict[int, QPushButton] = {}
        tips = QHBoxLayout()
        tips.addWidget(QLabel("Tip:"))
        self._tip_group = QButtonGroup(self)
        self._tip_group.setExclusive(False)
        for percent in TIP_PRESETS:
            button = QPushButton(f"{percent}%")
            button.setCheckable(True)
            button.setToolTip(f"Add a {percent}% tip (press again to remove it)")
            button.clicked.connect(lambda _checked=False, p=percent: self._on_tip_clicked(p))
            self.tip_buttons[percent] = button
            tips.addWidget(button)
        self.problem = QLabel()
        self.problem.setWordWrap(True)
        self.problem.hide()
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addWidget(self.totals)
        layout.addLayout(tips)
        layout.addWidget(self.problem)
        layout.addStretch(1)

    def show_snapshot(self, snapshot: BarSnapshot) -> None:
        parts = []
        if snapshot.order:
            parts.append(
                f"<b>Ordering</b><br>{_lines(snapshot.order)}<br>"
                f"<i>Order {format_cents(snapshot.order_subtotal_cents)}, not placed yet</i>"
            )
        if snapshot.bill:
            parts.append(f"<b>On your bill</b><br>{_lines(snapshot.bill)}")
        self.summary.setText("<br><br>".join(parts) if parts else "No drinks yet.")
        tip = format_cents(snapshot.tip_cents)
        if snapshot.tip_percent is not None:
            tip += f" ({_percent(snapshot.tip_percent)}%)"
        self.totals.setText(
            f"Subtotal {format_cents(snapshot.subtotal_cents)}<br>Tip {tip}<br>"
            f"<b>Total {format_cents(snapshot.total_cents)}</b><br>"
            f"Balance {format_cents(snapshot.balance_cents)}"
        )
        for percent, button in self.tip_buttons.items():
            button.setChecked(
                snapshot.tip_percent is not None and snapshot.tip_percent == percent
            )
        self.problem.hide()

    def show_problem(self, text: str) -> None:
        self.problem.setText(text)
        self.problem.show()

    def _on_tip_clicked(self, percent: int) -> None:
        self.tip_pressed.emit(percent)


def _lines(lines: tuple[OrderLine, ...]) -> str:
    return "<br>".join(
        f"{html.escape(line.describe())} — {format_cents(line.line_cents)}" for line in lines
    )


def _percent(value: Decimal) -> str:
    return f"{value.normalize():f}"
