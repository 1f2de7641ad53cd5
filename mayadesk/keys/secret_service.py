"""keyring's Secret Service backend, with its D-Bus connection closed on every path.

keyring 25's `SecretService.Keyring.get_preferred_collection` opens a D-Bus connection and,
when the collection cannot be created (`InitError`) or stays locked (`KeyringLocked`),
raises without closing it. A long-running app that meets a locked keyring on every turn
would pile up sockets (and Python warns about each one). This subclass does the same steps
and closes the connection before raising; a bus that cannot be reached at all becomes
`NoKeyringError`, as it is when keyring finds no backend at start-up.

It is never offered to keyring's backend discovery (its `priority` raises), so importing it
changes nothing about which backend keyring resolves; `KeyStore` uses it in place of an
exact `SecretService.Keyring` it was handed.
"""

from __future__ import annotations

from typing import Any

import keyring.errors
from keyring.backends import SecretService
from keyring.compat import properties


class ClosingSecretService(SecretService.Keyring):
    """`SecretService.Keyring` that does not leak its connection when it fails."""

    @properties.classproperty
    def priority(cls) -> float:
        raise RuntimeError("used by MayaDesk's KeyStore directly, not by discovery")

    @classmethod
    def replacing(cls, original: SecretService.Keyring) -> ClosingSecretService:
        """An instance configured like `original` (collection, scheme)."""
        replacement = cls()
        replacement.__dict__.update(original.__dict__)
        return replacement

    def get_preferred_collection(self) -> Any:
        import secretstorage
        import secretstorage.exceptions as exceptions

        try:
            bus = secretstorage.dbus_init()
        except (OSError, exceptions.SecretServiceNotAvailableException) as error:
            raise keyring.errors.NoKeyringError("Secret Service is not reachable") from error
        try:
            try:
                if hasattr(self, "preferred_collection"):
                    collection = secretstorage.Collection(bus, self.preferred_collection)
                else:
                    collection = secretstorage.get_default_collection(bus)
            except exceptions.SecretStorageException as error:
                raise keyring.errors.InitError(f"Failed to create the collection: {error}.") \
                    from error
            if collection.is_locked():
                collection.unlock()
                if collection.is_locked():  # the prompt was dismissed
                    raise keyring.errors.KeyringLocked("Failed to unlock the collection!")
        except BaseException:
            bus.close()
            raise
        return collection
