"""The main window: menus and shortcuts around the tabs of conversations."""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from PySide6.QtCore import QByteArray, QPoint, Qt, Signal
from PySide6.QtGui import QAction, QActionGroup, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QApplication,
    QMainWindow,
    QMenu,
    QMessageBox,
    QVBoxLayout,
    QWidget,
)
from qasync import asyncSlot

from mayadesk import APP_DISPLAY_NAME, __version__
from mayadesk.app_services import KeyServices
from mayadesk.paths import AppPaths
from mayadesk.sessions.session import Session
from mayadesk.ui import theme
from mayadesk.ui.conversation_tab import ConversationTab
from mayadesk.ui.conversation_tabs import ConversationTabs
from mayadesk.ui.history_actions import HistoryActions
from mayadesk.ui.notice_banner import NoticeBanner
from mayadesk.ui.recent_menu import RecentlyClosedMenu
from mayadesk.ui.settings_dialog import SettingsDialog
from mayadesk.ui.window_state import WindowState
from mayadesk.workers.conversation_keeper import ConversationKeeper
from mayadesk.workers.tab_controller import TabController
from mayadesk.workers.turn_services import TurnServices

if TYPE_CHECKING:
    from mayadesk.ui.history_dialog import HistoryDialog
    from mayadesk.ui.voice_in_glue import VoiceInGlue

log = logging.getLogger("mayadesk.ui")

DEFAULT_TITLE = "New conversation"
CLOSED_TABS_KEPT = 25
StandardKey = QKeySequence.StandardKey


@dataclass(frozen=True)
class ClosedTab:
    """What Ctrl+Shift+T needs to bring a tab back: its title and its session."""

    title: str
    session: Session


def key_sequences(written: str, standard: StandardKey | None = None) -> list[QKeySequence]:
    """The combination as DESIGN.md writes it, plus the platform's alternatives."""
    sequences = [QKeySequence(written)]
    if standard is not None:
        sequences += [s for s in QKeySequence.keyBindings(standard) if s not in sequences]
    return sequences


class MainWindow(QMainWindow):
    """MayaDesk's window.

    Signals:
        session_released(Session): a tab closed; its session's clients can be freed.
        keys_changed(str, str): a key of (profile, provider) was set, replaced or deleted.
        key_notice_checked(): the missing-keys notice was (re)checked against the keyring.
    """

    session_released = Signal(object)
    keys_changed = Signal(str, str)
    key_notice_checked = Signal()

    def __init__(
        self,
        paths: AppPaths,
        new_session: Callable[[str], Session],
        default_profile: str = "default",
        turns: TurnServices | None = None,
        keeper: ConversationKeeper | None = None,
        *,
        open_first_tab: bool = True,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("mainWindow")
        self.setWindowTitle(APP_DISPLAY_NAME)
        self.paths = paths
        self._new_session = new_session
        self._default_profile = default_profile
        self._turns = turns
        self._keeper = keeper
        self._restoring = False
        self._closed: deque[ClosedTab] = deque(maxlen=CLOSED_TABS_KEPT)
        self._window_state = WindowState(paths.window_state_file)
        self._splitter_state: QByteArray | None = self._window_state.splitter
        self._settings_dialog: SettingsDialog | None = None
        self._settings_pages: dict[str, Callable[[], QWidget]] = {}
        self._history_dialog: HistoryDialog | None = None
        self.history = HistoryActions(self, keeper) if keeper is not None else None
        self.keys: KeyServices | None = None
        self.voice_in: VoiceInGlue | None = None  # talking to Maya, once speech has started
        self._replies_playable = True

        self.notice = NoticeBanner("OK")
        self.notice.action_clicked.connect(self.notice.hide)
        self.key_notice = NoticeBanner("Open Keys…")
        self.key_notice.action_clicked.connect(lambda: self.show_settings("Keys"))
        self.tabs = ConversationTabs()
        central = QWidget()
        layout = QVBoxLayout(central)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.notice)
        layout.addWidget(self.key_notice)
        layout.addWidget(self.tabs, 1)
        self.setCentralWidget(central)
        self.tabs.new_tab_requested.connect(self.new_tab)
        self.tabs.close_requested.connect(self.close_tab)
        self.tabs.menu_requested.connect(self.show_tab_menu)
        self.tabs.currentChanged.connect(self._on_tabs_current_changed)
        self._build_actions()
        self._build_menus()
        self.resize(1000, 700)
        if geometry := self._window_state.geometry:
            self.restoreGeometry(geometry)
        if state := self._window_state.window_state:
            self.restoreState(state)
        QApplication.styleHints().colorSchemeChanged.connect(self.apply_color_scheme)
        self.tabs.tabBar().tabMoved.connect(lambda _from, _to: self._remember_tabs())
        self.tabs.renamed.connect(self._on_tabs_renamed)
        if self.history is not None:
            self.history.failed.connect(self.show_notice)
            self.history.closed_available.connect(self._on_history_closed_available)
            self.history.refresh_available()  # Ctrl+Shift+T works across restarts
        if open_first_tab:
            self.new_tab()

    # Actions ------------------------------------------------------------------------------
    def _action(
        self, text: str, keys: list[QKeySequence], slot: Callable[[], object], name: str
    ) -> QAction:
        action = QAction(text, self)
        action.setObjectName(name)
        action.setShortcuts(keys)
        action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        action.triggered.connect(lambda _checked=False: slot())
        self.addAction(action)
        return action

    def _build_actions(self) -> None:
        self.new_tab_action = self._action(
            "&New Conversation", key_sequences("Ctrl+T", StandardKey.AddTab),
            self.new_tab, "newTabAction",
        )
        self.close_tab_action = self._action(
            "&Close Conversation", key_sequences("Ctrl+W", StandardKey.Close),
            self.close_current_tab, "closeTabAction",
        )
        self.reopen_tab_action = self._action(
            "&Reopen Closed Conversation", key_sequences("Ctrl+Shift+T"),
            self.reopen_closed_tab, "reopenTabAction",
        )
        self.next_tab_action = self._action(
            "Ne&xt Conversation", key_sequences("Ctrl+Tab", StandardKey.NextChild),
            lambda: self.tabs.cycle(1), "nextTabAction",
        )
        self.previous_tab_action = self._action(
            "&Previous Conversation", key_sequences("Ctrl+Shift+Tab", StandardKey.PreviousChild),
            lambda: self.tabs.cycle(-1), "previousTabAction",
        )
        self.rename_tab_action = self._action(
            "Re&name Conversation…", key_sequences("F2"),
            self.tabs.start_rename, "renameTabAction",
        )
        self.stop_action = self._action(
            "&Stop Maya", key_sequences("Esc"), self.stop_current, "stopAction"
        )
        self.settings_action = self._action(
            "&Settings…", key_sequences("Ctrl+,", StandardKey.Preferences),
            self.show_settings, "settingsAction",
        )
        self.quit_action = self._action(
            "&Quit", key_sequences("Ctrl+Q", StandardKey.Quit), self.close, "quitAction"
        )
        self.history_action = self._action(
            "&History…", key_sequences("Ctrl+H"), self.show_history, "historyAction"
        )
        self.about_action = self._action("&About MayaDesk", [], self.show_about, "aboutAction")
        # Hold to talk: the press is this shortcut (so it works in the composer too); the
        # voice-input glue connects it and watches for the release.
        self.talk_action = self._action(
            "Hold to &Talk", key_sequences("Ctrl+Space"), lambda: None, "talkAction"
        )
        self.talk_action.setAutoRepeat(False)
        self.reopen_tab_action.setEnabled(False)
        self.history_action.setEnabled(self._keeper is not None)

    def _build_menus(self) -> None:
        bar = self.menuBar()
        file_menu = bar.addMenu("&File")
        file_menu.addAction(self.new_tab_action)
        file_menu.addAction(self.reopen_tab_action)
        self.recent_menu = RecentlyClosedMenu(self._keeper, file_menu)
        if self.history is not None:
            self.recent_menu.chosen.connect(self.history.open)
        file_menu.addMenu(self.recent_menu)
        file_menu.addAction(self.history_action)
        file_menu.addAction(self.close_tab_action)
        file_menu.addSeparator()
        file_menu.addAction(self.settings_action)
        file_menu.addSeparator()
        file_menu.addAction(self.quit_action)
        talk_menu = bar.addMenu("&Conversation")
        for action in (
            self.stop_action, self.rename_tab_action, self.next_tab_action,
            self.previous_tab_action,
        ):
            talk_menu.addAction(action)
        bar.addMenu("&Help").addAction(self.about_action)

    # Tabs ---------------------------------------------------------------------------------
    def new_tab(
        self, session: Session | None = None, title: str = DEFAULT_TITLE, *, save: bool = True
    ) -> ConversationTab:
        """Open a conversation (a fresh one unless `session` is given) and focus its input.

        `save=False` is for a conversation the store already has as open (a restored tab).
        """
        session = session or self._new_session(self.default_profile())
        if self._keeper is not None and save:
            self._keeper.save(session, title)  # before its first entry is written
        tab = ConversationTab(TabController(session, self._turns, self._keeper))
        tab.keys_requested.connect(lambda: self.show_settings("Keys"))
        if self._splitter_state is not None:
            tab.splitter.restoreState(self._splitter_state)
        tab.splitter_moved.connect(self._on_tab_splitter_moved)
        if not self._replies_playable:
            tab.set_replies_playable(False)
        index = self.tabs.addTab(tab, title)
        self.tabs.setCurrentIndex(index)
        self._update_tab_tooltip(tab)
        tab.composer.setFocus()
        if save:
            self._remember_tabs()
        log.debug("Opened tab for session %s", session.id[:8])
        return tab

    def restore_tabs(self, tabs: list[tuple[Session, str, bool]]) -> None:
        """Bring back the tabs that were open: (session, title, was current) in order."""
        self._restoring = True
        try:
            current = None
            for session, title, is_current in tabs:
                tab = self.new_tab(session, title, save=False)
                if is_current:
                    current = tab
            if current is not None:
                self.tabs.setCurrentWidget(current)
                current.composer.setFocus()
        finally:
            self._restoring = False
        if self.tabs.count() == 0:
            self.new_tab()

    def _remember_tabs(self) -> None:
        """Tell the store which conversations are open, in which order, and which is in front."""
        if self._keeper is None or self._restoring:
            return
        order = [tab.controller.session.id for tab in self.tabs.conversations()]
        current = self.tabs.current_conversation()
        self._keeper.set_open_tabs(order, current.controller.session.id if current else None)

    def _on_tabs_renamed(self, tab: ConversationTab, title: str) -> None:
        self._update_tab_tooltip(tab)
        if self._keeper is not None:
            self._keeper.rename(tab.controller.session, title)

    def close_tab(self, index: int, *, keep: bool = True) -> None:
        """Close tab `index`, keep it for Ctrl+Shift+T and release its session's clients.

        `keep=False` is for a conversation about to be deleted for good.
        """
        if not 0 <= index < self.tabs.count():
            return
        tab = self.tabs.conversation(index)
        if keep:
            self._closed.append(ClosedTab(self.tabs.tabText(index), tab.controller.session))
            self.reopen_tab_action.setEnabled(True)
        self.tabs.removeTab(index)
        tab.controller.close()
        if self._keeper is not None:
            self._keeper.close_tab(tab.controller.session)
            self._remember_tabs()
        self.session_released.emit(tab.controller.session)
        tab.deleteLater()
        if self.tabs.count() == 0:
            self.new_tab()
        elif current := self.tabs.current_conversation():
            current.setFocus()

    def close_current_tab(self) -> None:
        self.close_tab(self.tabs.currentIndex())

    def reopen_closed_tab(self) -> ConversationTab | None:
        """Bring back the most recently closed tab with its history.

        This run's closed tabs come back at once; when there are none, the store's most
        recently closed conversation (from an earlier run) opens a moment later, and None
        is returned.
        """
        if self._closed:
            return self.reopen_closed(self._closed[-1].session.id)
        if self.history is not None:
            self.history.reopen_latest()
        return None

    def reopen_closed(self, conversation_id: str) -> ConversationTab | None:
        """Bring back a tab closed in this run, with its live session; None if it isn't one."""
        found = [i for i, c in enumerate(self._closed) if c.session.id == conversation_id]
        if not found:
            return None
        closed = self._closed[found[-1]]
        del self._closed[found[-1]]
        self._update_reopen_action()
        if self._keeper is not None:
            self._keeper.reopen(conversation_id)
        return self.open_reopened(closed.session, closed.title)

    def open_reopened(self, session: Session, title: str) -> ConversationTab:
        """A conversation the store has marked open again, as the last tab, in front."""
        tab = self.new_tab(session, title, save=False)
        self._remember_tabs()
        return tab

    def discard_conversation(self, conversation_id: str) -> None:
        """Before a deletion for good: close its tab, and keep it nowhere for Ctrl+Shift+T."""
        for index, tab in enumerate(self.tabs.conversations()):
            if tab.controller.session.id == conversation_id:
                self.close_tab(index, keep=False)
                break
        kept = [c for c in self._closed if c.session.id != conversation_id]
        if len(kept) != len(self._closed):
            self._closed = deque(kept, maxlen=CLOSED_TABS_KEPT)
            self._update_reopen_action()

    def _update_reopen_action(self) -> None:
        if self._closed or self.history is None:
            self.reopen_tab_action.setEnabled(bool(self._closed))
        else:
            self.history.refresh_available()  # the store may hold earlier runs' tabs

    def _on_history_closed_available(self, available: bool) -> None:
        self.reopen_tab_action.setEnabled(available or bool(self._closed))

    def closed_tabs(self) -> list[ClosedTab]:
        return list(self._closed)

    def _update_tab_tooltip(self, tab: ConversationTab) -> None:
        index = self.tabs.indexOf(tab)
        if index >= 0:
            profile = tab.controller.session.profile
            self.tabs.set_tooltip(tab, f"{self.tabs.tabText(index)} — key profile {profile}")

    def show_tab_menu(self, index: int, where: QPoint) -> QMenu:
        """The tab's context menu: rename, its key profile, close."""
        tab = self.tabs.conversation(index)
        menu = QMenu(self)
        menu.setObjectName("tabMenu")
        menu.addAction("Rename…", lambda: self.tabs.start_rename(self.tabs.indexOf(tab)))
        profiles_menu = menu.addMenu("Use key profile")
        profiles_menu.setObjectName("profileMenu")
        if self.keys is None:
            profiles_menu.addAction("Loading profiles…").setEnabled(False)
        else:
            group = QActionGroup(profiles_menu)
            current = tab.controller.session.profile
            for name in self.keys.profiles.names():
                action = profiles_menu.addAction(name)
                action.setCheckable(True)
                action.setChecked(name == current)
                action.setActionGroup(group)
                action.triggered.connect(
                    lambda _checked=False, n=name: self.set_tab_profile(tab, n)
                )
        menu.addSeparator()
        menu.addAction("Close", lambda: self.close_tab(self.tabs.indexOf(tab)))
        delete = menu.addAction("Delete Conversation…")
        delete.setObjectName("deleteConversationAction")
        delete.setEnabled((history := self.history) is not None)
        if history is not None:
            delete.triggered.connect(
                lambda: history.confirm_delete(
                    tab.controller.session.id, self.tabs.tabText(self.tabs.indexOf(tab)), self
                )
            )
        menu.popup(where)
        return menu

    def set_tab_profile(self, tab: ConversationTab, profile: str) -> None:
        """Use `profile`'s keys for this tab from its next turn on."""
        session = tab.controller.session
        with session.lock:
            session.profile = profile
        if self._keeper is not None:
            self._keeper.set_profile(session, profile)
        self._update_tab_tooltip(tab)
        log.info("Session %s now uses key profile %s", session.id[:8], profile)
        self.refresh_key_notice()

    def set_replies_playable(self, playable: bool) -> None:
        """Play · Stop on Maya's messages only while there is an audio output to play them."""
        self._replies_playable = playable
        for tab in self.tabs.conversations():
            tab.set_replies_playable(playable)

    def show_notice(self, text: str) -> None:
        """Something the user should know that needs no action (e.g. a store moved aside)."""
        self.notice.show_text(text)

    # Keys -----------------------------------------------------------------------------------
    def default_profile(self) -> str:
        """The key profile new tabs use: the user's choice once the profiles are loaded."""
        return self.keys.profiles.default if self.keys is not None else self._default_profile

    def attach_keys(self, keys: KeyServices) -> None:
        """Take the key store once it is built (off the UI thread) and check for missing keys."""
        self.keys = keys
        self.refresh_key_notice()

    def refresh_key_notice(self) -> None:
        """Re-check, off the UI thread, which keys the current tab's profile lacks."""
        if self.keys is not None:
            self._check_key_notice()

    @asyncSlot()
    async def _check_key_notice(self) -> None:
        from mayadesk.keys.status import first_run_message

        assert self.keys is not None
        tab = self.tabs.current_conversation()
        profile = tab.controller.session.profile if tab else self.keys.profiles.default
        loop = asyncio.get_running_loop()
        message = await loop.run_in_executor(
            self.keys.keyring_executor, first_run_message, self.keys.store, profile
        )
        self.key_notice.show_text(message)
        self.key_notice_checked.emit()

    def _on_keys_page_changed(self, profile: str, provider: str) -> None:
        self.keys_changed.emit(profile, provider)
        self.refresh_key_notice()

    def stop_current(self) -> None:
        if tab := self.tabs.current_conversation():
            tab.controller.stop()

    def _on_tabs_current_changed(self, _index: int) -> None:
        if tab := self.tabs.current_conversation():
            tab.setFocus()
            self.refresh_key_notice()
            self._remember_tabs()

    def _on_tab_splitter_moved(self, state: QByteArray) -> None:
        self._splitter_state = state

    # Dialogs ------------------------------------------------------------------------------
    def add_settings_page(self, title: str, build: Callable[[], QWidget]) -> None:
        """A Settings page that joins once its services exist, built when Settings opens."""
        self._settings_pages[title] = build

    def show_settings(self, page: str | None = None) -> SettingsDialog:
        """Open Settings (on `page` when given); the Keys page joins once keys are ready."""
        if self._settings_dialog is None:
            self._settings_dialog = SettingsDialog(self.paths, self)
        dialog = self._settings_dialog
        if self.keys is not None and not dialog.has_page("Keys"):
            from mayadesk.ui.keys_page import KeysPage

            keys_page = KeysPage(self.keys.store, self.keys.profiles, self.keys.keyring_executor)
            keys_page.keys_changed.connect(self._on_keys_page_changed)
            keys_page.profiles_changed.connect(self.refresh_key_notice)
            dialog.add_page(keys_page, "Keys")
        for title, build in self._settings_pages.items():
            if not dialog.has_page(title):
                dialog.add_page(build(), title)
        if page:
            dialog.show_page(page)
        dialog.show()
        self._settings_dialog.raise_()
        self._settings_dialog.activateWindow()
        return self._settings_dialog

    def show_history(self) -> HistoryDialog | None:
        """File → History: past conversations, their search, export and deletion."""
        if self.history is None or self._keeper is None:
            return None
        if self._history_dialog is None:
            from mayadesk.ui.history_dialog import HistoryDialog

            self._history_dialog = HistoryDialog(self._keeper, self.history, self)
        self._history_dialog.show()
        self._history_dialog.raise_()
        self._history_dialog.activateWindow()
        return self._history_dialog

    def show_about(self) -> None:
        QMessageBox.about(
            self,
            f"About {APP_DISPLAY_NAME}",
            f"<b>{APP_DISPLAY_NAME} {__version__}</b><br>Maya, your bartender, on your "
            "desktop.<br>Licensed under the GNU GPL, version 3 or later.",
        )

    # Look and state -----------------------------------------------------------------------
    def restyle(self) -> None:
        """Redraw what paints with palette colours by hand (after a light/dark switch)."""
        for tab in self.tabs.conversations():
            tab.transcript.restyle()

    def apply_color_scheme(self, scheme: Qt.ColorScheme) -> None:
        app = QApplication.instance()
        if isinstance(app, QApplication):
            theme.apply_scheme(app, scheme)
        self.restyle()

    def closeEvent(self, event: QCloseEvent) -> None:
        current = self.tabs.current_conversation()
        splitter = current.splitter.saveState() if current else self._splitter_state
        self._window_state.save(self.saveGeometry(), self.saveState(), splitter)
        if self.voice_in is not None:  # the microphone closes with the window
            self.voice_in.shut_down()
        for tab in self.tabs.conversations():
            tab.controller.close()
            self.session_released.emit(tab.controller.session)
        super().closeEvent(event)
