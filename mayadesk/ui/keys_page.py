"""Settings → Keys: each profile's Gemini and Cartesia keys, managed without leaving the app.

Every keyring call (and the config write a profile change makes) runs on a worker thread
through `loop.run_in_executor`: unlocking a keyring can block on a system prompt for as long
as the user takes, and the window must stay responsive meanwhile. Keyring calls share one
worker, so they happen in the order the user asked for them; online checks get their own, so
a slow network never queues a keyring call behind it.

When no keyring works, the page says so in plain words and offers to use a key for this run
only (held in memory); it never falls back to writing the key anywhere.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable, Coroutine, Iterator
from concurrent.futures import Executor, ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any, TypeVar

import shiboken6
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFrame,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from mayadesk.keys.formats import check_format
from mayadesk.keys.online_check import check_online
from mayadesk.keys.profiles import ProfileError, ProfileManager
from mayadesk.keys.status import KeyState, KeyStatus, read_status
from mayadesk.keys.store import (
    PROVIDER_NAMES,
    PROVIDERS,
    InvalidKey,
    InvalidProfileName,
    KeyringUnavailable,
    KeyStore,
    clean_key,
    friendly_backend_name,
)

T = TypeVar("T")

THIS_RUN_OFFER = (
    "You can still type a key below and use it for this run only: it is held in memory and "
    "forgotten when MayaDesk quits."
)


class _PageGone(Exception):
    """The page was destroyed while a background call ran; its result has nowhere to go."""


class ProviderRow(QGroupBox):
    """One provider's controls for the selected profile."""

    def __init__(self, provider: str, parent: QWidget | None = None) -> None:
        super().__init__(PROVIDER_NAMES[provider], parent)
        self.provider = provider
        self.setObjectName(f"keysRow_{provider}")
        self.status: KeyStatus | None = None
        self.state_label = QLabel("Reading the keyring…")
        self.state_label.setObjectName(f"keyState_{provider}")
        self.key_edit = QLineEdit()
        self.key_edit.setObjectName(f"keyEdit_{provider}")
        self.key_edit.setEchoMode(QLineEdit.EchoMode.Password)  # shows dots; copy is disabled
        self.key_edit.setPlaceholderText(f"Paste a {PROVIDER_NAMES[provider]} key")
        self.key_edit.setClearButtonEnabled(True)
        self.this_run_box = QCheckBox("For this run only (not saved)")
        self.this_run_box.setToolTip("Keep the key in memory until MayaDesk quits; nothing is "
                                     "written to the keyring or to disk.")
        self.save_button = QPushButton("Set")
        self.delete_button = QPushButton("Delete…")
        self.check_button = QPushButton("Check")
        self.check_button.setToolTip("Check the key's format, without using the network")
        self.online_button = QPushButton("Check online")
        self.online_button.setToolTip(
            f"Ask {PROVIDER_NAMES[provider]} whether it accepts the key (one small request)"
        )
        self.result_label = QLabel()
        self.result_label.setObjectName(f"keyResult_{provider}")
        self.result_label.setWordWrap(True)
        self.result_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        grid = QGridLayout(self)
        grid.addWidget(self.state_label, 0, 0, 1, 3)
        grid.addWidget(self.key_edit, 1, 0)
        grid.addWidget(self.this_run_box, 1, 1)
        grid.addWidget(self.save_button, 1, 2)
        actions = QHBoxLayout()
        for button in (self.check_button, self.online_button, self.delete_button):
            actions.addWidget(button)
        actions.addStretch(1)
        grid.addLayout(actions, 2, 0, 1, 3)
        grid.addWidget(self.result_label, 3, 0, 1, 3)
        grid.setColumnStretch(0, 1)
        self.this_run_box.toggled.connect(self._update_save_text)

    def show_status(self, status: KeyStatus) -> None:
        self.status = status
        if status.state is KeyState.SET:
            text = f"Set · {status.fingerprint}"
        elif status.state is KeyState.THIS_RUN:
            text = f"Set for this run only (not saved) · {status.fingerprint}"
        elif status.state is KeyState.NOT_SET:
            text = "Not set"
        else:
            text = "Keyring unavailable"
            self.this_run_box.setChecked(True)
        self.state_label.setText(text)
        self.delete_button.setEnabled(status.state.usable)
        self._update_save_text()

    def show_result(self, text: str, *, ok: bool = True) -> None:
        self.result_label.setText(text)
        self.result_label.setProperty("ok", ok)
        self.result_label.setStyleSheet("" if ok else "color: palette(highlight);")

    def _update_save_text(self) -> None:
        if self.this_run_box.isChecked():
            self.save_button.setText("Use for this run")
        elif self.status is not None and self.status.state.usable:
            self.save_button.setText("Replace")
        else:
            self.save_button.setText("Set")


class KeysPage(QWidget):
    """The Keys page of the settings dialog.

    Signals:
        keys_changed(profile, provider): a key was set, replaced, deleted, or moved by a
            profile rename or delete. Tabs on that profile should use new clients from
            their next turn on.
        profiles_changed(): profiles were added, renamed or deleted, or the default changed.
        refreshed(): the page has re-read the keyring and shows current states.
        result_shown(provider, text): a check or action reported `text` ("" = profiles).
    """

    keys_changed = Signal(str, str)
    profiles_changed = Signal()
    refreshed = Signal()
    result_shown = Signal(str, str)

    def __init__(
        self,
        store: KeyStore,
        profiles: ProfileManager,
        executor: Executor | None = None,
        parent: QWidget | None = None,
    ) -> None:
        """`executor` runs keyring calls (one worker keeps them in order); by default the page
        makes and owns one. Needs a running qasync loop by the time it is shown."""
        super().__init__(parent)
        self.setObjectName("keysPage")
        self._store = store
        self._profiles = profiles
        owned: list[Executor] = []
        if executor is None:
            executor = ThreadPoolExecutor(1, thread_name_prefix="mayadesk-keyring")
            owned.append(executor)
        self._keyring_executor = executor
        self._network_executor = ThreadPoolExecutor(2, thread_name_prefix="mayadesk-keycheck")
        owned.append(self._network_executor)
        self._owned_executors = tuple(owned)
        self.destroyed.connect(functools.partial(_shutdown, self._owned_executors))
        self._tasks: set[asyncio.Future[Any]] = set()
        self._busy_count = 0

        self.banner = QFrame()
        self.banner.setObjectName("keysBanner")
        self.banner.setFrameShape(QFrame.Shape.StyledPanel)
        self.banner_label = QLabel()
        self.banner_label.setWordWrap(True)
        self.retry_button = QPushButton("Try again")
        banner_layout = QHBoxLayout(self.banner)
        banner_layout.addWidget(self.banner_label, 1)
        banner_layout.addWidget(self.retry_button)
        self.banner.hide()

        self.backend_label = QLabel(
            "Keys are kept only in the system keyring, never in MayaDesk's files."
        )
        self.backend_label.setWordWrap(True)
        self.profile_box = QComboBox()
        self.profile_box.setObjectName("keysProfileBox")
        self.default_button = QPushButton("Use for new tabs")
        self.add_button = QPushButton("Add…")
        self.rename_button = QPushButton("Rename…")
        self.delete_profile_button = QPushButton("Delete…")
        self.profile_result = QLabel()
        self.profile_result.setWordWrap(True)
        profile_row = QHBoxLayout()
        profile_row.addWidget(QLabel("Profile:"))
        profile_row.addWidget(self.profile_box, 1)
        for button in (self.default_button, self.add_button, self.rename_button,
                       self.delete_profile_button):
            profile_row.addWidget(button)

        self.rows = {provider: ProviderRow(provider) for provider in PROVIDERS}
        layout = QVBoxLayout(self)
        layout.addWidget(self.banner)
        layout.addWidget(self.backend_label)
        layout.addLayout(profile_row)
        layout.addWidget(self.profile_result)
        for row in self.rows.values():
            layout.addWidget(row)
            row.save_button.clicked.connect(functools.partial(self._spawn_for, row, "save"))
            row.delete_button.clicked.connect(functools.partial(self._on_delete_clicked, row))
            row.check_button.clicked.connect(functools.partial(self._spawn_for, row, "check"))
            row.online_button.clicked.connect(functools.partial(self._spawn_for, row, "online"))
        layout.addStretch(1)

        self.retry_button.clicked.connect(lambda _checked=False: self.refresh())
        self.profile_box.currentIndexChanged.connect(self._on_profile_box_changed)
        self.default_button.clicked.connect(self._on_default_clicked)
        self.add_button.clicked.connect(self._on_add_clicked)
        self.rename_button.clicked.connect(self._on_rename_clicked)
        self.delete_profile_button.clicked.connect(self._on_delete_profile_clicked)
        self._fill_profiles(profiles.default)

    # -- public -----------------------------------------------------------------------

    def current_profile(self) -> str:
        return str(self.profile_box.currentData() or self._profiles.default)

    def select_profile(self, name: str) -> None:
        index = self.profile_box.findData(name)
        if index >= 0:
            self.profile_box.setCurrentIndex(index)

    def refresh(self) -> None:
        """Re-read the selected profile's keys from the keyring (in the background)."""
        self._spawn(self._reload())

    def close_executors(self) -> None:
        """Stop the worker threads the page made (also done when it is destroyed); an executor
        passed in stays with its owner."""
        _shutdown(self._owned_executors)

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self.refresh()

    # -- plumbing -----------------------------------------------------------------------

    def _spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        """Run `coro` on the qasync loop; keep a reference so it is not collected mid-way."""
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._on_task_done)

    def _on_task_done(self, task: asyncio.Future[Any]) -> None:
        self._tasks.discard(task)
        if task.cancelled():
            return
        error = task.exception()
        if error is not None and not isinstance(error, _PageGone):
            raise error  # reaches the loop's exception handler: a bug, not a user error

    def _spawn_for(self, row: ProviderRow, what: str, _checked: bool = False) -> None:
        action = {"save": self._save, "check": self._check, "online": self._check_online}[what]
        self._spawn(action(row))

    async def _keyring(self, fn: Callable[..., T], *args: Any) -> T:
        """Run a blocking keyring (or config) call on the keyring worker."""
        loop = asyncio.get_running_loop()
        result = await loop.run_in_executor(self._keyring_executor, functools.partial(fn, *args))
        if not shiboken6.isValid(self):
            raise _PageGone
        return result

    async def _network(self, fn: Callable[..., T], *args: Any) -> T:
        loop = asyncio.get_running_loop()
        result = await loop.run_in_executor(self._network_executor, functools.partial(fn, *args))
        if not shiboken6.isValid(self):
            raise _PageGone
        return result

    @contextmanager
    def _busy(self) -> Iterator[None]:
        """Disable key and profile actions while a keyring call runs, so clicks do not pile up."""
        self._busy_count += 1
        self._set_enabled(False)
        try:
            yield
        finally:
            self._busy_count -= 1
            if self._busy_count == 0 and shiboken6.isValid(self):
                self._set_enabled(True)

    def _set_enabled(self, enabled: bool) -> None:
        for button in (self.add_button, self.rename_button, self.retry_button):
            button.setEnabled(enabled)
        self.profile_box.setEnabled(enabled)
        self._update_profile_buttons(enabled)
        for row in self.rows.values():
            for button in (row.save_button, row.check_button):
                button.setEnabled(enabled)
            row.delete_button.setEnabled(
                enabled and row.status is not None and row.status.state.usable
            )

    def _update_profile_buttons(self, enabled: bool = True) -> None:
        is_default = self.current_profile() == self._profiles.default
        self.default_button.setEnabled(enabled and not is_default)
        self.delete_profile_button.setEnabled(enabled and not is_default)
        self.delete_profile_button.setToolTip(
            "The profile new tabs use cannot be deleted; make another one the default first."
            if is_default else "Delete this profile and its keys"
        )

    def _fill_profiles(self, select: str) -> None:
        self.profile_box.blockSignals(True)
        self.profile_box.clear()
        for name in self._profiles.names():
            shown = f"{name} (new tabs)" if name == self._profiles.default else name
            self.profile_box.addItem(shown, name)
        self.profile_box.blockSignals(False)
        index = self.profile_box.findData(select)
        self.profile_box.setCurrentIndex(max(index, 0))
        self._update_profile_buttons()

    def _show_unavailable(self, problem: str) -> None:
        self.banner_label.setText(f"{problem} {THIS_RUN_OFFER}")
        self.banner.show()

    def _report(self, row: ProviderRow | None, text: str, *, ok: bool = True) -> None:
        if row is None:
            self.profile_result.setText(text)
        else:
            row.show_result(text, ok=ok)
        self.result_shown.emit("" if row is None else row.provider, text)

    # -- keys ---------------------------------------------------------------------------

    async def _reload(self) -> None:
        profile = self.current_profile()
        statuses, backend = await self._keyring(_read, self._store, profile)
        if profile != self.current_profile():
            return  # the user switched profiles meanwhile; that switch reloads again
        problem = None
        for status in statuses:
            self.rows[status.provider].show_status(status)
            if status.state is KeyState.UNAVAILABLE:
                problem = status.problem
        if problem is not None:
            self._show_unavailable(problem)
            for row in self.rows.values():  # saving would fail; offer what works
                row.this_run_box.setChecked(True)
        else:
            self.banner.hide()
        name = friendly_backend_name(backend)
        self.backend_label.setText(
            "Keys are kept only in the system keyring"
            + (f" ({name})" if name else "")
            + ", never in MayaDesk's files."
        )
        self._set_enabled(self._busy_count == 0)
        self.refreshed.emit()

    async def _save(self, row: ProviderRow) -> None:
        profile, provider = self.current_profile(), row.provider
        try:
            key = clean_key(row.key_edit.text())
        except InvalidKey as error:
            self._report(row, str(error), ok=False)
            return
        this_run = row.this_run_box.isChecked()
        with self._busy():
            try:
                if this_run:
                    fp = await self._keyring(self._store.set_for_this_run, profile, provider, key)
                else:
                    fp = await self._keyring(self._store.set, profile, provider, key)
            except KeyringUnavailable as error:
                self._show_unavailable(str(error))
                row.this_run_box.setChecked(True)
                self._report(row, f"Not saved: {error} Press “Use for this run” to use the key "
                             "until MayaDesk quits.", ok=False)
                return
        row.key_edit.clear()
        where = "for this run only (not saved)" if this_run else "in the keyring"
        text = f"{PROVIDER_NAMES[provider]} key {fp} set {where}."
        shape = check_format(provider, key)
        if not shape.ok:
            text += f" Note: {shape.message}"
        self._report(row, text, ok=shape.ok)
        self.keys_changed.emit(profile, provider)
        await self._reload()

    def _on_delete_clicked(self, row: ProviderRow, _checked: bool = False) -> None:
        status = row.status
        if status is None or not status.state.usable:
            return
        name = PROVIDER_NAMES[row.provider]
        box = QMessageBox(
            QMessageBox.Icon.Question,
            "Delete key — MayaDesk",
            f"Delete the {name} key of profile {status.profile} ({status.fingerprint})?\n\n"
            f"Tabs using this profile cannot use {name} until a key is set again.",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            self,
        )
        box.setObjectName("keysConfirmDelete")
        self._confirm(box, lambda: self._spawn(self._delete(row, status)))

    @staticmethod
    def _confirm(box: QMessageBox, then: Callable[[], None]) -> None:
        """Show a Yes/No question without a nested event loop (`open`, not `exec`): the
        qasync loop keeps running, and tests answer it like a user would."""
        box.setDefaultButton(QMessageBox.StandardButton.No)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)

        def on_finished(result: int) -> None:
            if result == QMessageBox.StandardButton.Yes.value:
                then()

        box.finished.connect(on_finished)
        box.open()

    async def _delete(self, row: ProviderRow, status: KeyStatus) -> None:
        with self._busy():
            try:
                if status.state is KeyState.THIS_RUN:
                    await self._keyring(self._store.forget_for_this_run, status.profile,
                                        status.provider)
                else:
                    await self._keyring(self._store.delete, status.profile, status.provider)
            except KeyringUnavailable as error:
                self._show_unavailable(str(error))
                self._report(row, f"Not deleted: {error}", ok=False)
                return
        self._report(row, f"{PROVIDER_NAMES[status.provider]} key deleted.")
        self.keys_changed.emit(status.profile, status.provider)
        await self._reload()

    async def _key_to_check(self, row: ProviderRow) -> str | None:
        """The typed key if there is one (check before saving), else the key in use."""
        if row.key_edit.text().strip():
            try:
                return clean_key(row.key_edit.text())
            except InvalidKey as error:
                self._report(row, str(error), ok=False)
                return None
        try:
            key = await self._keyring(self._store.get, self.current_profile(), row.provider)
        except KeyringUnavailable as error:
            self._report(row, str(error), ok=False)
            return None
        if key is None:
            self._report(row, "No key is set; paste one above first.", ok=False)
        return key

    async def _check(self, row: ProviderRow) -> None:
        key = await self._key_to_check(row)
        if key is not None:
            result = check_format(row.provider, key)
            self._report(row, result.message, ok=result.ok)

    async def _check_online(self, row: ProviderRow) -> None:
        row.online_button.setEnabled(False)
        try:
            key = await self._key_to_check(row)
            if key is None:
                return
            row.show_result(f"Asking {PROVIDER_NAMES[row.provider]}…")
            result = await self._network(check_online, row.provider, key)
            self._report(row, result.message, ok=result.ok)
        finally:
            if shiboken6.isValid(self):
                row.online_button.setEnabled(True)

    # -- profiles -----------------------------------------------------------------------

    def _on_profile_box_changed(self, _index: int) -> None:
        self._update_profile_buttons()
        for row in self.rows.values():
            row.key_edit.clear()
            row.result_label.clear()
            row.this_run_box.setChecked(False)
        self.refresh()

    def _ask_name(self, title: str, label: str, text: str, then: Callable[[str], None]) -> None:
        dialog = QInputDialog(self)
        dialog.setObjectName("keysProfileName")
        dialog.setWindowTitle(title)
        dialog.setLabelText(label)
        dialog.setTextValue(text)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.textValueSelected.connect(then)
        dialog.open()

    def _on_add_clicked(self, _checked: bool = False) -> None:
        self._ask_name("New key profile — MayaDesk",
                       "Name of the new profile (letters, digits, _ and -):", "",
                       lambda name: self._spawn(self._add_profile(name.strip())))

    def _on_rename_clicked(self, _checked: bool = False) -> None:
        old = self.current_profile()
        self._ask_name("Rename key profile — MayaDesk", f"New name for profile {old}:", old,
                       lambda name: self._spawn(self._rename_profile(old, name.strip())))

    def _on_default_clicked(self, _checked: bool = False) -> None:
        self._spawn(self._set_default(self.current_profile()))

    def _on_delete_profile_clicked(self, _checked: bool = False) -> None:
        name = self.current_profile()
        box = QMessageBox(
            QMessageBox.Icon.Question,
            "Delete profile — MayaDesk",
            f"Delete profile {name} and its keys from the keyring?",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            self,
        )
        box.setObjectName("keysConfirmDeleteProfile")
        self._confirm(box, lambda: self._spawn(self._delete_profile(name)))

    async def _profile_action(self, fn: Callable[..., None], *args: str) -> bool:
        try:
            with self._busy():
                await self._keyring(fn, *args)
        except (InvalidProfileName, ProfileError, KeyringUnavailable) as error:
            self._report(None, str(error), ok=False)
            return False
        return True

    async def _add_profile(self, name: str) -> None:
        if await self._profile_action(self._profiles.add, name):
            self._fill_profiles(name)
            self._report(None, f"Added profile {name}.")
            self.profiles_changed.emit()
            await self._reload()

    async def _rename_profile(self, old: str, new: str) -> None:
        if new == old:
            return
        if await self._profile_action(self._profiles.rename, old, new):
            self._fill_profiles(new)
            self._report(None, f"Renamed profile {old} to {new}.")
            for provider in PROVIDERS:
                self.keys_changed.emit(old, provider)
                self.keys_changed.emit(new, provider)
            self.profiles_changed.emit()
            await self._reload()

    async def _set_default(self, name: str) -> None:
        if await self._profile_action(self._profiles.set_default, name):
            self._fill_profiles(name)
            self._report(None, f"New tabs will use profile {name}.")
            self.profiles_changed.emit()

    async def _delete_profile(self, name: str) -> None:
        if await self._profile_action(self._profiles.delete, name):
            self._fill_profiles(self._profiles.default)
            self._report(None, f"Deleted profile {name} and its keys.")
            for provider in PROVIDERS:
                self.keys_changed.emit(name, provider)
            self.profiles_changed.emit()
            await self._reload()


def _read(store: KeyStore, profile: str) -> tuple[list[KeyStatus], str]:
    """Worker side of a reload: the profile's states and the backend's name (both block)."""
    return read_status(store, [profile]), store.backend_name()


def _shutdown(executors: tuple[Executor, ...], *_args: object) -> None:
    for executor in executors:
        executor.shutdown(wait=False, cancel_futures=True)
