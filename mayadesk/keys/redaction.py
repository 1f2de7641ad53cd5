"""Masking of secrets in log records, so no handler ever writes a key.

Anything shaped like a Gemini key (`AIza` + 35 characters) or a Cartesia key (`sk_car_…`)
is masked, and so is every key the app currently holds (registered with `remember`),
whatever its shape.
"""

from __future__ import annotations

import logging
import re
import threading

MASK = "[redacted]"
_KEY_SHAPES = re.compile(r"AIza[0-9A-Za-z_\-]{35}|sk_car_[0-9A-Za-z_\-]+")
_MIN_REMEMBERED = 8  # shorter strings would mask ordinary words

_known: set[str] = set()
_known_lock = threading.Lock()


def remember(secret: str) -> None:
    """Mask `secret` from now on wherever it appears in a log record."""
    secret = secret.strip()
    if len(secret) >= _MIN_REMEMBERED:
        with _known_lock:
            _known.add(secret)


def forget(secret: str) -> None:
    """Stop masking `secret` (tests only: a replaced key may still be in flight, so the app
    keeps masking every key it has held until it exits)."""
    with _known_lock:
        _known.discard(secret.strip())


def redact(text: str) -> str:
    """Return `text` with every known or key-shaped secret replaced by a mask."""
    with _known_lock:
        known = sorted(_known, key=len, reverse=True)
    for secret in known:
        if secret in text:
            text = text.replace(secret, MASK)
    return _KEY_SHAPES.sub(MASK, text)


class RedactionFilter(logging.Filter):
    """Rewrites a record's message (arguments and exception text included) masked.

    Sits on every handler (see `mayadesk.logs`), so it runs before anything is written. The
    traceback is rendered here, masked, and `exc_info` dropped, so no later formatter or
    handler can render the raw exception (whose message or locals may hold a key) again.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a bad format string must not stop the record, or leak its args
            message = f"{record.msg} {record.args!r}"
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        record.exc_info = None
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        record.msg = redact(message)
        record.args = None
        return True


_filter = RedactionFilter()


def redaction_filter() -> RedactionFilter:
    """The one filter instance, so setting logging up twice does not stack filters."""
    return _filter
