"""Leak search: has a secret reached a file or an output stream?

The leak tests set keys with sentinel values, drive the app, and then call `find_leaks` over
every file under the app's config/data/state/cache roots (SQLite databases and their -wal
files included, read as bytes) and over everything the process printed. A secret can be
written in more than one encoding, so each sentinel is searched as UTF-8, UTF-16 (Qt and
some databases store text that way) and base64 at every alignment (HTTP auth headers, JSON
blobs). The report names where and in which encoding, but never quotes the sentinel, so a
failing test's output does not become a leak of its own.
"""

from __future__ import annotations

import base64
import secrets
import string
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

_TOKEN_CHARS = string.ascii_letters + string.digits


@dataclass(frozen=True)
class Leak:
    where: str
    sentinel: str  # the label, not the secret
    encoding: str

    def __str__(self) -> str:
        return f"{self.sentinel} found in {self.where} ({self.encoding})"


def make_sentinel(provider: str, *, shaped: bool = True) -> str:
    """A random key for `provider`; `shaped=False` gives one no shape rule would mask, to
    prove that remembered keys (not just key-shaped text) are kept out."""
    if not shaped:
        return "zzsentinel" + "".join(secrets.choice(_TOKEN_CHARS) for _ in range(30))
    if provider == "gemini":
        return "AIza" + "".join(secrets.choice(_TOKEN_CHARS) for _ in range(35))
    return "sk_car_" + "".join(secrets.choice(_TOKEN_CHARS) for _ in range(22))


def encodings(secret: str) -> dict[str, list[bytes]]:
    """The byte forms a secret may take when written somewhere."""
    raw = secret.encode("utf-8")
    forms = {
        "utf-8": [raw],
        "utf-16-le": [secret.encode("utf-16-le")],
        "utf-16-be": [secret.encode("utf-16-be")],
    }
    # base64 of the secret embedded at any offset: in the enclosing stream, one of raw[0:],
    # raw[1:], raw[2:] starts on a 3-byte group boundary; whole groups of it encode the same
    # whatever surrounds them.
    b64 = []
    for skip in range(3):
        chunk = raw[skip:]
        chunk = chunk[: len(chunk) - len(chunk) % 3]
        if len(chunk) >= 12:
            b64.append(base64.b64encode(chunk))
    forms["base64"] = b64
    return forms


def _files(roots: Iterable[Path]) -> Iterable[Path]:
    for root in roots:
        if root.is_file():
            yield root
        elif root.is_dir():
            yield from (p for p in sorted(root.rglob("*")) if p.is_file() and not p.is_symlink())


def find_leaks(
    sentinels: Mapping[str, str],
    roots: Iterable[Path] = (),
    outputs: Mapping[str, str | bytes] | None = None,
) -> list[Leak]:
    """Every place a sentinel occurs: files under `roots` (recursively) and `outputs`.

    `sentinels` maps a label ("gemini key") to the secret; `outputs` maps a stream's name
    ("stdout of mayadesk keys list") to what it carried.
    """
    forms = {label: encodings(secret) for label, secret in sentinels.items()}
    haystacks: list[tuple[str, bytes]] = []
    for path in _files(roots):
        haystacks.append((str(path), path.read_bytes()))
    for name, text in (outputs or {}).items():
        haystacks.append((name, text.encode("utf-8", "surrogatepass") if isinstance(text, str)
                          else text))
    found: list[Leak] = []
    for where, data in haystacks:
        for label, by_encoding in forms.items():
            for encoding, needles in by_encoding.items():
                if any(needle in data for needle in needles):
                    found.append(Leak(where, label, encoding))
    return found


def searched_files(roots: Iterable[Path]) -> list[Path]:
    """The files `find_leaks` reads under `roots` (tests assert the scope is not empty)."""
    return list(_files(roots))
