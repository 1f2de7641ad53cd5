"""`mayadesk keys …`: manage keys headless and offline (filled in by the keys work)."""

from __future__ import annotations

import argparse

from mayadesk.paths import AppPaths


def add_keys_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    commands.add_parser("keys", help="list, set, delete and check provider keys")


def run_keys(args: argparse.Namespace, paths: AppPaths) -> int:
    raise NotImplementedError
