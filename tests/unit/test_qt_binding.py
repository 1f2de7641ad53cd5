"""The Qt binding keeps Python's reference counts straight.

PySide6 6.12.0 dropped a reference to None on every call of a method that returns nothing;
on Python 3.11 a window making a few thousand such calls then aborted the whole app. This
guards every upgrade of the binding.
"""

from __future__ import annotations

import sys
from collections.abc import Callable

import pytest
from PySide6.QtCore import QCoreApplication, QObject, Signal
from PySide6.QtWidgets import QApplication, QLabel
from pytestqt.qtbot import QtBot


class _Emitter(QObject):
    text = Signal(str)


@pytest.mark.parametrize(
    "name", ["processEvents", "setText", "setEnabled", "sendPostedEvents", "emit"]
)
def test_calls_returning_nothing_keep_none_alive(qapp: QApplication, qtbot: QtBot,
                                                 name: str) -> None:
    label = QLabel()
    qtbot.addWidget(label)
    emitter = _Emitter()
    emitter.text.connect(label.setText)
    calls: dict[str, Callable[[], object]] = {
        "processEvents": qapp.processEvents,
        "setText": lambda: label.setText("x"),
        "setEnabled": lambda: label.setEnabled(True),
        "sendPostedEvents": QCoreApplication.sendPostedEvents,
        "emit": lambda: emitter.text.emit("y"),
    }
    call = calls[name]
    before = sys.getrefcount(None)
    for _ in range(500):
        call()
    assert sys.getrefcount(None) - before > -100, f"{name} leaks references to None"
