"""Keyed hashes of API keys, so the registry can notice a changed key without keeping it.

A bare SHA-256 of a key is as good as the key to anyone who can guess candidates offline (API
keys have a fixed prefix and a known alphabet), so a digest that reached a log or a crash dump
would be a liability. A hash keyed by a random secret that lives only in this process's memory
is useless outside it and differs from run to run.

The registry compares such a hash on every cache hit, and a hit must cost about as little as a
dict lookup (issue 4: at most twice a plain lookup under a lock). Any `hashlib` call — even a
one-block keyed BLAKE2b — costs as much as that whole lookup, because allocating the hash
object dominates. So the hash compared on a hit is the *tag*: Python's own string hash. Since
3.4 that is SipHash (SipHash-1-3 since 3.11), a keyed PRF under a 128-bit secret the
interpreter draws at random at start-up, and a `str` caches it, so a worker that hands in the
same key object turn after turn pays nothing for it and a new object pays one short SipHash.
Its 64 bits make two different keys of one session look alike with probability 2**-64 — far
below anything else that can go wrong with a key change.

When the interpreter's hash secret is not random (`PYTHONHASHSEED` set to a number, as some
test runners and reproducible builds do), its string hash is as good as bare, and the tag is
the keyed BLAKE2b-128 `digest` instead: slower, still keyed by this process's own secret.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import sys
from collections.abc import Callable, Hashable

SECRET_BYTES = 32  # BLAKE2b takes keys of up to 64 bytes; 256 bits is plenty
DIGEST_BYTES = 16


def str_hash_is_secret() -> bool:
    """Whether this interpreter's `hash(str)` is keyed by a secret drawn at random at start-up.

    The environment is read as it is now; `PYTHONHASHSEED` only takes effect at start-up,
    and nothing in MayaDesk changes it.
    """
    seed = os.environ.get("PYTHONHASHSEED", "")
    return bool(sys.flags.hash_randomization) and seed in ("", "random")


class KeyHasher:
    """Keyed hashes of keys under a per-instance random secret (see the module docstring).

    `digest` is keyed BLAKE2b-128, a MAC in its own right (BLAKE2 takes the key as a first
    block, no HMAC construction needed), from a pre-keyed state that is copied per call.
    `tag` is what the registry compares: the interpreter's secret-keyed string hash when that
    is random, else `digest`.
    """

    __slots__ = ("_keyed", "tag")

    def __init__(self, secret: bytes | None = None, *, use_str_hash: bool | None = None) -> None:
        """Use `secret` (tests only) or, by default, fresh bytes from `secrets.token_bytes`.

        `use_str_hash` (tests only) overrides `str_hash_is_secret()`.
        """
        if secret is None:
            secret = secrets.token_bytes(SECRET_BYTES)
        self._keyed = hashlib.blake2b(key=secret, digest_size=DIGEST_BYTES)
        if use_str_hash is None:
            use_str_hash = str_hash_is_secret()
        # An instance attribute, so a hit calls the builtin directly, with no wrapper frame.
        self.tag: Callable[[str], Hashable] = hash if use_str_hash else self.digest

    def digest(self, key: str) -> bytes:
        """Return BLAKE2b-128 of `key` (UTF-8) keyed with the secret.

        `surrogatepass` so that no key, however odd, can raise an encoding error whose
        exception object would carry the whole key up the stack.
        """
        keyed = self._keyed.copy()
        keyed.update(key.encode("utf-8", "surrogatepass"))
        return keyed.digest()

    def __repr__(self) -> str:
        return "KeyHasher(secret=<hidden>)"

