"""Light and dark palettes that follow the OS colour scheme.

Qt's own palette does not switch on every platform theme (plain X11 has none), so the app
applies a Fusion palette for the scheme that `QStyleHints.colorScheme()` reports and
re-applies it whenever the scheme changes.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication

Role = QPalette.ColorRole

_DARK = {
    Role.Window: "#202124", Role.WindowText: "#e8eaed", Role.Base: "#171717",
    Role.AlternateBase: "#2a2b2e", Role.ToolTipBase: "#2a2b2e", Role.ToolTipText: "#e8eaed",
    Role.Text: "#e8eaed", Role.Button: "#2d2e31", Role.ButtonText: "#e8eaed",
    Role.BrightText: "#ff6b6b", Role.Link: "#f0a35e", Role.Highlight: "#b8651b",
    Role.HighlightedText: "#ffffff", Role.PlaceholderText: "#9aa0a6",
}
_LIGHT = {
    Role.Window: "#f6f4f1", Role.WindowText: "#1f1f1f", Role.Base: "#ffffff",
    Role.AlternateBase: "#f0ede8", Role.ToolTipBase: "#ffffdc", Role.ToolTipText: "#1f1f1f",
    Role.Text: "#1f1f1f", Role.Button: "#ebe7e1", Role.ButtonText: "#1f1f1f",
    Role.BrightText: "#c62828", Role.Link: "#9a4a0b", Role.Highlight: "#c8702a",
    Role.HighlightedText: "#ffffff", Role.PlaceholderText: "#6b6b6b",
}


def is_dark(scheme: Qt.ColorScheme) -> bool:
    return scheme == Qt.ColorScheme.Dark


def palette_for(scheme: Qt.ColorScheme) -> QPalette:
    palette = QPalette()
    for role, color in (_DARK if is_dark(scheme) else _LIGHT).items():
        palette.setColor(role, QColor(color))
    disabled = QColor("#7a7a7a")
    for role in (Role.Text, Role.ButtonText, Role.WindowText):
        palette.setColor(QPalette.ColorGroup.Disabled, role, disabled)
    return palette


def current_scheme() -> Qt.ColorScheme:
    return QGuiApplication.styleHints().colorScheme()


def apply_scheme(app: QApplication, scheme: Qt.ColorScheme) -> None:
    app.setStyle("Fusion")
    app.setPalette(palette_for(scheme))
