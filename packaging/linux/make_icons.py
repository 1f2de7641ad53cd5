"""Render the hicolor PNG icons of MayaDesk from its SVG app icon.

Why: some desktops, docks and software centres still look up fixed-size PNG icons (and
AppStream tooling wants 64x64 and 128x128 ones), so the scalable SVG alone is not enough.
The PNGs are rendered with Qt's own SVG renderer, the same one the app uses, so they look like
the icon in the window. They are kept in the repository; rerun this after changing the SVG:

    python packaging/linux/make_icons.py
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

# Render without a display server (CI, containers); must be set before Qt starts.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication, QImage, QPainter
from PySide6.QtSvg import QSvgRenderer

APP_ID = "io.github.mayadesk.MayaDesk"
SIZES: tuple[int, ...] = (16, 32, 48, 64, 128, 256, 512)

HERE = Path(__file__).resolve().parent
SOURCE = HERE.parent.parent / "resources" / "icons" / "mayadesk.svg"
HICOLOR = HERE / "icons" / "hicolor"


def render(renderer: QSvgRenderer, size: int) -> QImage:
    """Draw the SVG into a transparent, antialiased square image of `size` pixels."""
    image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
    renderer.render(painter)
    painter.end()
    return image.convertToFormat(QImage.Format.Format_ARGB32)


def main(source: Path = SOURCE, hicolor: Path = HICOLOR) -> int:
    """Copy the SVG to scalable/apps and write one PNG per size; return a process exit code."""
    # QSvgRenderer and QPainter need a Gui application object, kept alive until the end.
    _app = QGuiApplication.instance() or QGuiApplication(sys.argv[:1])
    renderer = QSvgRenderer(str(source))
    if not renderer.isValid():
        print(f"cannot read SVG icon {source}", file=sys.stderr)
        return 1

    scalable = hicolor / "scalable" / "apps"
    scalable.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, scalable / f"{APP_ID}.svg")

    for size in SIZES:
        target = hicolor / f"{size}x{size}" / "apps" / f"{APP_ID}.png"
        target.parent.mkdir(parents=True, exist_ok=True)
        if not render(renderer, size).save(str(target)):
            print(f"cannot write {target}", file=sys.stderr)
            return 1
        print(target)
    return 0


if __name__ == "__main__":
    sys.exit(main())
