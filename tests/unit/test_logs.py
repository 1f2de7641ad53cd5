"""Logging: a rotating file in the log dir, quiet console unless --debug, keys masked."""

from __future__ import annotations

import logging
import logging.handlers
from collections.abc import Iterator
from pathlib import Path

import pytest

from mayadesk.logs import setup_logging


@pytest.fixture
def restore_root() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    for handler in list(root.handlers):
        if handler not in handlers:
            root.removeHandler(handler)
            handler.close()
    root.setLevel(level)
    logging.captureWarnings(False)


@pytest.mark.usefixtures("restore_root")
def test_file_is_rotating_and_console_quiet_without_debug(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    log_file = tmp_path / "log" / "mayadesk.log"
    setup_logging(log_file)
    files = [h for h in logging.getLogger().handlers
             if isinstance(h, logging.handlers.RotatingFileHandler)]
    assert len(files) == 1 and Path(files[0].baseFilename) == log_file
    assert files[0].maxBytes > 0 and files[0].backupCount > 0
    logging.getLogger("mayadesk.test").info("hello file")
    assert "hello file" in log_file.read_text()
    assert "hello file" not in capsys.readouterr().err


@pytest.mark.usefixtures("restore_root")
def test_debug_goes_to_the_console_and_keys_are_masked(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    log_file = tmp_path / "mayadesk.log"
    setup_logging(log_file, debug=True)
    key = "AIza" + "Q" * 35
    logging.getLogger("mayadesk.test").debug("request with key %s", key)
    err = capsys.readouterr().err
    assert "request with key [redacted]" in err
    assert key not in err
    assert key not in log_file.read_text()


@pytest.mark.usefixtures("restore_root")
def test_rotation_keeps_the_file_bounded(tmp_path: Path) -> None:
    log_file = tmp_path / "mayadesk.log"
    setup_logging(log_file)
    line = "x" * 1000
    for _ in range(1500):
        logging.getLogger("mayadesk.test").info(line)
    assert log_file.stat().st_size <= 1_000_000
    assert (tmp_path / "mayadesk.log.1").exists()
