"""Logging: named loggers under `mayadesk`, a rotating file in the log dir, stderr for problems.

Every handler carries the redaction filter, so a key that slips into a message or an
exception is masked before it is written anywhere.
"""

from __future__ import annotations

import logging
import logging.handlers
from pathlib import Path

LOG_FORMAT = "%(asctime)s %(levelname)-7s %(name)s: %(message)s"
MAX_LOG_BYTES = 1_000_000
LOG_BACKUPS = 5


def setup_logging(log_file: Path | None, *, debug: bool = False) -> None:
    """Configure the root logger once for the process (CLI or GUI).

    The file gets INFO (DEBUG with `--debug`); the console gets only warnings unless
    `--debug` asks for everything, so a normal launch stays quiet in the terminal.
    """
    from mayadesk.keys.redaction import redaction_filter

    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, "_mayadesk", False):
            root.removeHandler(handler)
            handler.close()
    root.setLevel(logging.DEBUG if debug else logging.INFO)
    formatter = logging.Formatter(LOG_FORMAT)

    console = logging.StreamHandler()
    console.setLevel(logging.DEBUG if debug else logging.WARNING)
    handlers: list[logging.Handler] = [console]
    if log_file is not None:
        log_file.parent.mkdir(parents=True, exist_ok=True)
        handlers.append(
            logging.handlers.RotatingFileHandler(
                log_file, maxBytes=MAX_LOG_BYTES, backupCount=LOG_BACKUPS, encoding="utf-8"
            )
        )
    for handler in handlers:
        handler.setFormatter(formatter)
        handler.addFilter(redaction_filter())
        handler._mayadesk = True  # type: ignore[attr-defined]
        root.addHandler(handler)
    logging.captureWarnings(True)
