"""Settings (Ctrl+,): one page per topic; pages join as their services become ready.

General is there from the first frame; Keys joins once the key store is built, Voice and
Microphone once the audio output exists (mayadesk/app.py `add_voice_pages`).
"""

from __future__ import annotations

from PySide6.QtCore import QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from mayadesk.paths import AppPaths


class SettingsDialog(QDialog):
    """The settings window; the General page says where MayaDesk keeps its files."""

    def __init__(self, paths: AppPaths, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("settingsDialog")
        self.setWindowTitle("Settings — MayaDesk")
        self.pages = QTabWidget()
        self.pages.addTab(self._general_page(paths), "General")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.pages)
        layout.addWidget(buttons)
        self.resize(640, 480)

    def add_page(self, page: QWidget, title: str) -> None:
        self.pages.addTab(page, title)

    def has_page(self, title: str) -> bool:
        return any(self.pages.tabText(i) == title for i in range(self.pages.count()))

    def show_page(self, title: str) -> bool:
        """Bring the page named `title` to front; False when there is no such page."""
        for index in range(self.pages.count()):
            if self.pages.tabText(index) == title:
                self.pages.setCurrentIndex(index)
                return True
        return False

    def _general_page(self, paths: AppPaths) -> QWidget:
        page = QWidget()
        form = QFormLayout(page)
        for label, directory in (
            ("Settings", paths.config),
            ("Conversations", paths.data),
            ("Logs", paths.log),
            ("Cache", paths.cache),
        ):
            row = QHBoxLayout()
            shown = QLabel(str(directory))
            shown.setTextInteractionFlags(shown.textInteractionFlags().TextSelectableByMouse)
            opener = QPushButton("Open")
            opener.setToolTip(f"Open {directory}")
            opener.clicked.connect(
                lambda _=False, d=directory: QDesktopServices.openUrl(QUrl.fromLocalFile(str(d)))
            )
            row.addWidget(shown, 1)
            row.addWidget(opener)
            form.addRow(label, row)
        return page
