"""`mayadesk doctor`: what the app sees on this machine, for users and bug reports.

It prints every section even when one fails, then exits 0 when all is well, 1 when a check
failed or a key is not set, 3 when the keyring is unavailable (DESIGN.md exit codes).
"""

from __future__ import annotations

import os
import platform
import sys
from dataclasses import dataclass, field
from importlib.metadata import PackageNotFoundError, version

from mayadesk import __version__
from mayadesk.config import load_settings
from mayadesk.paths import AppPaths

PACKAGES = (
    "PySide6-Essentials", "PySide6-Addons", "qasync", "langchain-google-genai", "google-genai",
    "cartesia", "keyring", "platformdirs", "piper-tts",
)
EXIT_OK, EXIT_FAILED, EXIT_KEYRING = 0, 1, 3


@dataclass
class Report:
    lines: list[str] = field(default_factory=list)
    failed: bool = False
    keyring_unavailable: bool = False

    def section(self, title: str) -> None:
        self.lines.append(f"\n{title}")

    def item(self, name: str, value: object) -> None:
        self.lines.append(f"  {name + ':':<24}{value}")

    def problem(self, name: str, value: object) -> None:
        self.failed = True
        self.item(name, f"PROBLEM: {value}")


def package_version(name: str) -> str:
    try:
        return version(name)
    except PackageNotFoundError:
        return "not installed"


def check_versions(report: Report) -> None:
    report.section("Versions")
    report.item("MayaDesk", __version__)
    report.item("Python", f"{platform.python_version()} ({sys.executable})")
    report.item("System", platform.platform())
    for name in PACKAGES:
        report.item(name, package_version(name))


def check_paths(report: Report, paths: AppPaths) -> None:
    report.section("Paths")
    report.item("config", paths.config)
    report.item("data", paths.data)
    report.item("state", paths.state)
    report.item("logs", paths.log_file)
    report.item("cache", paths.cache)


def check_qt(report: Report) -> None:
    """Qt platform and audio devices; without a display, look offscreen and say so."""
    from mayadesk.app import has_display

    headless = not has_display()
    if headless:
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
    os.environ.setdefault("QT_LOGGING_RULES", "qt.multimedia.*=false")
    from PySide6 import __version__ as pyside_version
    from PySide6.QtCore import qVersion
    from PySide6.QtGui import QGuiApplication
    from PySide6.QtMultimedia import QMediaDevices

    app = QGuiApplication.instance() or QGuiApplication(["mayadesk-doctor"])
    report.section("Screen")
    report.item("Qt", f"{qVersion()} (PySide6 {pyside_version})")
    platform_name = QGuiApplication.platformName()
    if headless:
        report.problem("Qt platform", "no display (DISPLAY/WAYLAND_DISPLAY unset); offscreen")
    else:
        report.item("Qt platform", platform_name)
    screen = QGuiApplication.primaryScreen()
    if screen is not None:
        size = screen.size()
        report.item("primary screen", f"{size.width()}x{size.height()} @ {screen.name()}")
    report.item("colour scheme", QGuiApplication.styleHints().colorScheme().name)

    report.section("Audio")
    outputs = QMediaDevices.audioOutputs()
    inputs = QMediaDevices.audioInputs()
    default_out = QMediaDevices.defaultAudioOutput()
    default_in = QMediaDevices.defaultAudioInput()
    if outputs:
        for device in outputs:
            mark = " (default)" if device.id() == default_out.id() else ""
            report.item("output", device.description() + mark)
    else:
        report.problem("output", "no audio output device; Maya can only write")
    if inputs:
        for device in inputs:
            mark = " (default)" if device.id() == default_in.id() else ""
            report.item("input", device.description() + mark)
    else:
        report.item("input", "none (voice input unavailable; typing works)")
    del app


def check_keys(report: Report, paths: AppPaths) -> None:
    from mayadesk.keys.store import PROVIDERS, KeyringUnavailable, KeyStore, fingerprint

    report.section("Keyring")
    store = KeyStore()
    report.item("backend", store.backend_name())
    settings = load_settings(paths.config_file)
    try:
        for profile in settings.profiles:
            for provider in PROVIDERS:
                key = store.get(profile, provider)
                name = f"{profile}/{provider}"
                if key:
                    report.item(name, f"set ({fingerprint(key)})")
                else:
                    report.problem(name, "not set (mayadesk keys set " + provider
                                   + ("" if profile == "default" else f" --profile {profile}")
                                   + ")")
        report.item("state", "working")
    except KeyringUnavailable as error:
        report.keyring_unavailable = True
        report.problem("state", error)


def run_doctor(paths: AppPaths) -> int:
    report = Report()
    report.lines.append(f"MayaDesk doctor — what MayaDesk {__version__} sees")
    check_versions(report)
    check_paths(report, paths)
    check_qt(report)
    check_keys(report, paths)
    print("\n".join(report.lines))
    if report.keyring_unavailable:
        return EXIT_KEYRING
    return EXIT_FAILED if report.failed else EXIT_OK
