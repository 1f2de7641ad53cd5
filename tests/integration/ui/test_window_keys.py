"""The window and the keys: the first-run notice, Settings → Keys, each tab's profile."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import keyring
import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QMenu
from pytestqt.qtbot import QtBot

from mayadesk.app_services import KeyServices, build_key_services
from mayadesk.paths import AppPaths
from mayadesk.ui.keys_page import KeysPage
from mayadesk.ui.main_window import MainWindow
from tests.helpers.keyring_tools import clear_mayadesk_items

GEMINI = "AIza" + "SyD_window-keys-test_0123456789ABCD"
CARTESIA = "sk_car_" + "WindowKeysTest0123456789"
WAIT_MS = 15_000


@pytest.fixture(autouse=True)
def clean_keyring() -> Iterator[None]:
    clear_mayadesk_items()
    yield
    clear_mayadesk_items()


@pytest.fixture
def keyed_window(
    open_window: Callable[[], MainWindow], paths: AppPaths, qloop: object, qtbot: QtBot
) -> Iterator[MainWindow]:
    window = open_window()
    services: KeyServices = build_key_services(paths)
    with qtbot.waitSignal(window.key_notice_checked, timeout=WAIT_MS):
        window.attach_keys(services)
    yield window
    if window._settings_dialog is not None:  # the Keys page's own threads
        for page in window._settings_dialog.findChildren(KeysPage):
            page.close_executors()
    services.close()


def test_first_run_notice_names_the_missing_keys_and_opens_the_keys_page(
    keyed_window: MainWindow, qtbot: QtBot
) -> None:
    notice = keyed_window.key_notice
    assert notice.isVisible()
    assert "Maya needs a Gemini key to answer (profile default)" in notice.label.text()
    qtbot.mouseClick(notice.action_button, Qt.MouseButton.LeftButton)
    dialog = keyed_window._settings_dialog
    assert dialog is not None and dialog.isVisible()
    assert dialog.pages.tabText(dialog.pages.currentIndex()) == "Keys"
    page = dialog.pages.currentWidget()
    assert isinstance(page, KeysPage)


def test_notice_goes_away_once_the_keys_are_set(keyed_window: MainWindow, qtbot: QtBot) -> None:
    keyring.set_password("mayadesk", "default/gemini", GEMINI)
    with qtbot.waitSignal(keyed_window.key_notice_checked, timeout=WAIT_MS):
        keyed_window.refresh_key_notice()
    assert "Cartesia" in keyed_window.key_notice.label.text()  # only the voice is missing
    keyring.set_password("mayadesk", "default/cartesia", CARTESIA)
    with qtbot.waitSignal(keyed_window.key_notice_checked, timeout=WAIT_MS):
        keyed_window.refresh_key_notice()
    assert not keyed_window.key_notice.isVisible()


def test_tab_menu_switches_the_tab_key_profile(keyed_window: MainWindow, qtbot: QtBot) -> None:
    assert keyed_window.keys is not None
    keyed_window.keys.profiles.add("work")
    tab = keyed_window.tabs.conversation(0)
    bar = keyed_window.tabs.tabBar()
    with qtbot.waitSignal(keyed_window.tabs.menu_requested) as requested:
        bar.customContextMenuRequested.emit(bar.tabRect(0).center())
    assert requested.args[0] == 0
    menu = keyed_window.findChild(QMenu, "tabMenu")
    assert menu is not None
    qtbot.waitUntil(menu.isVisible)
    profiles = menu.findChild(QMenu, "profileMenu")
    assert profiles is not None
    names = {a.text(): a for a in profiles.actions()}
    assert set(names) == {"default", "work"}
    assert names["default"].isChecked()
    with qtbot.waitSignal(keyed_window.key_notice_checked, timeout=WAIT_MS):
        names["work"].trigger()
    assert tab.controller.session.profile == "work"
    assert "key profile work" in keyed_window.tabs.tabToolTip(0)
    menu.close()


def test_new_tabs_use_the_default_profile(keyed_window: MainWindow) -> None:
    assert keyed_window.keys is not None
    keyed_window.keys.profiles.add("work")
    keyed_window.keys.profiles.set_default("work")
    tab = keyed_window.new_tab()
    assert tab.controller.session.profile == "work"
    assert keyed_window.tabs.conversation(0).controller.session.profile == "default"


def test_tab_menu_without_keys_yet_says_loading(
    open_window: Callable[[], MainWindow], qtbot: QtBot
) -> None:
    window = open_window()
    menu = window.show_tab_menu(0, window.mapToGlobal(QPoint(10, 10)))
    qtbot.waitUntil(menu.isVisible)
    profiles = menu.findChild(QMenu, "profileMenu")
    assert profiles is not None
    [loading] = profiles.actions()
    assert not loading.isEnabled()
    menu.close()
