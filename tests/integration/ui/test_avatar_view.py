"""Maya's face: six drawn expressions that are really different pictures."""

from __future__ import annotations

import itertools

import numpy as np
from PySide6.QtGui import QImage
from pytestqt.qtbot import QtBot

from mayadesk.ui.avatar_view import EMOTIONS, AvatarView


def pixels(view: AvatarView) -> np.ndarray:
    image = view.pixmap().toImage().convertToFormat(QImage.Format.Format_RGBA8888)
    data = np.frombuffer(image.constBits(), dtype=np.uint8)
    return data.reshape(image.height(), image.bytesPerLine())[:, : image.width() * 4].astype(int)


def test_each_emotion_is_a_distinct_drawing(qtbot: QtBot) -> None:
    view = AvatarView()
    qtbot.addWidget(view)
    drawn = {}
    for emotion in EMOTIONS:
        view.set_emotion(emotion)
        assert view.emotion == emotion
        image = pixels(view)
        assert (image[:, 3::4] > 0).mean() > 0.5  # mostly painted, not blank
        drawn[emotion] = image
    for a, b in itertools.combinations(EMOTIONS, 2):
        changed = (np.abs(drawn[a] - drawn[b]).max(axis=1) > 40).mean()
        assert np.abs(drawn[a] - drawn[b]).mean() > 1.0, f"{a} and {b} look the same"
        assert changed > 0.05, f"{a} and {b} differ too little"


def test_unknown_emotion_shows_the_neutral_face(qtbot: QtBot) -> None:
    view = AvatarView()
    qtbot.addWidget(view)
    neutral = pixels(view)
    view.set_emotion("happy")
    view.set_emotion("ecstatic")
    assert view.emotion == "neutral"
    assert np.array_equal(pixels(view), neutral)
    assert "neutral" in view.accessibleName()


def test_views_share_one_drawing_per_emotion(qtbot: QtBot) -> None:
    """A hundred tabs must not hold a hundred copies of the same face."""
    one, two = AvatarView(), AvatarView()
    qtbot.addWidget(one)
    qtbot.addWidget(two)
    one.set_emotion("happy")
    two.set_emotion("happy")

    assert one.pixmap().cacheKey() == two.pixmap().cacheKey()
    two.set_emotion("upset")
    assert one.pixmap().cacheKey() != two.pixmap().cacheKey()
