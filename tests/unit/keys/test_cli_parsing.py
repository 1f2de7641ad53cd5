"""`mayadesk keys` argument handling: a key on the command line is refused and never echoed.

These run the real top-level parser in-process; tests/e2e/test_keys_cli.py runs the command.
"""

from __future__ import annotations

import pytest

from mayadesk.cli import build_parser
from mayadesk.keys.cli import EXIT_USAGE, run_keys
from mayadesk.paths import app_paths

KEY = "AIza" + "SyD_cli-parsing-test_0123456789ABCD"
PLAIN_KEY = "plainSecretValue0123456789"


@pytest.mark.parametrize(
    "argv",
    [
        ["keys", "set", "gemini", KEY],
        ["keys", "set", "gemini", "--profile", "work", PLAIN_KEY],
        ["keys", "set", KEY],
        ["keys", KEY],
        ["keys", "set", "gemini", f"--key={PLAIN_KEY}"],
        ["keys", "delete", "gemini", f"--yes={PLAIN_KEY}"],
        ["keys", "check", "gemini", "--profile", KEY],
        ["keys", "list", PLAIN_KEY],
        ["keys", "check", "--online", PLAIN_KEY, "more"],
    ],
)
def test_usage_errors_exit_2_without_echoing(
    argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    args = build_parser().parse_args(argv)  # must not exit: the keys part is parsed by us
    assert run_keys(args, app_paths()) == EXIT_USAGE
    out, err = capsys.readouterr()
    assert KEY not in out + err and PLAIN_KEY not in out + err
    assert err.startswith("mayadesk keys")


def test_key_in_argv_gets_the_explanation(capsys: pytest.CaptureFixture[str]) -> None:
    args = build_parser().parse_args(["keys", "set", "gemini", KEY])
    assert run_keys(args, app_paths()) == EXIT_USAGE
    err = capsys.readouterr().err
    assert "never taken from the command line" in err
    assert "Nothing was stored" in err


def test_unknown_provider_lists_the_valid_ones(capsys: pytest.CaptureFixture[str]) -> None:
    args = build_parser().parse_args(["keys", "check", "openai"])
    assert run_keys(args, app_paths()) == EXIT_USAGE
    assert "choose one of: gemini, cartesia" in capsys.readouterr().err


def test_help_of_an_action_exits_0(capsys: pytest.CaptureFixture[str]) -> None:
    args = build_parser().parse_args(["keys", "set", "--help"])
    assert run_keys(args, app_paths()) == 0
    assert "never from the command line" in capsys.readouterr().out
