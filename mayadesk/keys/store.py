"""The key store: each profile's provider keys, kept only in the OS keyring.

Names are fixed (DESIGN.md "Keys"): service `mayadesk`, username `<profile>/<provider>`.
Every call may block (an unlock prompt, a slow D-Bus), so callers keep it off the UI thread.
"""

from __future__ import annotations

import hashlib
import re

import keyring
import keyring.errors

SERVICE = "mayadesk"
PROVIDERS = ("gemini", "cartesia")
PROFILE_NAME = re.compile(r"[A-Za-z0-9_-]{1,32}")


class KeyringUnavailable(Exception):
    """No working keyring: the message says what happened and what to do, in plain words."""


def username(profile: str, provider: str) -> str:
    return f"{profile}/{provider}"


def fingerprint(key: str) -> str:
    """A short, stable label for a key that reveals nothing usable about it."""
    return "fp:" + hashlib.sha256(key.encode()).hexdigest()[:8]


def describe_keyring_error(error: keyring.errors.KeyringError) -> str:
    if isinstance(error, keyring.errors.NoKeyringError):
        return (
            "No system keyring is available (no Secret Service on this session). Install and "
            "start one, e.g. GNOME Keyring or KWallet, then try again."
        )
    if isinstance(error, keyring.errors.KeyringLocked):
        return "The system keyring is locked. Unlock it (log in again or use Seahorse) and retry."
    if isinstance(error, keyring.errors.InitError):
        return (
            "The system keyring could not be opened (the unlock prompt was dismissed or could "
            "not be shown). Unlock it and try again."
        )
    return "The system keyring failed. Check that it is running and unlocked, then retry."


class KeyStore:
    """Reads and writes provider keys in the OS keyring; raises `KeyringUnavailable`."""

    def backend_name(self) -> str:
        backend = keyring.get_keyring()
        return f"{type(backend).__module__}.{type(backend).__name__}"

    def get(self, profile: str, provider: str) -> str | None:
        try:
            return keyring.get_password(SERVICE, username(profile, provider))
        except keyring.errors.KeyringError as error:
            raise KeyringUnavailable(describe_keyring_error(error)) from None
