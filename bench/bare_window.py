"""The baseline for start-up: a bare PySide6 QMainWindow, shown and left running."""

import sys

from PySide6.QtWidgets import QApplication, QMainWindow

app = QApplication(sys.argv)
window = QMainWindow()
window.setWindowTitle("BareBaseline")
window.resize(1000, 700)
window.show()
sys.exit(app.exec())
