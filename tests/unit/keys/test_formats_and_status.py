"""Offline format checks and the first-run message."""

from __future__ import annotations

import pytest

from mayadesk.keys.formats import check_format
from mayadesk.keys.status import KeyState, KeyStatus, missing_keys, missing_keys_message

GEMINI = "AIza" + "SyD_format-test_0123456789ABCDEFGHI"
# The shape of a real Cartesia key (sk_car_ + 22 base62 characters).
CARTESIA = "sk_car_" + "NbH5v8KK7dJ9rB8udKqp3Q"


def test_gemini_format() -> None:
    assert len(GEMINI) == 39
    assert check_format("gemini", GEMINI).ok
    for bad in (GEMINI[:-1], GEMINI + "x", "AIzb" + GEMINI[4:], CARTESIA, GEMINI[:-1] + "!"):
        result = check_format("gemini", bad)
        assert not result.ok and result.category == "format"
        assert bad not in result.message
    assert "this one has 38" in check_format("gemini", GEMINI[:-1]).message


def test_cartesia_format_is_lenient_about_length() -> None:
    assert check_format("cartesia", CARTESIA).ok
    assert check_format("cartesia", "sk_car_" + "a1B2" * 10).ok
    for bad in ("sk_car_short", "sk-car-" + "a" * 22, GEMINI, "sk_car_" + "a" * 15):
        assert not check_format("cartesia", bad).ok


def _statuses(gemini: KeyState, cartesia: KeyState, problem: str | None = None) -> list[KeyStatus]:
    return [
        KeyStatus("default", "gemini", gemini, None, problem),
        KeyStatus("default", "cartesia", cartesia, None, problem),
        KeyStatus("work", "gemini", KeyState.NOT_SET),
    ]


def test_nothing_missing_means_no_message() -> None:
    assert missing_keys_message(_statuses(KeyState.SET, KeyState.THIS_RUN), "default") is None
    assert missing_keys(_statuses(KeyState.SET, KeyState.SET), "default") == []


@pytest.mark.parametrize(
    ("gemini", "cartesia", "expected"),
    [
        (KeyState.NOT_SET, KeyState.NOT_SET, ["needs a Gemini key", "local voice", "add them"]),
        (KeyState.NOT_SET, KeyState.SET, ["needs a Gemini key", "add it"]),
        (KeyState.SET, KeyState.NOT_SET, ["No Cartesia key", "local voice"]),
    ],
)
def test_missing_keys_message_says_what_is_missing(
    gemini: KeyState, cartesia: KeyState, expected: list[str]
) -> None:
    message = missing_keys_message(_statuses(gemini, cartesia), "default")
    assert message is not None
    for words in expected:
        assert words in message
    assert "Settings → Keys" in message


def test_unavailable_keyring_message_offers_a_key_for_this_run() -> None:
    problem = "The system keyring is locked. Unlock it and retry."
    statuses = _statuses(KeyState.UNAVAILABLE, KeyState.UNAVAILABLE, problem)
    message = missing_keys_message(statuses, "default")
    assert message is not None
    assert message.startswith(problem)
    assert "for this run only" in message
    assert missing_keys(statuses, "default") == ["gemini", "cartesia"]
