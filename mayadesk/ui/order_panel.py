"""The tab's order and bill, as the bar keeps them."""

from __future__ import annotations

from PySide6.QtWidgets import QGroupBox, QLabel, QVBoxLayout, QWidget


class OrderPanel(QGroupBox):
    """Shows the current order; empty until Maya takes one."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Your order", parent)
        self.setObjectName("orderPanel")
        layout = QVBoxLayout(self)
        self.summary = QLabel("No drinks yet.")
        self.summary.setWordWrap(True)
        layout.addWidget(self.summary)
        layout.addStretch(1)
