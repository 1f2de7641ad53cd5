"""Settings → Keys, driven like a user would (paste, click, confirm), against the real Secret
Service of the test session and against real broken keyrings."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from keyring.backends import fail
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QInputDialog, QLineEdit, QMessageBox
from pytestqt.qtbot import QtBot

from mayadesk.config import load_settings
from mayadesk.keys.profiles import ProfileManager
from mayadesk.keys.secret_service import ClosingSecretService
from mayadesk.keys.store import KeyStore, fingerprint
from mayadesk.paths import app_paths
from mayadesk.ui.keys_page import KeysPage
from tests.helpers.keycheck_server import KeyCheckServer
from tests.helpers.keyring_tools import (
    DEAD_BUS,
    PrivateSecretService,
    clear_mayadesk_items,
    secret_tool_lookup,
)
from tests.helpers.leaks import find_leaks

GEMINI = "AIza" + "SyD_keys-page-test_0123456789ABCDEF"
GEMINI_2 = "AIza" + "SyD_keys-page-test_replaced_7654321"
CARTESIA = "sk_car_" + "KeysPageTest0123456789"
WAIT_MS = 15_000


class ThreadRecorder:
    """Wraps a real keyring backend and notes which thread made each call."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.threads: list[threading.Thread] = []

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self.inner, name)
        if name not in ("get_password", "set_password", "delete_password"):
            return attribute

        def recorded(*args: Any) -> Any:
            self.threads.append(threading.current_thread())
            return attribute(*args)

        return recorded


@pytest.fixture(autouse=True)
def clean_keyring() -> Iterator[None]:
    clear_mayadesk_items()
    yield
    clear_mayadesk_items()


PageFactory = Callable[[KeyStore], KeysPage]


@pytest.fixture
def make_page(qtbot: QtBot, qloop: object) -> Iterator[PageFactory]:
    pages: list[KeysPage] = []

    def make(store: KeyStore) -> KeysPage:
        profiles = ProfileManager.from_file(store, app_paths().config_file)
        page = KeysPage(store, profiles)
        qtbot.addWidget(page)
        pages.append(page)
        with qtbot.waitSignal(page.refreshed, timeout=WAIT_MS):
            page.show()
        return page

    yield make
    for page in pages:
        page.close_executors()


def paste_into(qtbot: QtBot, edit: QLineEdit, text: str) -> None:
    QGuiApplication.clipboard().setText(text)
    edit.setFocus()
    qtbot.keyClick(edit, Qt.Key.Key_V, Qt.KeyboardModifier.ControlModifier)


def click_and_wait(qtbot: QtBot, button: Any, signal: Any) -> Any:
    with qtbot.waitSignal(signal, timeout=WAIT_MS) as blocker:
        qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    return blocker


def answer(qtbot: QtBot, page: KeysPage, name: str, yes: bool) -> None:
    """Answer the confirmation the page opened, by clicking its button."""
    def shown() -> QMessageBox | None:  # an answered box lingers until deleteLater runs
        return next((b for b in page.findChildren(QMessageBox, name) if b.isVisible()), None)

    qtbot.waitUntil(lambda: shown() is not None, timeout=WAIT_MS)
    box = shown()
    assert box is not None
    button = box.button(QMessageBox.StandardButton.Yes if yes else QMessageBox.StandardButton.No)
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def type_name(qtbot: QtBot, page: KeysPage, name: str) -> None:
    def shown() -> QInputDialog | None:
        return next((d for d in page.findChildren(QInputDialog, "keysProfileName")
                     if d.isVisible()), None)

    qtbot.waitUntil(lambda: shown() is not None, timeout=WAIT_MS)
    dialog = shown()
    assert dialog is not None
    dialog.setTextValue(name)
    dialog.accept()


def test_set_by_paste_replace_and_delete(qtbot: QtBot, make_page: PageFactory) -> None:
    recorder = ThreadRecorder(ClosingSecretService())
    page = make_page(KeyStore(backend=recorder))  # type: ignore[arg-type]
    row = page.rows["gemini"]
    assert row.state_label.text() == "Not set"
    assert not row.delete_button.isEnabled()
    assert row.key_edit.echoMode() is QLineEdit.EchoMode.Password

    paste_into(qtbot, row.key_edit, f"  {GEMINI}  ")
    assert row.key_edit.text().strip() == GEMINI
    blocker = click_and_wait(qtbot, row.save_button, page.keys_changed)
    assert blocker.args == ["default", "gemini"]
    qtbot.waitUntil(lambda: fingerprint(GEMINI) in row.state_label.text(), timeout=WAIT_MS)
    assert secret_tool_lookup("default", "gemini") == GEMINI
    assert row.key_edit.text() == ""
    assert row.save_button.text() == "Replace"
    assert GEMINI not in row.state_label.text() + row.result_label.text()

    paste_into(qtbot, row.key_edit, GEMINI_2)
    click_and_wait(qtbot, row.save_button, page.keys_changed)
    qtbot.waitUntil(lambda: fingerprint(GEMINI_2) in row.state_label.text(), timeout=WAIT_MS)
    assert secret_tool_lookup("default", "gemini") == GEMINI_2

    qtbot.mouseClick(row.delete_button, Qt.MouseButton.LeftButton)
    answer(qtbot, page, "keysConfirmDelete", yes=False)
    assert secret_tool_lookup("default", "gemini") == GEMINI_2

    qtbot.mouseClick(row.delete_button, Qt.MouseButton.LeftButton)
    with qtbot.waitSignal(page.keys_changed, timeout=WAIT_MS):
        answer(qtbot, page, "keysConfirmDelete", yes=True)
    qtbot.waitUntil(lambda: row.state_label.text() == "Not set", timeout=WAIT_MS)
    assert secret_tool_lookup("default", "gemini") is None

    main = threading.main_thread()
    assert recorder.threads, "the page never reached the keyring"
    assert all(thread is not main for thread in recorder.threads)


def test_checks_offline_and_online(
    qtbot: QtBot, make_page: PageFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    KeyStore().set("default", "gemini", GEMINI)
    KeyStore().set("default", "cartesia", CARTESIA)
    page = make_page(KeyStore())
    gemini, cartesia = page.rows["gemini"], page.rows["cartesia"]
    blocker = click_and_wait(qtbot, gemini.check_button, page.result_shown)
    assert blocker.args[0] == "gemini"
    assert "Looks like a Gemini key" in gemini.result_label.text()

    gemini.key_edit.setText("AIzaTooShort")
    click_and_wait(qtbot, gemini.check_button, page.result_shown)
    assert "Does not look like a Gemini key" in gemini.result_label.text()
    gemini.key_edit.clear()

    with KeyCheckServer(gemini_keys={GEMINI}) as server:
        monkeypatch.setenv("MAYADESK_GEMINI_BASE_URL", server.url)
        monkeypatch.setenv("MAYADESK_CARTESIA_BASE_URL", server.url)
        click_and_wait(qtbot, gemini.online_button, page.result_shown)
        assert gemini.result_label.text() == "Gemini accepted the key."
        click_and_wait(qtbot, cartesia.online_button, page.result_shown)
        assert "Cartesia rejected the key (HTTP 401)" in cartesia.result_label.text()
    assert [r.headers.get("x-goog-api-key") for r in server.requests] == [GEMINI, None]
    assert server.requests[1].headers["authorization"] == f"Bearer {CARTESIA}"
    assert gemini.online_button.isEnabled()


def test_profiles_add_rename_default_delete(qtbot: QtBot, make_page: PageFactory) -> None:
    page = make_page(KeyStore())
    assert not page.delete_profile_button.isEnabled()  # the default profile stays

    qtbot.mouseClick(page.add_button, Qt.MouseButton.LeftButton)
    type_name(qtbot, page, "not valid!")
    qtbot.waitUntil(lambda: "letters, digits" in page.profile_result.text(), timeout=WAIT_MS)

    qtbot.mouseClick(page.add_button, Qt.MouseButton.LeftButton)
    with qtbot.waitSignal(page.profiles_changed, timeout=WAIT_MS):
        type_name(qtbot, page, "work")
    assert page.current_profile() == "work"
    assert load_settings(app_paths().config_file).profiles == ["default", "work"]

    row = page.rows["cartesia"]
    qtbot.waitUntil(lambda: row.save_button.isEnabled(), timeout=WAIT_MS)
    paste_into(qtbot, row.key_edit, CARTESIA)
    blocker = click_and_wait(qtbot, row.save_button, page.keys_changed)
    assert blocker.args == ["work", "cartesia"]
    assert secret_tool_lookup("work", "cartesia") == CARTESIA

    changed: list[tuple[str, str]] = []
    page.keys_changed.connect(lambda profile, provider: changed.append((profile, provider)))
    qtbot.waitUntil(lambda: page.rename_button.isEnabled(), timeout=WAIT_MS)
    qtbot.mouseClick(page.rename_button, Qt.MouseButton.LeftButton)
    with qtbot.waitSignal(page.profiles_changed, timeout=WAIT_MS):
        type_name(qtbot, page, "office")
    assert page.current_profile() == "office"
    assert ("work", "cartesia") in changed and ("office", "cartesia") in changed
    assert secret_tool_lookup("office", "cartesia") == CARTESIA
    assert secret_tool_lookup("work", "cartesia") is None
    qtbot.waitUntil(lambda: fingerprint(CARTESIA) in row.state_label.text(), timeout=WAIT_MS)

    click_and_wait(qtbot, page.default_button, page.profiles_changed)
    assert load_settings(app_paths().config_file).default_profile == "office"
    assert not page.delete_profile_button.isEnabled()

    with qtbot.waitSignal(page.refreshed, timeout=WAIT_MS):
        page.select_profile("default")
    assert page.delete_profile_button.isEnabled()
    qtbot.mouseClick(page.delete_profile_button, Qt.MouseButton.LeftButton)
    with qtbot.waitSignal(page.profiles_changed, timeout=WAIT_MS):
        answer(qtbot, page, "keysConfirmDeleteProfile", yes=True)
    assert load_settings(app_paths().config_file).profiles == ["office"]
    assert [page.profile_box.itemData(i) for i in range(page.profile_box.count())] == ["office"]


def test_key_for_this_run_only_is_not_saved(qtbot: QtBot, make_page: PageFactory) -> None:
    store = KeyStore()
    page = make_page(store)
    row = page.rows["gemini"]
    row.this_run_box.setChecked(True)
    assert row.save_button.text() == "Use for this run"
    paste_into(qtbot, row.key_edit, GEMINI)
    click_and_wait(qtbot, row.save_button, page.keys_changed)
    qtbot.waitUntil(lambda: "for this run only" in row.state_label.text(), timeout=WAIT_MS)
    assert store.get("default", "gemini") == GEMINI
    assert secret_tool_lookup("default", "gemini") is None


def test_no_keyring_offers_a_key_for_this_run(
    qtbot: QtBot, make_page: PageFactory, app_dirs: dict[str, Path]
) -> None:
    store = KeyStore(backend=fail.Keyring())  # what keyring resolves to without a bus
    page = make_page(store)
    row = page.rows["gemini"]
    assert page.banner.isVisible()
    assert "No system keyring is available" in page.banner_label.text()
    assert "for this run only" in page.banner_label.text()
    assert row.state_label.text() == "Keyring unavailable"
    assert row.this_run_box.isChecked()
    assert row.save_button.text() == "Use for this run"

    row.this_run_box.setChecked(False)  # try to save anyway: refused, offer repeated
    paste_into(qtbot, row.key_edit, GEMINI)
    click_and_wait(qtbot, row.save_button, page.result_shown)
    assert row.result_label.text().startswith("Not saved: No system keyring is available")
    assert row.this_run_box.isChecked()
    assert row.key_edit.text() == GEMINI  # kept, so one more click uses it

    click_and_wait(qtbot, row.save_button, page.keys_changed)
    qtbot.waitUntil(lambda: "for this run only" in row.state_label.text(), timeout=WAIT_MS)
    assert store.snapshot("default").gemini == GEMINI
    assert find_leaks({"key": GEMINI}, app_dirs.values()) == []

    qtbot.mouseClick(row.delete_button, Qt.MouseButton.LeftButton)
    with qtbot.waitSignal(page.keys_changed, timeout=WAIT_MS):
        answer(qtbot, page, "keysConfirmDelete", yes=True)
    qtbot.waitUntil(lambda: row.state_label.text() == "Keyring unavailable", timeout=WAIT_MS)
    assert store.session.get("default", "gemini") is None


@pytest.mark.parametrize(
    ("state", "words"),
    [("locked", "The system keyring is locked."),
     ("uninitialised", "the unlock prompt was dismissed or could not be shown")],
)
def test_locked_and_unopenable_keyrings_are_explained(
    state: str, words: str, qtbot: QtBot, make_page: PageFactory, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    service = PrivateSecretService.start(tmp_path / "private", state)  # type: ignore[arg-type]
    try:
        monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", service.address)
        page = make_page(KeyStore())
        assert page.banner.isVisible()
        assert words in page.banner_label.text()
        for row in page.rows.values():
            assert row.state_label.text() == "Keyring unavailable"
        row = page.rows["cartesia"]
        row.this_run_box.setChecked(False)
        paste_into(qtbot, row.key_edit, CARTESIA)
        click_and_wait(qtbot, row.save_button, page.result_shown)
        assert words in row.result_label.text()
    finally:
        service.stop()


def test_try_again_recovers_when_the_keyring_comes_back(
    qtbot: QtBot, make_page: PageFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The session bus was unreachable when the page opened, then it is back."""
    good_bus = os.environ["DBUS_SESSION_BUS_ADDRESS"]
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", DEAD_BUS)
    page = make_page(KeyStore())
    assert page.banner.isVisible()
    assert "No system keyring is available" in page.banner_label.text()
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", good_bus)
    click_and_wait(qtbot, page.retry_button, page.refreshed)
    assert not page.banner.isVisible()
    assert page.rows["gemini"].state_label.text() == "Not set"
    assert "(Secret Service)" in page.backend_label.text()
