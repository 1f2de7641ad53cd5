"""`mayadesk keys …`: manage keys headless and offline.

    mayadesk keys list
    mayadesk keys set PROVIDER [--profile P]          key from stdin (piped) or a hidden prompt
    mayadesk keys delete PROVIDER [--profile P] [--yes]
    mayadesk keys check [PROVIDER] [--profile P] [--online]

Exit codes (fixed, DESIGN.md): 0 ok · 1 a check failed or a key is not set · 2 usage error ·
3 keyring unavailable. Messages go to stderr; `list` and `check` results to stdout.

A key typed on the command line would sit in shell history and in every process listing, so
`set` refuses one. argparse's own errors repeat what was typed ("unrecognized arguments:
<KEY>"), so everything after `keys ACTION` is parsed here by a parser whose errors never
quote the user's input.
"""

from __future__ import annotations

import argparse
import getpass
import logging
import re
import sys
from collections.abc import Sequence
from typing import NoReturn, TextIO

from mayadesk.keys import redaction
from mayadesk.keys.cli_args import KEYS_HELP, add_keys_parser
from mayadesk.keys.formats import CheckResult, check_format
from mayadesk.keys.profiles import ProfileManager
from mayadesk.keys.status import KeyState, read_status
from mayadesk.keys.store import (
    PROVIDER_NAMES,
    PROVIDERS,
    InvalidKey,
    InvalidProfileName,
    KeyringUnavailable,
    KeyStore,
    UnknownProvider,
    fingerprint,
    validate_profile_name,
    validate_provider,
)
from mayadesk.paths import AppPaths

__all__ = ["add_keys_parser", "run_keys"]

log = logging.getLogger("mayadesk.keys")

# The same values as `mayadesk.cli` (fixed by DESIGN.md); kept here so this module does not
# import the top-level CLI that imports it.
EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_KEYRING = 0, 1, 2, 3
ACTIONS = ("list", "set", "delete", "check")
_QUOTED = re.compile(r"'[^']*'|\"[^\"]*\"")



class UsageError(Exception):
    """A command-line mistake; its message never quotes what the user typed."""


class _SafeParser(argparse.ArgumentParser):
    """An ArgumentParser whose errors never repeat the user's input, which may be a key."""

    def __init__(self, prog: str, description: str) -> None:
        super().__init__(prog=prog, description=description, allow_abbrev=False,
                         exit_on_error=False)

    def error(self, message: str) -> NoReturn:
        raise UsageError(redaction.redact(_QUOTED.sub("(not shown)", message)))


def _parser(action: str) -> _SafeParser:
    if action == "list":
        parser = _SafeParser("mayadesk keys list", "Show each profile's keys: set or not, "
                             "and a short fingerprint (never the key).")
        parser.add_argument("unexpected", nargs="*", help=argparse.SUPPRESS)
        return parser
    if action == "set":
        parser = _SafeParser(
            "mayadesk keys set",
            "Store a key in the system keyring. The key is read from stdin when piped (one "
            "line) or from a hidden prompt, never from the command line.",
        )
        profile_help = "key profile (default: the default profile); a new name creates it"
    elif action == "delete":
        parser = _SafeParser("mayadesk keys delete", "Remove a key from the system keyring.")
        parser.add_argument("--yes", action="store_true", help="do not ask for confirmation")
        profile_help = "key profile (default: the default profile)"
    else:
        parser = _SafeParser(
            "mayadesk keys check",
            "Validate keys offline (their format) and, with --online, with one cheap request "
            "to each provider.",
        )
        parser.add_argument("--online", action="store_true",
                            help="also ask each provider whether it accepts the key")
        profile_help = "key profile (default: all profiles)"
    optional = action == "check"
    parser.add_argument("provider", metavar="PROVIDER", nargs="?" if optional else None,
                        help="gemini or cartesia" + (" (default: both)" if optional else ""))
    parser.add_argument("--profile", metavar="P", help=profile_help)
    parser.add_argument("unexpected", nargs="*", help=argparse.SUPPRESS)
    return parser


def _say(message: str) -> None:
    print(message, file=sys.stderr)


def run_keys(args: argparse.Namespace, paths: AppPaths) -> int:
    """Run `mayadesk keys ACTION …`; return the exit code (messages already printed)."""
    action: str | None = args.keys_action
    if action is None:
        _say("mayadesk keys: say what to do.\n\n" + KEYS_HELP)
        return EXIT_USAGE
    if action not in ACTIONS:
        _say("mayadesk keys: unknown action; choose one of: " + ", ".join(ACTIONS) + ".")
        return EXIT_USAGE
    try:
        return _run(action, list(args.keys_args), paths)
    except UsageError as error:
        _say(f"mayadesk keys {action}: {error}")
        return EXIT_USAGE
    except (UnknownProvider, InvalidProfileName, InvalidKey) as error:
        _say(f"mayadesk keys {action}: {error}")
        return EXIT_USAGE
    except KeyringUnavailable as error:
        _say(f"mayadesk keys {action}: {error}\nMayaDesk keeps keys only in the system "
             "keyring; nothing was written anywhere else.")
        return EXIT_KEYRING


def _run(action: str, argv: Sequence[str], paths: AppPaths) -> int:
    parser = _parser(action)
    try:
        options, extras = parser.parse_known_args(argv)
    except SystemExit as exit_:  # --help
        return int(exit_.code or 0)
    except argparse.ArgumentError as error:
        raise UsageError(_QUOTED.sub("(not shown)", str(error))) from None
    if action == "set" and (options.unexpected or extras):
        raise UsageError(
            "keys are never taken from the command line (shell history and process lists "
            "would keep them). Pipe the key in, e.g. `mayadesk keys set PROVIDER < key.txt`, "
            "or run `mayadesk keys set PROVIDER` and paste it at the hidden prompt. Nothing "
            "was stored. If that argument was a real key, consider replacing it."
        )
    if options.unexpected or extras:
        raise UsageError("unexpected arguments (not repeated here, in case one is a key).")
    store = KeyStore()
    profiles = ProfileManager.from_file(store, paths.config_file)
    if action == "list":
        return _list(store, profiles)
    if options.provider is not None:
        validate_provider(options.provider)
    if options.profile is not None:
        validate_profile_name(options.profile)
    if action == "set":
        return _set(store, profiles, options.provider, options.profile or profiles.default)
    if action == "delete":
        return _delete(store, options.provider, options.profile or profiles.default,
                       options.yes)
    chosen_profiles = [options.profile] if options.profile else profiles.names()
    chosen_providers = [options.provider] if options.provider else list(PROVIDERS)
    return _check(store, chosen_profiles, chosen_providers, options.online)


def _list(store: KeyStore, profiles: ProfileManager) -> int:
    statuses = read_status(store, profiles.names())
    broken = next((s for s in statuses if s.state is KeyState.UNAVAILABLE), None)
    if broken is not None and broken.problem is not None:
        raise KeyringUnavailable(broken.problem, broken.kind or "failed")
    width = max([len("PROFILE"), *(len(s.profile) for s in statuses)])
    print(f"{'PROFILE':<{width}}  {'PROVIDER':<8}  {'STATE':<5}  FINGERPRINT")
    for status in statuses:
        state = "set" if status.state is KeyState.SET else "unset"
        print(f"{status.profile:<{width}}  {status.provider:<8}  {state:<5}  "
              f"{status.fingerprint or '-'}")
    return EXIT_OK


def _read_key(provider: str, profile: str, stdin: TextIO | None) -> str | None:
    """One line from a pipe, or a hidden prompt on a terminal; None when nothing came."""
    if stdin is None:
        return None
    if stdin.isatty():
        prompt = f"{PROVIDER_NAMES[provider]} key for profile {profile} (input hidden): "
        try:
            return getpass.getpass(prompt)  # prompt and input on the terminal itself
        except (EOFError, KeyboardInterrupt):
            return None
    line = stdin.readline()
    return line or None


def _set(store: KeyStore, profiles: ProfileManager, provider: str, profile: str) -> int:
    raw = _read_key(provider, profile, sys.stdin)
    if raw is None or not raw.strip():
        _say("mayadesk keys set: no key was given on stdin or at the prompt; nothing stored.")
        return EXIT_USAGE
    fp = store.set(profile, provider, raw)
    created = profiles.ensure(profile)
    name = PROVIDER_NAMES[provider]
    _say(f"Stored the {name} key of profile {profile} ({fp})"
         + (", a new profile." if created else "."))
    shape = check_format(provider, raw.strip())
    if not shape.ok:
        _say(f"Note: {shape.message} `mayadesk keys check --online` asks {name} directly.")
    return EXIT_OK


def _confirm(question: str, stdin: TextIO | None) -> bool:
    """Ask on stderr and read one line from stdin (terminal or pipe): y/yes agrees."""
    print(question, end="", file=sys.stderr, flush=True)
    answer = stdin.readline() if stdin is not None else ""
    if stdin is not None and not stdin.isatty():
        print(file=sys.stderr)  # the piped answer is not echoed; end the prompt's line
    return answer.strip().lower() in ("y", "yes")


def _delete(store: KeyStore, provider: str, profile: str, yes: bool) -> int:
    name = PROVIDER_NAMES[provider]
    key = store.get_stored(profile, provider)
    if key is None:
        _say(f"No {name} key is stored for profile {profile}; nothing to delete.")
        return EXIT_FAILED
    question = f"Delete the {name} key of profile {profile} ({fingerprint(key)})? [y/N] "
    if not yes and not _confirm(question, sys.stdin):
        _say("Not deleted.")
        return EXIT_FAILED
    store.delete(profile, provider)
    _say(f"Deleted the {name} key of profile {profile}.")
    return EXIT_OK


def _check(store: KeyStore, profiles: Sequence[str], providers: Sequence[str],
           online: bool) -> int:
    failed = 0
    checked = 0
    for profile in profiles:
        for provider in providers:
            checked += 1
            label = f"{profile}/{provider}"
            key = store.get_stored(profile, provider)
            if key is None:
                print(f"{label}: not set (mayadesk keys set {provider}"
                      + ("" if profile == "default" else f" --profile {profile}") + ")")
                failed += 1
                continue
            results: list[CheckResult] = [check_format(provider, key)]
            if online:
                from mayadesk.keys.online_check import check_online

                results.append(check_online(provider, key))
            for kind, result in zip(("format", "online"), results, strict=False):
                mark = "ok" if result.ok else "FAILED"
                print(f"{label} ({fingerprint(key)}): {kind} {mark}: {result.message}")
            # The provider's answer outranks the shape rule, which is only a hint.
            if not results[-1].ok:
                failed += 1
    if failed:
        _say(f"{failed} of {checked} key checks failed.")
        return EXIT_FAILED
    return EXIT_OK
