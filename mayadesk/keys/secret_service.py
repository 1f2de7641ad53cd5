"""keyring's Secret Service backend, with its D-Bus connection closed on every path.

keyring 25's `SecretService.Keyring.get_preferred_collection` opens a D-Bus connection and,
when the collection cannot be created (`InitError`) or stays locked (`KeyringLocked`),
raises without closing it. A long-running app that meets a locked keyring on every turn
would pile up sockets (and Python warns about each one). This subclass does the same steps
and closes the connection before raising; a bus that cannot be reached at all becomes
`NoKeyringError`, as it is when keyring finds no backend at start-up.

It also keeps one D-Bus connection and one encrypted session open for reads: keyring opens
a new connection and negotiates a new Diffie-Hellman session for every `get_password`
(~13 ms here, two keys per turn), and a turn cannot start before it has its keys. Reads go
through the open connection (~1 ms); any failure on it closes it and the read is done the
stock way, which raises keyring's own errors (locked, no service). Only the transport is
kept, never a secret: every read asks the daemon, so a key changed by another program is
what the next read returns.

It is never offered to keyring's backend discovery (its `priority` raises), so importing it
changes nothing about which backend keyring resolves; `KeyStore` uses it in place of an
exact `SecretService.Keyring` it was handed.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from typing import Any

import keyring.errors
from keyring.backends import SecretService
from keyring.compat import properties


class ClosingSecretService(SecretService.Keyring):
    """`SecretService.Keyring` that does not leak its connection when it fails."""

    @properties.classproperty
    def priority(cls) -> float:
        raise RuntimeError("used by MayaDesk's KeyStore directly, not by discovery")

    _reader_lock = threading.Lock()
    _reader: Any = None  # the open collection (its connection and session) for fast reads

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

    def get_password(self, service: str, username: str) -> str | None:
        """The stored password, read over the kept connection when it works."""
        answered, password = self.fast_password(service, username)
        if answered:
            return password
        stock: str | None = super().get_password(service, username)
        return stock

    def fast_password(self, service: str, username: str) -> tuple[bool, str | None]:
        """(True, password or None) when the kept connection could answer; (False, None)
        when only the stock path can (locked, no service...). Never prompts, never blocks
        on the user, so any thread may ask."""
        found = self.fast_passwords(service, [username])
        return (False, None) if found is None else (True, found[0])

    def fast_passwords(self, service: str, usernames: Sequence[str]) -> list[str | None] | None:
        """The passwords of several usernames in two D-Bus round trips, or None when only
        the stock path can answer (locked, no service, an item that needs unlocking...).

        A turn needs two keys before it can send anything, and each round trip is a wait
        for the GIL when the window is busy painting the message just sent: the item-by-item
        way (search, "is it locked?", get the secret: three per key) cost 6-9 ms at Enter.
        Here the searches are pipelined, then one `GetSecrets` reads every item found.
        Every call asks the daemon; nothing is cached between calls.
        """
        with self._reader_lock:
            collection = self._open_reader()
            if collection is None:
                return None
            try:
                return _read_secrets(collection, [self._query(service, u) for u in usernames])
            except Exception:  # locked, daemon restarted...: the stock path says what
                self._close_reader()
                return None

    def close(self) -> None:
        """Close the kept connection (at exit; a later read opens a new one)."""
        with self._reader_lock:
            self._close_reader()

    def __del__(self) -> None:  # a store dropped without close() leaves no socket behind
        self._close_reader()

    def _open_reader(self) -> Any:
        if self._reader is not None:
            return self._reader
        import secretstorage
        from secretstorage.util import open_session

        try:
            bus = secretstorage.dbus_init()
        except Exception:
            return None
        try:
            if hasattr(self, "preferred_collection"):
                collection = secretstorage.Collection(bus, self.preferred_collection)
            else:
                collection = secretstorage.get_default_collection(bus)
            if collection.is_locked():  # unlocking (a prompt) is the stock path's job
                bus.close()
                return None
            collection.session = open_session(bus)
        except Exception:
            bus.close()
            return None
        self._reader = collection
        return collection

    def _close_reader(self) -> None:
        collection, self._reader = self._reader, None
        if collection is not None:
            collection.connection.close()


class _NeedsStockPath(Exception):
    """An item the kept connection may not read (locked): the stock path unlocks or says why."""


def _read_secrets(collection: Any, queries: Sequence[Mapping[str, str]]) -> list[str | None]:
    """The first matching item's secret per query, over `collection`'s connection and
    session: all searches sent before any reply is read, then one `GetSecrets`."""
    from jeepney import MessageType, new_method_call
    from jeepney.low_level import HeaderFields
    from secretstorage.defines import SS_PATH
    from secretstorage.util import SERVICE_IFACE, DBusAddressWrapper

    connection = collection.connection
    searches: dict[int, int] = {}
    for index, query in enumerate(queries):
        serial = next(connection.outgoing_serial)
        message = new_method_call(collection._collection, "SearchItems", "a{ss}", (dict(query),))
        connection.send(message, serial=serial)
        searches[serial] = index
    paths: list[str | None] = [None] * len(queries)
    while searches:
        reply = connection.receive(timeout=_REPLY_TIMEOUT)
        index = searches.pop(reply.header.fields.get(HeaderFields.reply_serial, -1), -1)
        if index < 0:
            continue  # a signal or a stray reply: not ours
        if reply.header.message_type == MessageType.error:
            raise _NeedsStockPath(reply.header.fields.get(HeaderFields.error_name))
        found = reply.body[0]
        paths[index] = found[0] if found else None
    wanted = [path for path in paths if path is not None]
    if not wanted:
        return [None] * len(queries)
    service = DBusAddressWrapper(SS_PATH, SERVICE_IFACE, connection)
    (secrets,) = service.call("GetSecrets", "aoo", wanted, collection.session.object_path)
    if any(path not in secrets for path in wanted):
        raise _NeedsStockPath("an item is locked")
    return [
        None if path is None else _decrypt(collection.session, secrets[path]).decode("utf-8")
        for path in paths
    ]


def _decrypt(session: Any, secret: tuple[str, bytes, bytes, str]) -> bytes:
    """A `GetSecrets` value in clear, as secretstorage's `Item.get_secret` decrypts it."""
    if not session.encrypted:
        return bytes(secret[2])
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

    decryptor = Cipher(algorithms.AES(session.aes_key), modes.CBC(bytes(secret[1]))).decryptor()
    padded = decryptor.update(bytes(secret[2])) + decryptor.finalize()
    return padded[: -padded[-1]]


_REPLY_TIMEOUT = 5.0  # seconds; the daemon answers in about a millisecond
