"""Fixtures for the store's tests: a store in the test's own data directory, a fake clock."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from mayadesk.storage import STORE_FILE_NAME, ConversationStore
from tests.unit.storage.samples import T0


class Clock:
    """Time that moves one second per reading, so orderings by time are certain."""

    def __init__(self, start: float = T0 + 1000) -> None:
        self.now = start

    def __call__(self) -> float:
        self.now += 1.0
        return self.now


@pytest.fixture
def db_path(app_dirs: dict[str, Path]) -> Path:
    return app_dirs["data"] / "mayadesk" / STORE_FILE_NAME


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def store(db_path: Path, clock: Clock) -> Iterator[ConversationStore]:
    db_path.parent.mkdir(parents=True, exist_ok=True)
    opened = ConversationStore(db_path, clock=clock)
    yield opened
    opened.close()
