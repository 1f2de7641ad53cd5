"""KeyStore and profiles against the real Secret Service (gnome-keyring on a private bus),
and against real broken keyrings: a locked collection, an uninitialised one, a dead bus."""

from __future__ import annotations

import json
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from mayadesk.config import load_settings, save_settings
from mayadesk.keys.profiles import ProfileError, ProfileManager
from mayadesk.keys.status import KeyState, first_run_message, read_status
from mayadesk.keys.store import KeyringUnavailable, KeyStore, fingerprint
from mayadesk.paths import app_paths
from tests.helpers.keyring_tools import (
    DEAD_BUS,
    PrivateSecretService,
    clear_mayadesk_items,
    secret_tool_lookup,
)

GEMINI = "AIza" + "SyD_store-integration_0123456789ABC"
GEMINI_2 = "AIza" + "SyD_store-integration_9876543210XYZ"
CARTESIA = "sk_car_" + "StoreIntegration0123456"


@pytest.fixture(autouse=True)
def clean_keyring() -> Iterator[None]:
    clear_mayadesk_items()
    yield
    clear_mayadesk_items()


@pytest.fixture
def profiles() -> ProfileManager:
    return ProfileManager.from_file(KeyStore(), app_paths().config_file)


def test_set_replace_delete_are_what_secret_tool_sees() -> None:
    store = KeyStore()
    assert store.get("default", "gemini") is None
    assert store.set("default", "gemini", f"  {GEMINI}\n") == fingerprint(GEMINI)
    assert secret_tool_lookup("default", "gemini") == GEMINI
    assert store.get("default", "gemini") == GEMINI
    store.set("default", "gemini", GEMINI_2)
    assert secret_tool_lookup("default", "gemini") == GEMINI_2
    assert secret_tool_lookup("default", "cartesia") is None
    assert store.delete("default", "gemini") is True
    assert secret_tool_lookup("default", "gemini") is None
    assert store.delete("default", "gemini") is False
    store.probe()


def test_saved_key_replaces_a_key_for_this_run() -> None:
    store = KeyStore()
    store.set_for_this_run("default", "cartesia", CARTESIA)
    assert secret_tool_lookup("default", "cartesia") is None  # held in memory only
    assert store.get("default", "cartesia") == CARTESIA
    store.set("default", "cartesia", CARTESIA + "b")
    assert store.get("default", "cartesia") == CARTESIA + "b"
    assert store.session.get("default", "cartesia") is None


def test_worker_threads_read_snapshots_while_the_key_is_replaced() -> None:
    """Readers on other threads see the old or the new key, never an error or a mix."""
    store = KeyStore()
    store.set("default", "gemini", GEMINI)
    seen: set[str | None] = set()
    errors: list[BaseException] = []
    stop = threading.Event()

    def reader() -> None:
        try:
            while not stop.is_set():
                seen.add(store.snapshot("default").gemini)
        except BaseException as error:  # reported below
            errors.append(error)

    threads = [threading.Thread(target=reader) for _ in range(3)]
    for thread in threads:
        thread.start()
    for i in range(5):
        store.set("default", "gemini", GEMINI_2 if i % 2 == 0 else GEMINI)
    stop.set()
    for thread in threads:
        thread.join(30)
    assert not errors
    assert seen <= {GEMINI, GEMINI_2}
    assert store.snapshot("default").gemini == GEMINI_2


def test_profiles_add_rename_delete_move_keys(profiles: ProfileManager) -> None:
    store = KeyStore()
    profiles.add("work")
    store.set("work", "gemini", GEMINI)
    store.set("work", "cartesia", CARTESIA)
    profiles.rename("work", "office")
    assert secret_tool_lookup("work", "gemini") is None
    assert secret_tool_lookup("office", "gemini") == GEMINI
    assert secret_tool_lookup("office", "cartesia") == CARTESIA
    saved = json.loads(app_paths().config_file.read_text())
    assert saved["profiles"] == ["default", "office"]
    with pytest.raises(ProfileError):
        profiles.add("office")
    with pytest.raises(ProfileError):
        profiles.delete("default")  # the profile new tabs use
    profiles.set_default("office")
    profiles.delete("default")
    profiles.rename("office", "main")
    assert load_settings(app_paths().config_file).default_profile == "main"
    profiles.add("spare")
    store.set("spare", "gemini", GEMINI_2)
    profiles.delete("spare")
    assert secret_tool_lookup("spare", "gemini") is None
    assert load_settings(app_paths().config_file).profiles == ["main"]
    text = app_paths().config_file.read_text()
    assert GEMINI not in text and CARTESIA not in text


def test_profile_manager_keeps_other_settings(tmp_path: Path) -> None:
    config_file = tmp_path / "settings.json"
    settings = load_settings(config_file)
    settings.temperature = 0.3
    save_settings(config_file, settings)
    manager = ProfileManager.from_file(KeyStore(), config_file)
    assert manager.ensure("work") is True
    assert manager.ensure("work") is False
    again = load_settings(config_file)
    assert again.temperature == 0.3 and again.profiles == ["default", "work"]


def test_read_status_reports_each_key() -> None:
    store = KeyStore()
    store.set("default", "gemini", GEMINI)
    store.set_for_this_run("work", "cartesia", CARTESIA)
    states = {(s.profile, s.provider): s for s in read_status(store, ["default", "work"])}
    assert states["default", "gemini"].state is KeyState.SET
    assert states["default", "gemini"].fingerprint == fingerprint(GEMINI)
    assert states["default", "cartesia"].state is KeyState.NOT_SET
    assert states["work", "cartesia"].state is KeyState.THIS_RUN
    assert states["work", "gemini"].state is KeyState.NOT_SET
    assert first_run_message(store, "work") is not None
    assert "needs a Gemini key" in (first_run_message(store, "work") or "")
    store.set("default", "cartesia", CARTESIA)
    assert first_run_message(store, "default") is None


@pytest.mark.parametrize(
    ("state", "kind", "words"),
    [("locked", "locked", "keyring is locked"),
     ("uninitialised", "init", "prompt was dismissed or could not be shown")],
)
def test_broken_secret_service_gives_plain_words(
    state: str, kind: str, words: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    service = PrivateSecretService.start(tmp_path, state)  # type: ignore[arg-type]
    try:
        monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", service.address)
        store = KeyStore()
        for call in (store.probe, lambda: store.get("default", "gemini"),
                     lambda: store.set("default", "gemini", GEMINI)):
            with pytest.raises(KeyringUnavailable) as caught:
                call()
            assert caught.value.kind == kind
            assert words in str(caught.value)
        statuses = read_status(store, ["default", "work"])
        assert {s.state for s in statuses} == {KeyState.UNAVAILABLE}
        assert store.snapshot("default").problem is not None
    finally:
        service.stop()
    monkeypatch.undo()
    assert secret_tool_lookup("default", "gemini") is None  # nothing went anywhere else


def test_secret_service_gone_after_start_is_no_backend(monkeypatch: pytest.MonkeyPatch) -> None:
    """The app resolved Secret Service at start, then the session bus went away."""
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", DEAD_BUS)
    with pytest.raises(KeyringUnavailable) as caught:
        KeyStore().get("default", "gemini")
    assert caught.value.kind == "no-backend"
    assert "No system keyring" in str(caught.value)


def test_a_key_replaced_by_another_program_is_read_at_once() -> None:
    """Reads keep one D-Bus connection open, never a secret: what another program stores
    is what the very next read returns."""
    store = KeyStore()
    store.set("default", "gemini", GEMINI)
    assert store.get("default", "gemini") == GEMINI  # the kept connection is open now
    subprocess.run(
        ["secret-tool", "store", "--label=replaced", "service", "mayadesk",
         "username", "default/gemini"],
        input=GEMINI_2, text=True, check=True, capture_output=True, timeout=20,
    )
    assert store.get("default", "gemini") == GEMINI_2
    quick = store.quick_snapshot("default")  # both keys in one pipelined read
    assert quick is not None and (quick.gemini, quick.cartesia) == (GEMINI_2, None)
    subprocess.run(["secret-tool", "clear", "service", "mayadesk", "username", "default/gemini"],
                   check=True, capture_output=True, timeout=20)
    assert store.get("default", "gemini") is None
    quick = store.quick_snapshot("default")
    assert quick is not None and quick.gemini is None
    store.close()
    assert store.snapshot("default").gemini is None  # and reads work after close


def test_a_keyring_locked_or_gone_after_a_read_is_reported_not_remembered(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    service = PrivateSecretService.start(tmp_path, "unlocked")
    try:
        monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", service.address)
        store = KeyStore()
        store.set("default", "gemini", GEMINI)
        assert store.get("default", "gemini") == GEMINI
        assert store.quick_snapshot("default") is not None
        service.lock()  # a screen locker locks the keyring while the app runs
        assert store.quick_snapshot("default") is None  # the keyring thread must ask
        with pytest.raises(KeyringUnavailable) as caught:
            store.get("default", "gemini")
        assert caught.value.kind == "locked"
    finally:
        service.stop()
    with pytest.raises(KeyringUnavailable) as caught:  # the daemon and its bus are gone
        store.get("default", "gemini")
    assert caught.value.kind in ("no-backend", "failed")
    store.close()


def test_a_quick_snapshot_reads_what_the_keyring_thread_would() -> None:
    store = KeyStore()
    store.set("default", "gemini", GEMINI)
    store.set_for_this_run("default", "cartesia", CARTESIA)
    quick = store.quick_snapshot("default")
    assert quick is not None
    assert (quick.gemini, quick.cartesia, quick.problem) == (GEMINI, CARTESIA, None)
    assert quick == store.snapshot("default")
    store.set("default", "cartesia", CARTESIA)  # both in the keyring (set drops the held one)
    both = store.quick_snapshot("default")
    assert both is not None and (both.gemini, both.cartesia) == (GEMINI, CARTESIA)
    unset = store.quick_snapshot("nobody")
    assert unset is not None and (unset.gemini, unset.cartesia) == (None, None)
