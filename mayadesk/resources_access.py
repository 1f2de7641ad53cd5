"""Access to the files in `resources/`, wherever the app was installed or bundled."""

from __future__ import annotations

from importlib import resources
from importlib.resources.abc import Traversable


def resource(*parts: str) -> Traversable:
    """Return a resource under `mayadesk.resources` (e.g. `resource("icons", "mayadesk.svg")`)."""
    node = resources.files("mayadesk.resources")
    for part in parts:
        node = node / part
    return node


def read_bytes(*parts: str) -> bytes:
    return resource(*parts).read_bytes()
