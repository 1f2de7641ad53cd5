"""Command-line entry point: the window by default, `doctor` and `keys` as subcommands.

Exit codes (fixed, see DESIGN.md): 0 ok · 1 a check failed or a key is not set ·
2 usage error · 3 keyring unavailable.
"""

from __future__ import annotations

import argparse
import re
import sys
from typing import NoReturn

from mayadesk import APP_DISPLAY_NAME, __version__

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_KEYRING = 0, 1, 2, 3
COMMANDS = ("doctor", "keys")


class _Parser(argparse.ArgumentParser):
    """argparse repeats a mistyped argument in its error; that argument may be a key."""

    def error(self, message: str) -> NoReturn:
        known = {f"'{name}'" for name in COMMANDS}

        def hide(match: re.Match[str]) -> str:
            return match.group(0) if match.group(0) in known else "(not shown)"

        shown = re.sub(r"'[^']*'", hide, message)
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"{self.prog}: error: {shown}\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="mayadesk",
        description=f"{APP_DISPLAY_NAME}: Maya, a voice-driven bartender on your desktop. "
        "With no command, opens the window.",
    )
    parser.add_argument("--version", action="version", version=f"mayadesk {__version__}")
    parser.add_argument("--debug", action="store_true", help="log everything, also to stderr")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    commands.add_parser(
        "doctor", help="print what MayaDesk sees (screen, audio, keyring, paths, versions)"
    )
    from mayadesk.keys.cli_args import add_keys_parser

    add_keys_parser(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    args_list = sys.argv[1:] if argv is None else argv
    parser = build_parser()
    try:
        args = parser.parse_args(args_list)
    except SystemExit as exit_:  # argparse exits 2 on usage errors, 0 for --help/--version
        return int(exit_.code or 0)

    from mayadesk.logs import setup_logging
    from mayadesk.paths import app_paths

    paths = app_paths()
    setup_logging(paths.log_file, debug=args.debug)
    if args.command == "doctor":
        from mayadesk.doctor import run_doctor

        return run_doctor(paths)
    if args.command == "keys":
        from mayadesk.keys.cli import run_keys

        return run_keys(args, paths)
    from mayadesk.app import run_gui

    return run_gui([sys.argv[0]])
