"""Maya's face: one drawn SVG per emotion, rendered crisp at the widget's pixel ratio."""

from __future__ import annotations

import logging

from PySide6.QtCore import QByteArray, QSize, Qt
from PySide6.QtGui import QPainter, QPixmap
from PySide6.QtSvg import QSvgRenderer
from PySide6.QtWidgets import QLabel, QSizePolicy, QWidget

from mayadesk.resources_access import read_bytes

log = logging.getLogger("mayadesk.ui")

EMOTIONS = ("neutral", "happy", "flustered", "thinking", "mixing", "upset")
AVATAR_SIZE = 160

_faces: dict[tuple[str, float], QPixmap] = {}


def face(emotion: str, ratio: float) -> QPixmap:
    """Maya's drawing of `emotion` for a screen of device pixel ratio `ratio`.

    Drawn once and shared by every tab: a QPixmap copy shares its pixels, so 100 tabs that
    show the same face hold one 100 KB image instead of one each, and a new tab does not
    parse and render the SVG again. GUI thread only, like every QPixmap.
    """
    pixmap = _faces.get((emotion, ratio))
    if pixmap is None:
        renderer = QSvgRenderer(QByteArray(read_bytes("avatars", f"{emotion}.svg")))
        pixmap = QPixmap(QSize(AVATAR_SIZE, AVATAR_SIZE) * ratio)
        pixmap.fill(Qt.GlobalColor.transparent)
        painter = QPainter(pixmap)
        renderer.render(painter)
        painter.end()
        pixmap.setDevicePixelRatio(ratio)
        _faces[(emotion, ratio)] = pixmap
    return pixmap


class AvatarView(QLabel):
    """Shows Maya with the expression of the tab's current emotion."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("avatar")
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setMinimumSize(QSize(AVATAR_SIZE, AVATAR_SIZE))
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)
        self.emotion = ""
        self.set_emotion("neutral")

    def set_emotion(self, emotion: str) -> None:
        """Show `emotion`'s drawing; anything unknown shows the neutral face."""
        emotion = emotion if emotion in EMOTIONS else "neutral"
        if emotion == self.emotion:
            return
        self.emotion = emotion
        self.setAccessibleName(f"Maya looks {emotion}")
        self.setToolTip(f"Maya looks {emotion}")
        self.setPixmap(face(emotion, self.devicePixelRatioF()))
