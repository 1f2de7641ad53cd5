"""Keyring helpers for the keys tests: look at what is stored, and broken keyrings on demand.

`secret-tool` is the independent witness (libsecret, not Python's keyring) of what the app
stored. `PrivateSecretService` starts a *second* private D-Bus session with gnome-keyring in a
chosen bad state, so the failure modes are real and the session-wide keyring stays untouched:

- ``"locked"``: the login collection exists but is locked, and no display is available for
  the unlock prompt, so the prompt is dismissed and keyring raises `KeyringLocked`;
- ``"uninitialised"``: no collection was ever created and creating one needs a prompt that
  cannot be shown, so keyring raises `InitError` ("Prompt dismissed").

The private bus runs without DISPLAY/WAYLAND_DISPLAY, so gnome-keyring's prompter
(gcr-prompter, D-Bus activated with the bus's environment) cannot show a window.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

DEAD_BUS = "unix:path=/nonexistent/mayadesk-test/bus"


def secret_tool_lookup(
    profile: str, provider: str, env: dict[str, str] | None = None
) -> str | None:
    """What libsecret finds for service `mayadesk`, username `<profile>/<provider>`."""
    result = subprocess.run(
        ["secret-tool", "lookup", "service", "mayadesk", "username", f"{profile}/{provider}"],
        capture_output=True, text=True, timeout=20, env=env,
    )
    return result.stdout if result.returncode == 0 else None


def clear_mayadesk_items() -> None:
    """Remove every item of service `mayadesk` from the session test keyring."""
    subprocess.run(["secret-tool", "clear", "service", "mayadesk"], capture_output=True,
                   timeout=20, check=False)


def env_without_display(base: dict[str, str]) -> dict[str, str]:
    return {k: v for k, v in base.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}


@dataclass
class PrivateSecretService:
    """A private D-Bus session whose Secret Service is locked, uninitialised or unlocked."""

    dbus_pid: int
    address: str

    @classmethod
    def start(
        cls, base: Path, state: Literal["locked", "uninitialised", "unlocked"]
    ) -> PrivateSecretService:
        home, runtime = base / "home", base / "run"
        home.mkdir(parents=True)
        runtime.mkdir(parents=True, mode=0o700)
        env = env_without_display(dict(os.environ))
        env.pop("DBUS_SESSION_BUS_ADDRESS", None)
        env.update(HOME=str(home), XDG_RUNTIME_DIR=str(runtime),
                   XDG_DATA_HOME=str(home / "data"))
        out = subprocess.run(
            [shutil.which("dbus-daemon") or "dbus-daemon", "--session", "--fork",
             "--print-address=1", "--print-pid=1"],
            env=env, capture_output=True, text=True, check=True, timeout=20,
        ).stdout.split()
        service = cls(int(out[1]), out[0])
        env["DBUS_SESSION_BUS_ADDRESS"] = service.address
        if state in ("locked", "unlocked"):
            subprocess.run(["gnome-keyring-daemon", "--unlock", "--components=secrets"],
                           input=b"private-pass", env=env, capture_output=True, check=True,
                           timeout=20)
        if state == "locked":
            service.lock()
        return service

    def lock(self) -> None:
        """Lock the default collection, as a screen locker or `seahorse` would."""
        import secretstorage
        from jeepney.io.blocking import open_dbus_connection

        connection = open_dbus_connection(bus=self.address)
        try:
            collection = secretstorage.get_default_collection(connection)
            collection.lock()
            assert collection.is_locked()
        finally:
            connection.close()

    def stop(self) -> None:
        # gnome-keyring-daemon exits with its bus.
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.dbus_pid, signal.SIGTERM)
