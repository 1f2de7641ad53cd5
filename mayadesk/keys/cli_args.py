"""The `keys` subcommand's place in the top-level parser, without the keyring behind it.

Building `mayadesk --help` or opening the window must not import `keyring` (50 ms and more
of start-up), so the parser side lives here and `mayadesk.keys.cli` does the work.
"""

from __future__ import annotations

import argparse
from typing import Any

KEYS_HELP = """\
actions:
  list                                   profiles, providers, set/unset and fingerprints
  set PROVIDER [--profile P]             store a key, read from stdin or a hidden prompt
  delete PROVIDER [--profile P] [--yes]  remove a key (asks for confirmation)
  check [PROVIDER] [--profile P] [--online]
                                         validate keys offline (and online, if asked)

providers: gemini, cartesia. Keys live only in the system keyring, never in files.
exit codes: 0 ok, 1 a check failed or a key is not set, 2 usage error, 3 keyring unavailable.
"""


def add_keys_parser(commands: argparse._SubParsersAction[Any]) -> None:
    """Register `keys`; its action and arguments are parsed by `run_keys`, see module doc."""
    keys = commands.add_parser(
        "keys",
        help="list, set, delete and check provider keys",
        description="Manage the Gemini and Cartesia keys MayaDesk uses.",
        usage="mayadesk keys {list,set,delete,check} ...",
        epilog=KEYS_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    keys.add_argument("keys_action", nargs="?", metavar="ACTION", help=argparse.SUPPRESS)
    keys.add_argument("keys_args", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)
