"""KeyStore rules that need no Secret Service: validation, fingerprints, failure mapping,
keys for this run only, and the refusal of insecure backends.

The backends used here are keyring's own `fail` (what keyring resolves to when no Secret
Service exists; the e2e tests show a real process resolving to it) and `null`.
"""

from __future__ import annotations

import threading

import keyring.errors
import pytest
from keyring.backends import fail, null

from mayadesk.keys import redaction
from mayadesk.keys.session_keys import SessionKeys
from mayadesk.keys.store import (
    InvalidKey,
    InvalidProfileName,
    KeyringUnavailable,
    KeyStore,
    ProfileKeys,
    UnknownProvider,
    clean_key,
    describe_keyring_error,
    fingerprint,
    unavailable,
    validate_profile_name,
    validate_provider,
)

GEMINI = "AIza" + "SyD_store-logic-test_0123456789ABCD"


def test_clean_key_trims_and_refuses_what_cannot_be_a_key() -> None:
    assert clean_key(f"  {GEMINI}\n") == GEMINI
    assert clean_key(f"\t{GEMINI}\r\n") == GEMINI
    for bad in ("", "   \n", f"export GEMINI_API_KEY= {GEMINI}", f"{GEMINI}\n{GEMINI}",
                f"“{GEMINI}”", "x" * 600):
        with pytest.raises(InvalidKey) as caught:
            clean_key(bad)
        assert GEMINI not in str(caught.value)


def test_fingerprint_is_short_stable_and_distinct() -> None:
    other = GEMINI[:-1] + "X"
    assert fingerprint(GEMINI) == fingerprint(GEMINI)
    assert fingerprint(GEMINI) != fingerprint(other)
    assert len(fingerprint(GEMINI)) == len("fp:") + 8
    assert GEMINI[4:12] not in fingerprint(GEMINI)


def test_validation_errors_never_quote_the_input() -> None:
    with pytest.raises(UnknownProvider) as provider_error:
        validate_provider(GEMINI)
    assert GEMINI not in str(provider_error.value)
    assert "gemini, cartesia" in str(provider_error.value)
    for bad in (GEMINI + "x", "", "has space", "slash/name", "é"):
        with pytest.raises(InvalidProfileName) as profile_error:
            validate_profile_name(bad)
        assert GEMINI not in str(profile_error.value)
    assert validate_profile_name("work_2-b") == "work_2-b"
    assert validate_profile_name("x" * 32) == "x" * 32


@pytest.mark.parametrize(
    ("error", "kind", "words"),
    [
        (keyring.errors.NoKeyringError(), "no-backend", "No system keyring"),
        (keyring.errors.KeyringLocked(), "locked", "locked"),
        (keyring.errors.InitError("Prompt dismissed"), "init", "prompt was dismissed"),
        (keyring.errors.KeyringError(), "failed", "failed"),
    ],
)
def test_keyring_errors_map_to_plain_words(
    error: keyring.errors.KeyringError, kind: str, words: str
) -> None:
    mapped = unavailable(error)
    assert mapped.kind == kind
    assert words in str(mapped)
    assert str(mapped) == describe_keyring_error(error)


def test_unexpected_exception_is_mapped_without_its_text(expected_logs: list[str]) -> None:
    expected_logs.append(r"Keyring call failed with RuntimeError")
    mapped = unavailable(RuntimeError(f"dbus said {GEMINI}"))
    assert GEMINI not in str(mapped)
    assert mapped.kind == "failed"


def test_no_backend_raises_keyring_unavailable_everywhere() -> None:
    store = KeyStore(backend=fail.Keyring())
    for call in (lambda: store.get("default", "gemini"), lambda: store.probe(),
                 lambda: store.set("default", "gemini", GEMINI),
                 lambda: store.delete("default", "gemini")):
        with pytest.raises(KeyringUnavailable) as caught:
            call()
        assert caught.value.kind == "no-backend"
        assert caught.value.__cause__ is None and caught.value.__suppress_context__


def test_insecure_backends_are_refused() -> None:
    store = KeyStore(backend=null.Keyring())
    with pytest.raises(KeyringUnavailable) as caught:
        store.set("default", "gemini", GEMINI)
    assert caught.value.kind == "insecure"
    assert "will not use it" in str(caught.value)


def test_key_for_this_run_works_without_a_keyring_and_takes_precedence() -> None:
    store = KeyStore(backend=fail.Keyring())
    assert store.set_for_this_run("default", "gemini", f" {GEMINI} ") == fingerprint(GEMINI)
    assert store.get("default", "gemini") == GEMINI
    with pytest.raises(KeyringUnavailable):
        store.get("default", "cartesia")
    snapshot = store.snapshot("default")
    assert snapshot.gemini == GEMINI and snapshot.cartesia is None
    assert snapshot.problem is not None and "No system keyring" in snapshot.problem
    assert store.forget_for_this_run("default", "gemini")
    assert not store.forget_for_this_run("default", "gemini")
    assert redaction.redact(f"x {GEMINI} y") == "x [redacted] y"


def test_profile_keys_repr_shows_fingerprints_only() -> None:
    keys = ProfileKeys("default", GEMINI, None)
    assert GEMINI not in repr(keys)
    assert fingerprint(GEMINI) in repr(keys)
    assert keys.get("gemini") == GEMINI and keys.get("cartesia") is None


def test_session_keys_are_safe_across_threads_and_follow_renames() -> None:
    session = SessionKeys()
    errors: list[BaseException] = []

    def writer(n: int) -> None:
        try:
            for i in range(200):
                session.set(f"p{n}", "gemini", f"key-{n}-{i:04d}-padding")
                assert session.get(f"p{n}", "gemini") == f"key-{n}-{i:04d}-padding"
        except BaseException as error:  # reported below
            errors.append(error)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    session.rename_profile("p1", "renamed")
    assert session.get("p1", "gemini") is None
    assert session.get("renamed", "gemini") == "key-1-0199-padding"
    session.drop_profile("renamed")
    assert session.get("renamed", "gemini") is None
    assert "key-" not in repr(session)
