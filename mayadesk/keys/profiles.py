"""Key profiles: named sets of keys (`default`, `work`, …).

A profile's *name* is a setting (the config file's `profiles` list, so the app can list
profiles without touching the keyring); its *keys* live only in the keyring. Renaming or
deleting a profile therefore moves or removes keyring items too, which may block: call the
mutating methods off the UI thread. They are serialised by a lock, and the settings' list is
replaced, never mutated in place, so a reader on another thread always sees a whole list.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from pathlib import Path

from mayadesk.config import Settings, load_settings, save_settings
from mayadesk.keys.store import PROVIDERS, KeyStore, validate_profile_name

log = logging.getLogger("mayadesk.keys")


class ProfileError(ValueError):
    """A profile operation that cannot be done as asked (the message says why)."""


class ProfileManager:
    """Adds, renames and deletes profiles, keeping settings and keyring in step."""

    def __init__(
        self,
        store: KeyStore,
        settings: Settings,
        save: Callable[[Settings], None],
    ) -> None:
        """`settings` is the app's live settings object; `save` persists it after a change."""
        self._store = store
        self._settings = settings
        self._save = save
        self._lock = threading.RLock()

    @classmethod
    def from_file(cls, store: KeyStore, config_file: Path) -> ProfileManager:
        """For the CLI: settings read from, and saved back to, `config_file`."""
        settings = load_settings(config_file)
        return cls(store, settings, lambda s: save_settings(config_file, s))

    @property
    def settings(self) -> Settings:
        return self._settings

    def names(self) -> list[str]:
        return list(self._settings.profiles)

    @property
    def default(self) -> str:
        return self._settings.default_profile

    def exists(self, name: str) -> bool:
        return name in self._settings.profiles

    def add(self, name: str) -> None:
        with self._lock:
            validate_profile_name(name)
            if self.exists(name):
                raise ProfileError(f"A profile named {name} already exists.")
            self._settings.profiles = [*self._settings.profiles, name]
            self._save(self._settings)
            log.info("Added key profile %s", name)

    def ensure(self, name: str) -> bool:
        """Create `name` if it is new (setting a key for a new profile creates it)."""
        with self._lock:
            if self.exists(name):
                return False
            self.add(name)
            return True

    def set_default(self, name: str) -> None:
        with self._lock:
            if not self.exists(validate_profile_name(name)):
                raise ProfileError(f"There is no profile named {name}.")
            self._settings.default_profile = name
            self._save(self._settings)

    def rename(self, old: str, new: str) -> None:
        """Rename a profile, moving its keys in the keyring (blocking).

        Keys are written under the new name before the old ones are deleted, so a keyring
        failure part-way leaves a copy rather than losing a key.
        """
        with self._lock:
            validate_profile_name(new)
            if not self.exists(validate_profile_name(old)):
                raise ProfileError(f"There is no profile named {old}.")
            if old == new:
                return
            if self.exists(new):
                raise ProfileError(f"A profile named {new} already exists.")
            stored = {p: self._store.get_stored(old, p) for p in PROVIDERS}
            for provider, key in stored.items():
                if key is not None:
                    self._store.set(new, provider, key)
            for provider, key in stored.items():
                if key is not None:
                    self._store.delete(old, provider)
            self._store.session.rename_profile(old, new)
            self._settings.profiles = [new if p == old else p for p in self._settings.profiles]
            if self._settings.default_profile == old:
                self._settings.default_profile = new
            self._save(self._settings)
            log.info("Renamed key profile %s to %s", old, new)

    def delete(self, name: str) -> None:
        """Delete a profile and its keys (blocking); the default profile cannot be deleted."""
        with self._lock:
            if not self.exists(validate_profile_name(name)):
                raise ProfileError(f"There is no profile named {name}.")
            if name == self._settings.default_profile:
                raise ProfileError(
                    f"{name} is the profile new tabs use; make another profile the default "
                    "before deleting it."
                )
            for provider in PROVIDERS:
                self._store.delete(name, provider)
            self._store.session.drop_profile(name)
            self._settings.profiles = [p for p in self._settings.profiles if p != name]
            self._save(self._settings)
            log.info("Deleted key profile %s", name)
