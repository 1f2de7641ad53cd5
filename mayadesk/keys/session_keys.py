"""Keys typed in "for this run only": held in this process's memory, never written anywhere.

This is the honest alternative to a plaintext fallback: when no keyring works (or the user
does not want a key saved), the app can still run with a key the user types, and the key is
gone when the process ends. Worker threads read these while the UI thread writes them, so
every access goes through one lock.
"""

from __future__ import annotations

import threading

from mayadesk.keys import redaction


class SessionKeys:
    """A thread-safe map of (profile, provider) to a key held only in memory."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._keys: dict[tuple[str, str], str] = {}

    def get(self, profile: str, provider: str) -> str | None:
        with self._lock:
            return self._keys.get((profile, provider))

    def set(self, profile: str, provider: str, key: str) -> None:
        """Hold `key` until the process ends; it is masked in logs from now on."""
        redaction.remember(key)
        with self._lock:
            self._keys[(profile, provider)] = key

    def pop(self, profile: str, provider: str) -> str | None:
        """Drop the key and return it (None when there was none)."""
        with self._lock:
            return self._keys.pop((profile, provider), None)

    def rename_profile(self, old: str, new: str) -> None:
        """Move a profile's keys with it, so a rename does not silently drop them."""
        with self._lock:
            for (profile, provider) in list(self._keys):
                if profile == old:
                    self._keys[(new, provider)] = self._keys.pop((profile, provider))

    def drop_profile(self, profile: str) -> None:
        with self._lock:
            for key in [k for k in self._keys if k[0] == profile]:
                del self._keys[key]

    def __repr__(self) -> str:
        with self._lock:
            held = sorted(f"{p}/{q}" for p, q in self._keys)
        return f"SessionKeys(held={held})"
