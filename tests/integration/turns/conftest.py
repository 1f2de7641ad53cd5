"""Fixtures of the turn tests: the fake Gemini as the endpoint, and GeminiChats built by the
app's own factory (closed after each test, so no socket is left to the garbage collector)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from mayadesk.config import Settings
from mayadesk.llm.client import GeminiChat, make_llm_factory
from mayadesk.llm.turn import TOOL_DECLARATIONS
from mayadesk.sessions.session import Session
from tests.fakes.gemini import FakeGemini
from tests.helpers.turns import KEY, KEY_B


@pytest.fixture
def gemini(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeGemini]:
    with FakeGemini(accepted_keys={KEY, KEY_B}) as fake:
        monkeypatch.setenv("MAYADESK_GEMINI_BASE_URL", fake.base_url)
        yield fake
    assert fake.problems == []


@pytest.fixture
def chats(gemini: FakeGemini) -> Iterator[Callable[..., GeminiChat]]:
    """Builds GeminiChats the way the registry does, and closes them after the test."""
    made: list[GeminiChat] = []

    def make(key: str = KEY, settings: Settings | None = None, **options: Any) -> GeminiChat:
        chat = make_llm_factory(settings or Settings(), **options)(key, TOOL_DECLARATIONS)
        made.append(chat)
        return chat

    yield make
    for chat in made:
        chat.close()


@pytest.fixture
def llm(chats: Callable[..., GeminiChat]) -> GeminiChat:
    return chats()


@pytest.fixture
def session() -> Session:
    return Session()
