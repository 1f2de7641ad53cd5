"""The logging redaction filter: key-shaped text and remembered keys never reach a handler."""

from __future__ import annotations

import io
import logging
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from mayadesk.keys import redaction
from mayadesk.keys.redaction import MASK, RedactionFilter, redact

GEMINI = "AIza" + "SyD_redaction-test_0123456789ABCDEF"
CARTESIA = "sk_car_" + "RedactionTest0123456789"
PLAIN = "hunter2-plain-secret-without-any-shape"


@pytest.fixture
def captured() -> Iterator[tuple[logging.Logger, io.StringIO]]:
    """A logger whose only handler carries the filter, as `mayadesk.logs` sets it up."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(levelname)s %(message)s"))
    handler.addFilter(RedactionFilter())
    logger = logging.getLogger("mayadesk.test.redaction")
    logger.propagate = False  # keep these deliberate errors away from the warnings guard
    logger.setLevel(logging.DEBUG)
    logger.addHandler(handler)
    try:
        yield logger, stream
    finally:
        logger.removeHandler(handler)
        logger.propagate = True
        redaction.forget(PLAIN)


def test_key_shapes_are_masked_in_message_and_args(
    captured: tuple[logging.Logger, io.StringIO],
) -> None:
    logger, stream = captured
    logger.info("gemini key %s in args", GEMINI)
    logger.info(f"cartesia key {CARTESIA} in the message")
    logger.info("both %s and %r", GEMINI, {"key": CARTESIA})
    out = stream.getvalue()
    assert GEMINI not in out
    assert CARTESIA not in out
    assert out.count(MASK) == 4
    assert "in args" in out and "in the message" in out


def test_remembered_key_of_any_shape_is_masked(
    captured: tuple[logging.Logger, io.StringIO],
) -> None:
    logger, stream = captured
    logger.info("before: %s", PLAIN)
    redaction.remember(PLAIN)
    logger.info("after: %s", PLAIN)
    lines = stream.getvalue().splitlines()
    assert PLAIN in lines[0]  # proves the shape rules alone would not have caught it
    assert PLAIN not in lines[1] and MASK in lines[1]


def test_exception_traceback_is_masked_and_not_rendered_again(
    captured: tuple[logging.Logger, io.StringIO],
) -> None:
    logger, stream = captured
    redaction.remember(PLAIN)

    def failing(key: str) -> None:
        raise ValueError(f"server refused {key} and {GEMINI}")

    try:
        failing(PLAIN)
    except ValueError:
        logger.exception("request failed")
    out = stream.getvalue()
    assert "Traceback" in out and "ValueError: server refused" in out
    assert PLAIN not in out and GEMINI not in out

    # A second handler formatting the same record must not re-render the raw exception.
    record = logging.LogRecord("x", logging.ERROR, __file__, 1, "m", None, None)
    try:
        failing(PLAIN)
    except ValueError:
        record.exc_info = sys.exc_info()
    RedactionFilter().filter(record)
    assert record.exc_info is None
    assert PLAIN not in logging.Formatter().format(record)


def test_stack_info_is_masked(captured: tuple[logging.Logger, io.StringIO]) -> None:
    logger, stream = captured

    def deep(key: str) -> None:
        logger.info("where am I", stack_info=True)

    deep(GEMINI)
    assert "Stack (most recent call last)" in stream.getvalue()
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "m", None, None,
                               sinfo=f"frame with {GEMINI}")
    RedactionFilter().filter(record)
    assert record.stack_info is not None and GEMINI not in record.stack_info


def test_broken_format_arguments_neither_crash_nor_leak(
    captured: tuple[logging.Logger, io.StringIO],
) -> None:
    logger, stream = captured
    logger.info("two placeholders %s %s", GEMINI)  # a bug in a caller
    out = stream.getvalue()
    assert "two placeholders" in out
    assert GEMINI not in out


def test_short_strings_are_not_remembered() -> None:
    redaction.remember("abc")
    assert redact("abc and abcdef") == "abc and abcdef"


def test_shapes_that_are_not_keys_stay() -> None:
    assert redact("AIza is a prefix; sk_car_ alone is not a key") == (
        "AIza is a prefix; sk_car_ alone is not a key"
    )


def test_setup_logging_puts_the_filter_on_the_log_file(tmp_path: Path) -> None:
    from mayadesk.logs import setup_logging

    root = logging.getLogger()
    before = list(root.handlers)
    log_file = tmp_path / "log" / "mayadesk.log"
    setup_logging(log_file)
    try:
        logging.getLogger("mayadesk.test").info("key %s and %s", GEMINI, CARTESIA)
    finally:
        for handler in list(root.handlers):
            if handler not in before:
                root.removeHandler(handler)
                handler.close()
        logging.captureWarnings(False)
    text = log_file.read_text()
    assert "key [redacted] and [redacted]" in text
    assert GEMINI not in text and CARTESIA not in text
