"""`SendGate`: a prepared request waits at the socket until the turn says it may go.

Building a Gemini request is the SDK's work: converting the history, validating it, encoding
it — 6 ms alone, 8-14 ms in the app, growing with the conversation. Reading the turn's keys
from the keyring is a few milliseconds of waiting on D-Bus. Done one after the other, both
stand between Enter and the request. So a turn starts preparing its request with the
session's cached client *while* its keys are read, and the request is held here, before a
single byte is sent, until the keys say that client may be used. When they do not (a key
changed or removed, Stop pressed) the request is refused where it waits and nothing leaves
the machine.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

POLL_SECONDS = 0.02  # how often a held request looks at its own abort flag


class RequestRefused(Exception):
    """The held request may not be sent (its client is not the one the keys allow)."""


class SendGate:
    """One request's go / no-go, decided once by the turn, waited for by the sender."""

    def __init__(self) -> None:
        self._decided = threading.Event()
        self._go = False

    def open(self) -> None:
        """The keys allow this client: send."""
        self._go = True
        self._decided.set()

    def refuse(self) -> None:
        """Do not send (idempotent; after `open` it changes nothing)."""
        self._decided.set()

    @property
    def decided(self) -> bool:
        return self._decided.is_set()

    def wait(self, aborted: Callable[[], bool]) -> None:
        """Block the sending thread until decided; raise `RequestRefused` unless opened.

        `aborted` is polled so a request stopped while it waits ends at once.
        """
        while not self._decided.wait(POLL_SECONDS):
            if aborted():
                raise RequestRefused("stopped before sending")
        if not self._go:
            raise RequestRefused("not sent: the turn's keys did not allow this client")
