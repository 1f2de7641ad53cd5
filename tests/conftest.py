"""Test-run services and guards shared by every test.

For the run, and only for it, this starts a private X server, a private PulseAudio with a
null sink and a loopback microphone, and a private D-Bus session with an unlocked
gnome-keyring; each is ended by its PID at the end. Every test gets fresh XDG directories,
so nothing a test writes reaches the user's files or another test. Unexpected warnings
(Python's `logging`, Python warnings, Qt messages) fail the test.
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers.portal import FakeSettingsPortal
from tests.helpers.recording import MonitorRecorder
from tests.helpers.services import PulseAudio, SecretService, Xvfb

SECRET_ENV = ("GOOGLE_API_KEY", "GEMINI_API_KEY", "CARTESIA_API_KEY")


@pytest.fixture(scope="session", autouse=True)
def desktop_services(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """Start X, PulseAudio and the Secret Service before any Qt object exists."""
    base = tmp_path_factory.mktemp("services")
    saved = dict(os.environ)
    started: list[Xvfb | PulseAudio | SecretService | FakeSettingsPortal] = []
    try:
        xvfb = Xvfb.start()
        started.append(xvfb)
        pulse = PulseAudio.start(base)
        started.append(pulse)
        secrets = SecretService.start(base)
        started.append(secrets)
        portal = FakeSettingsPortal(secrets.env["DBUS_SESSION_BUS_ADDRESS"])
        started.append(portal)
        for name in SECRET_ENV:
            os.environ.pop(name, None)
        os.environ.update(
            DISPLAY=xvfb.display,
            QT_QPA_PLATFORM="xcb",
            QT_LOGGING_RULES="qt.multimedia.*=false",
            LANG="C.UTF-8",  # the system voice picks English itself (see voice/tts_system.py)
            XDG_CURRENT_DESKTOP="GNOME",  # Qt's GNOME theme follows the portal's colour scheme
            **pulse.env,
            **secrets.env,
        )
        os.environ.pop("WAYLAND_DISPLAY", None)
        import keyring
        from keyring.backends import SecretService as SecretServiceBackend

        previous_backend = keyring.get_keyring()
        keyring.set_keyring(SecretServiceBackend.Keyring())
        _services["portal"] = portal
        yield {"DISPLAY": xvfb.display, **pulse.env, **secrets.env}
        keyring.set_keyring(previous_backend)
    finally:
        _destroy_qapplication()  # Qt exits the process when its X server goes away
        for service in reversed(started):
            service.stop()
        os.environ.clear()
        os.environ.update(saved)


def _destroy_qapplication() -> None:
    import sys

    if "PySide6.QtWidgets" not in sys.modules:
        return
    import shiboken6
    from PySide6.QtCore import QCoreApplication, QEvent
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance()
    if app is None:
        return
    for widget in QApplication.topLevelWidgets():
        widget.close()
        widget.deleteLater()
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    shiboken6.delete(app)


@pytest.fixture(autouse=True)
def app_dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Path]:
    """Fresh config/data/state/cache roots for each test (platformdirs follows XDG_*)."""
    dirs = {}
    for name in ("CONFIG", "DATA", "STATE", "CACHE"):
        path = tmp_path / "xdg" / name.lower()
        path.mkdir(parents=True)
        monkeypatch.setenv(f"XDG_{name}_HOME", str(path))
        dirs[name.lower()] = path
    return dirs


_services: dict[str, FakeSettingsPortal] = {}


@pytest.fixture
def desktop_portal() -> FakeSettingsPortal:
    """The fake desktop portal, to change the OS colour scheme as a user would."""
    return _services["portal"]


class _WarningCollector(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture
def expected_logs() -> list[str]:
    """Regexes of warning log messages this test expects; append to it in the test."""
    return []


@pytest.fixture(autouse=True)
def fail_on_unexpected_log_warnings(expected_logs: list[str]) -> Iterator[None]:
    collector = _WarningCollector()
    root = logging.getLogger()
    root.addHandler(collector)
    try:
        yield
    finally:
        root.removeHandler(collector)
    unexpected = [
        f"{r.levelname} {r.name}: {r.getMessage()}"
        for r in collector.records
        if not any(re.search(pattern, r.getMessage()) for pattern in expected_logs)
    ]
    if unexpected:
        pytest.fail("unexpected log warnings:\n" + "\n".join(unexpected), pytrace=False)


@pytest.fixture
def recorder(tmp_path: Path) -> Iterator[MonitorRecorder]:
    """Records what the test sound server plays, from before the test acts until it ends."""
    rec = MonitorRecorder(tmp_path / "monitor.raw")
    try:
        yield rec
    finally:
        rec.stop()


@pytest.fixture
def qloop(qapp: object) -> Iterator[asyncio.AbstractEventLoop]:
    """A qasync loop marked running, so @asyncSlot tasks progress while qtbot waits."""
    import qasync

    loop = qasync.QEventLoop(qapp, already_running=True)
    asyncio.set_event_loop(loop)
    yield loop
    for task in asyncio.all_tasks(loop):
        task.cancel()
    qapp.processEvents()  # type: ignore[attr-defined]
    loop._QEventLoop__is_running = False  # type: ignore[attr-defined]  # never loop.stop()
    asyncio.events._set_running_loop(None)
    loop.close()
    asyncio.set_event_loop(None)
