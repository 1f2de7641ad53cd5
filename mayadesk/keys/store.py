"""The key store: each profile's provider keys, kept only in the OS keyring.

Names are fixed (DESIGN.md "Keys"): service `mayadesk`, username `<profile>/<provider>`.
Every call may block (an unlock prompt, a slow D-Bus), so callers keep it off the UI thread;
`KeyStore` itself is safe to call from any thread (each keyring call opens its own D-Bus
connection, and the in-memory "this run only" keys sit behind a lock).

There is deliberately no plaintext fallback: when no keyring works, every call raises
`KeyringUnavailable` with a plain-words message, and the app offers a key held in memory for
this run only (`SessionKeys`) instead.
"""

from __future__ import annotations

import hashlib
import logging
import re
from dataclasses import dataclass
from typing import Literal

import keyring
import keyring.backend
import keyring.errors
from keyring.backends import SecretService
from keyring.backends.chainer import ChainerBackend

from mayadesk.keys import redaction
from mayadesk.keys.secret_service import ClosingSecretService
from mayadesk.keys.session_keys import SessionKeys

log = logging.getLogger("mayadesk.keys")

SERVICE = "mayadesk"
PROVIDERS = ("gemini", "cartesia")
PROVIDER_NAMES = {"gemini": "Gemini", "cartesia": "Cartesia"}
DEFAULT_PROFILE = "default"
PROFILE_NAME = re.compile(r"[A-Za-z0-9_-]{1,32}")
MAX_KEY_LENGTH = 512
_KEY_CHARS = re.compile(r"[\x21-\x7e]+")  # printable ASCII, no spaces: every API key we know

# Backends that would keep keys readable on disk (keyrings.alt) or silently drop them (null).
_INSECURE_BACKENDS = ("keyrings.alt", "keyring.backends.null")
# Used by `probe`: a colon can never appear in a profile name, so this never hits a real key.
_PROBE_USER = ":probe/:probe"

UnavailableKind = Literal["no-backend", "locked", "init", "insecure", "failed"]


class KeyringUnavailable(Exception):
    """No working keyring: the message says what happened and what to do, in plain words.

    `kind` lets the UI pick its wording and tests tell the failure modes apart; the message
    never carries a key (errors are re-raised `from None`, so no chained text leaks one).
    """

    def __init__(self, message: str, kind: UnavailableKind = "failed") -> None:
        super().__init__(message)
        self.kind: UnavailableKind = kind

    @property
    def message(self) -> str:
        return str(self)


class InvalidKey(ValueError):
    """A typed or piped key that cannot be a provider key; the message never quotes it."""


class UnknownProvider(ValueError):
    """A provider name we do not know; the message lists the valid ones, not the input."""

    def __init__(self) -> None:
        super().__init__("Unknown provider; choose one of: " + ", ".join(PROVIDERS) + ".")


class InvalidProfileName(ValueError):
    """A profile name outside `[A-Za-z0-9_-]{1,32}`; the message does not quote it."""

    def __init__(self) -> None:
        super().__init__(
            "Profile names are 1 to 32 characters: letters, digits, '_' and '-'."
        )


def username(profile: str, provider: str) -> str:
    return f"{profile}/{provider}"


def fingerprint(key: str) -> str:
    """A short, stable label for a key that reveals nothing usable about it.

    Stable across runs (unlike the registry's keyed hashes) so a user can compare what
    `keys list` shows with what the window shows; 32 bits of SHA-256 of a key with ~200 bits
    of entropy confirm nothing an attacker could use.
    """
    return "fp:" + hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()[:8]


def validate_provider(provider: str) -> str:
    if provider not in PROVIDERS:
        raise UnknownProvider()
    return provider


def validate_profile_name(name: str) -> str:
    if not PROFILE_NAME.fullmatch(name):
        raise InvalidProfileName()
    return name


def clean_key(raw: str) -> str:
    """Trim a pasted key and refuse what cannot be one (spaces inside, line breaks, non-ASCII).

    Refusing early keeps junk like `export GEMINI_API_KEY=…` or a curly quote from being
    stored, and keeps non-ASCII out of HTTP headers, where an encoding error would surface
    far from here.
    """
    key = raw.strip()
    if not key:
        raise InvalidKey("The key is empty.")
    if len(key) > MAX_KEY_LENGTH:
        raise InvalidKey(f"The key is longer than {MAX_KEY_LENGTH} characters.")
    if not _KEY_CHARS.fullmatch(key):
        raise InvalidKey(
            "The key contains spaces, line breaks or characters no API key has; "
            "paste just the key."
        )
    return key


def describe_keyring_error(error: keyring.errors.KeyringError) -> str:
    if isinstance(error, keyring.errors.NoKeyringError):
        return (
            "No system keyring is available (no Secret Service on this session). Install and "
            "start one, e.g. GNOME Keyring or KWallet, then try again."
        )
    if isinstance(error, keyring.errors.KeyringLocked):
        return "The system keyring is locked. Unlock it (log in again or use Seahorse) and retry."
    if isinstance(error, keyring.errors.InitError):
        return (
            "The system keyring could not be opened (the unlock prompt was dismissed or could "
            "not be shown). Unlock it and try again."
        )
    return "The system keyring failed. Check that it is running and unlocked, then retry."


def _kind_of(error: keyring.errors.KeyringError) -> UnavailableKind:
    if isinstance(error, keyring.errors.NoKeyringError):
        return "no-backend"
    if isinstance(error, keyring.errors.KeyringLocked):
        return "locked"
    if isinstance(error, keyring.errors.InitError):
        return "init"
    return "failed"


def unavailable(error: BaseException) -> KeyringUnavailable:
    """Map any failure of the keyring boundary to our error, keeping nothing of its text.

    Not only `KeyringError`: keyring's Secret Service backend lets secretstorage's and
    jeepney's own exceptions through when the daemon goes away in the middle of a call, and
    those are the same thing to a user.
    """
    if isinstance(error, keyring.errors.KeyringError):
        return KeyringUnavailable(describe_keyring_error(error), _kind_of(error))
    module = type(error).__module__
    if isinstance(error, ConnectionError) or module.startswith(("secretstorage", "jeepney")):
        return KeyringUnavailable(
            "The system keyring stopped answering (its service may have exited). Check that "
            "it is running and unlocked, then retry."
        )
    log.warning("Keyring call failed with %s", type(error).__name__)
    return KeyringUnavailable(
        "The system keyring failed. Check that it is running and unlocked, then retry."
    )


_FRIENDLY_BACKENDS = {
    "keyring.backends.SecretService": "Secret Service",
    "keyring.backends.libsecret": "Secret Service",
    "keyring.backends.kwallet": "KWallet",
    "keyring.backends.macOS": "macOS Keychain",
    "keyring.backends.Windows": "Windows Credential Locker",
}


def friendly_backend_name(label: str) -> str | None:
    """What to call a backend (`KeyStore.backend_name()`) in the window; None for one that
    does not really store keys (keyring's `fail`/`null`)."""
    module = label.rpartition(".")[0]
    if module in ("keyring.backends.fail", "keyring.backends.null"):
        return None
    return _FRIENDLY_BACKENDS.get(module, label)


def _backend_label(backend: keyring.backend.KeyringBackend) -> str:
    return f"{type(backend).__module__}.{type(backend).__name__}"


def _insecure(backend: keyring.backend.KeyringBackend) -> bool:
    members = list(ChainerBackend.backends) if isinstance(backend, ChainerBackend) else [backend]
    return any(_backend_label(b).startswith(_INSECURE_BACKENDS) for b in members)


@dataclass(frozen=True)
class ProfileKeys:
    """One profile's keys at one moment, handed to a worker for one turn.

    `problem` says why a key could not be read (keyring unavailable); a key held for this run
    only is still returned then. The repr never shows a key.
    """

    profile: str
    gemini: str | None
    cartesia: str | None
    problem: str | None = None

    def get(self, provider: str) -> str | None:
        return self.gemini if validate_provider(provider) == "gemini" else self.cartesia

    def __repr__(self) -> str:
        def shown(key: str | None) -> str:
            return "unset" if key is None else fingerprint(key)

        return (
            f"ProfileKeys(profile={self.profile!r}, gemini={shown(self.gemini)}, "
            f"cartesia={shown(self.cartesia)}, problem={self.problem!r})"
        )


class KeyStore:
    """Reads and writes provider keys in the OS keyring; raises `KeyringUnavailable`.

    Keys typed in for this run only (`set_for_this_run`) take precedence over stored ones,
    because they are the user's latest explicit choice; they live in `self.session`.
    Every key read or written is remembered by the log redaction filter.
    """

    def __init__(
        self,
        backend: keyring.backend.KeyringBackend | None = None,
        session: SessionKeys | None = None,
    ) -> None:
        """`backend` pins a keyring backend (tests, or a user's explicit choice); by default
        the one `keyring` resolves (Secret Service on Linux) is used at each call."""
        self._backend_override = backend
        self.session = session if session is not None else SessionKeys()
        self._closing: tuple[SecretService.Keyring, ClosingSecretService] | None = None

    def _backend(self) -> keyring.backend.KeyringBackend:
        backend = self._backend_override or keyring.get_keyring()
        if type(backend) is SecretService.Keyring:
            backend = self._closing_variant(backend)
        if _insecure(backend):
            raise KeyringUnavailable(
                f"The only keyring available ({_backend_label(backend)}) does not protect "
                "keys (plain files or nothing at all), so MayaDesk will not use it. Install "
                "and start a system keyring, e.g. GNOME Keyring or KWallet.",
                "insecure",
            )
        return backend

    def _closing_variant(self, backend: SecretService.Keyring) -> ClosingSecretService:
        """The same backend, minus keyring's connection leak on failure (secret_service.py)."""
        pair = self._closing
        if pair is None or pair[0] is not backend:
            if pair is not None:
                pair[1].close()
            pair = self._closing = (backend, ClosingSecretService.replacing(backend))
        return pair[1]

    def close(self) -> None:
        """Close the keyring connection kept for fast reads (at exit; reads still work)."""
        if self._closing is not None:
            self._closing[1].close()

    def backend_name(self) -> str:
        return _backend_label(self._backend_override or keyring.get_keyring())

    def probe(self) -> None:
        """Touch the keyring as a read would (unlocking it if needed); raise if unusable."""
        backend = self._backend()
        try:
            backend.get_password(SERVICE, _PROBE_USER)
        except Exception as error:
            raise unavailable(error) from None

    def get(self, profile: str, provider: str) -> str | None:
        """The key in use for `profile`/`provider`: this run's key, else the stored one."""
        validate_provider(provider)
        held = self.session.get(profile, provider)
        if held is not None:
            return held
        return self.get_stored(profile, provider)

    def get_stored(self, profile: str, provider: str) -> str | None:
        """The key in the keyring only, ignoring any key held for this run."""
        validate_provider(provider)
        backend = self._backend()
        try:
            key = backend.get_password(SERVICE, username(profile, provider))
        except Exception as error:
            raise unavailable(error) from None
        if not key:
            return None
        redaction.remember(key)
        return key

    def set(self, profile: str, provider: str, raw_key: str) -> str:
        """Store a key (trimmed, validated) in the keyring and return its fingerprint.

        A key held for this run only is dropped: the saved one is now the latest choice.
        """
        validate_profile_name(profile)
        validate_provider(provider)
        key = clean_key(raw_key)
        redaction.remember(key)
        backend = self._backend()
        try:
            backend.set_password(SERVICE, username(profile, provider), key)
        except Exception as error:
            raise unavailable(error) from None
        self.session.pop(profile, provider)
        log.info("Stored the %s key of profile %s (%s)", provider, profile, fingerprint(key))
        return fingerprint(key)

    def set_for_this_run(self, profile: str, provider: str, raw_key: str) -> str:
        """Hold a key in memory until the process ends (never written); return its fingerprint."""
        validate_profile_name(profile)
        validate_provider(provider)
        key = clean_key(raw_key)
        self.session.set(profile, provider, key)
        log.info("Using a %s key for profile %s for this run only (%s)", provider, profile,
                 fingerprint(key))
        return fingerprint(key)

    def forget_for_this_run(self, profile: str, provider: str) -> bool:
        """Drop a key held for this run; True when there was one."""
        return self.session.pop(profile, provider) is not None

    def delete(self, profile: str, provider: str) -> bool:
        """Remove the stored key (and any key held for this run); True if one was removed."""
        validate_provider(provider)
        removed = self.session.pop(profile, provider) is not None
        backend = self._backend()
        try:
            backend.delete_password(SERVICE, username(profile, provider))
        except keyring.errors.PasswordDeleteError:
            return removed
        except Exception as error:
            raise unavailable(error) from None
        log.info("Deleted the %s key of profile %s", provider, profile)
        return True

    def quick_snapshot(self, profile: str) -> ProfileKeys | None:
        """Both keys of a profile when they can be read without waiting on anyone (the
        Secret Service's kept connection, or keys held for this run); else None, and the
        caller takes the keyring thread's `snapshot`. Safe from any thread: it never
        prompts. Saves a turn the hop to the keyring thread and back."""
        try:
            backend = self._backend()
        except KeyringUnavailable:
            return None
        found: dict[str, str | None] = {}
        for provider in PROVIDERS:
            held = self.session.get(profile, provider)
            if held is not None:
                found[provider] = held
        missing = [provider for provider in PROVIDERS if provider not in found]
        if missing:
            fast = getattr(backend, "fast_passwords", None)
            if fast is None:
                return None
            keys = fast(SERVICE, [username(profile, provider) for provider in missing])
            if keys is None:
                return None
            for provider, key in zip(missing, keys, strict=True):
                if key:
                    redaction.remember(key)
                found[provider] = key or None
        return ProfileKeys(profile, found["gemini"], found["cartesia"], None)

    def snapshot(self, profile: str) -> ProfileKeys:
        """Both keys of a profile for one turn; never raises for an unavailable keyring.

        A worker needs to know what it can use (a key held for this run still works when
        the keyring is locked) and why something is missing, not an exception.
        """
        found: dict[str, str | None] = {}
        problem: str | None = None
        for provider in PROVIDERS:
            try:
                found[provider] = self.get(profile, provider)
            except KeyringUnavailable as error:
                found[provider] = None
                problem = str(error)
        return ProfileKeys(profile, found["gemini"], found["cartesia"], problem)
