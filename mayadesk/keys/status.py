"""What the user sees about keys: each profile×provider's state, and the first-run message.

Reading states touches the keyring (blocking; may pop an unlock prompt), so `read_status`
runs off the UI thread; turning states into words (`missing_keys_message`) is pure.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from mayadesk.keys.store import (
    PROVIDER_NAMES,
    PROVIDERS,
    KeyringUnavailable,
    KeyStore,
    UnavailableKind,
    fingerprint,
)


class KeyState(enum.Enum):
    SET = "set"
    THIS_RUN = "set for this run only"
    NOT_SET = "not set"
    UNAVAILABLE = "keyring unavailable"

    @property
    def usable(self) -> bool:
        return self in (KeyState.SET, KeyState.THIS_RUN)


@dataclass(frozen=True)
class KeyStatus:
    """One profile×provider as shown to the user: state, fingerprint, and the keyring's
    plain-words problem when it could not be read."""

    profile: str
    provider: str
    state: KeyState
    fingerprint: str | None = None
    problem: str | None = None
    kind: UnavailableKind | None = None


def key_status(store: KeyStore, profile: str, provider: str) -> KeyStatus:
    """The state of one key (blocking)."""
    held = store.session.get(profile, provider)
    if held is not None:
        return KeyStatus(profile, provider, KeyState.THIS_RUN, fingerprint(held))
    try:
        key = store.get_stored(profile, provider)
    except KeyringUnavailable as error:
        return KeyStatus(profile, provider, KeyState.UNAVAILABLE, None, str(error), error.kind)
    if key is None:
        return KeyStatus(profile, provider, KeyState.NOT_SET)
    return KeyStatus(profile, provider, KeyState.SET, fingerprint(key))


def read_status(store: KeyStore, profiles: Iterable[str]) -> list[KeyStatus]:
    """States of every provider of every profile (blocking).

    Once the keyring has failed, the rest are marked unavailable without asking it again:
    each attempt on a locked keyring can put another unlock prompt in front of the user.
    """
    statuses: list[KeyStatus] = []
    failure: KeyStatus | None = None
    for profile in profiles:
        for provider in PROVIDERS:
            held = store.session.get(profile, provider)
            if failure is not None and held is None:
                statuses.append(KeyStatus(profile, provider, KeyState.UNAVAILABLE, None,
                                          failure.problem, failure.kind))
                continue
            status = key_status(store, profile, provider)
            if status.state is KeyState.UNAVAILABLE:
                failure = status
            statuses.append(status)
    return statuses


def missing_keys(statuses: Sequence[KeyStatus], profile: str) -> list[str]:
    """Providers of `profile` without a usable key."""
    return [s.provider for s in statuses if s.profile == profile and not s.state.usable]


def missing_keys_message(statuses: Sequence[KeyStatus], profile: str) -> str | None:
    """One or two sentences for the first-run banner, or None when nothing is missing.

    Gemini is required (no key, no answer); Cartesia is optional (Maya falls back to a
    local voice), so its absence is worded as a note, not an error.
    """
    rows = {s.provider: s for s in statuses if s.profile == profile}
    gemini, cartesia = rows.get("gemini"), rows.get("cartesia")
    gemini_ok = gemini is not None and gemini.state.usable
    cartesia_ok = cartesia is not None and cartesia.state.usable
    if gemini_ok and cartesia_ok:
        return None
    broken = next((s for s in rows.values() if s.state is KeyState.UNAVAILABLE), None)
    if broken is not None and not gemini_ok:
        return (
            f"{broken.problem} Until then Maya cannot answer: open Settings → Keys to type a "
            "Gemini key for this run only (kept in memory, never saved)."
        )
    if not gemini_ok:
        text = f"Maya needs a {PROVIDER_NAMES['gemini']} key to answer (profile {profile})."
        if not cartesia_ok:
            text += (
                f" A {PROVIDER_NAMES['cartesia']} key gives her own voice; without one she "
                "uses a local voice."
            )
        return text + f" Open Settings → Keys to add {'it' if cartesia_ok else 'them'}."
    return (
        f"No {PROVIDER_NAMES['cartesia']} key for profile {profile}: Maya speaks with a local "
        "voice. Add one in Settings → Keys for her own voice."
    )


def first_run_message(store: KeyStore, profile: str) -> str | None:
    """The first-run banner's text for `profile`, or None (blocking: reads the keyring)."""
    return missing_keys_message(read_status(store, [profile]), profile)
