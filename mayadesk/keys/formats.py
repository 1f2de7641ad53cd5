"""Offline checks of a key's shape, and the result type every key check returns.

The shape check catches the common mistakes (a truncated paste, the wrong provider's key, a
key with its variable name still attached) without any network, so it works on a plane and
in the CLI. It is deliberately lenient where providers have changed formats before: the
online check is the authority, the shape is a hint.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from mayadesk.keys.store import PROVIDER_NAMES, validate_provider

# Google API keys: "AIza" + 35 URL-safe base64 characters (39 in all).
GEMINI_KEY = re.compile(r"AIza[0-9A-Za-z_-]{35}")
# Cartesia keys seen in the wild: "sk_car_" + 22 base62 characters. Allow a range of lengths
# and URL-safe characters, so a future longer key is not refused by a stale rule.
CARTESIA_KEY = re.compile(r"sk_car_[0-9A-Za-z_-]{16,128}")

Category = Literal["ok", "format", "unset", "auth", "rate-limit", "network", "bad-response"]


@dataclass(frozen=True)
class CheckResult:
    """The outcome of one check, with a sentence for the user (never the key itself)."""

    ok: bool
    category: Category
    message: str


def check_format(provider: str, key: str) -> CheckResult:
    """Does `key` have the shape of a `provider` key?"""
    validate_provider(provider)
    name = PROVIDER_NAMES[provider]
    if provider == "gemini":
        if GEMINI_KEY.fullmatch(key):
            return CheckResult(True, "ok", "Looks like a Gemini key (AIza…, 39 characters).")
        return CheckResult(
            False,
            "format",
            f"Does not look like a {name} key: those start with “AIza” and are 39 characters "
            f"long (this one has {len(key)}). Copy it again from Google AI Studio.",
        )
    if CARTESIA_KEY.fullmatch(key):
        return CheckResult(True, "ok", "Looks like a Cartesia key (sk_car_…).")
    return CheckResult(
        False,
        "format",
        f"Does not look like a {name} key: those start with “sk_car_” followed by letters "
        "and digits. Copy it again from play.cartesia.ai (API keys).",
    )
