"""Services the window needs soon after it appears, built off the UI thread.

`keyring` (and what it pulls in) costs more start-up time than the whole window, and its
first call may block on D-Bus, so the key store is built on a worker thread once the window
is visible and handed to the window when ready.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from mayadesk.daemon_executor import DaemonExecutor
from mayadesk.paths import AppPaths

if TYPE_CHECKING:
    from mayadesk.config import Settings
    from mayadesk.keys.profiles import ProfileManager
    from mayadesk.keys.store import KeyStore


@dataclass
class KeyServices:
    """The key store, the profiles, and the one thread that talks to the keyring.

    One thread keeps keyring calls in the order the user made them, and keeps them all off
    the UI thread (an unlock prompt can block for as long as the user takes); it is a daemon
    thread, so a prompt nobody answers never stops the app from quitting.
    """

    store: KeyStore
    profiles: ProfileManager
    keyring_executor: DaemonExecutor = field(
        default_factory=lambda: DaemonExecutor("mayadesk-keyring")
    )

    def close(self) -> None:
        self.keyring_executor.shutdown(wait=False, cancel_futures=True)
        self.store.close()  # safe beside a blocked keyring call: it holds no reader lock


def build_key_services(
    paths: AppPaths, executor: DaemonExecutor | None = None, settings: Settings | None = None
) -> KeyServices:
    """Import and build the key store and profiles (blocking: run it on `executor`, whose
    thread then serves every later keyring call).

    `settings` is the app's live settings object: profiles and every other page must share
    one, or saving one page's change would write back another's stale copy.
    """
    from mayadesk.config import save_settings
    from mayadesk.keys.profiles import ProfileManager
    from mayadesk.keys.store import KeyStore

    store = KeyStore()
    if settings is None:
        profiles = ProfileManager.from_file(store, paths.config_file)
    else:
        profiles = ProfileManager(
            store, settings, lambda s: save_settings(paths.config_file, s)
        )
    if executor is None:
        return KeyServices(store, profiles)
    return KeyServices(store, profiles, executor)
