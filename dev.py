#!/usr/bin/env python3
"""Set up what is missing, then run MayaDesk or its whole test suite.

    python3 dev.py run [ARGS...]     install what is missing and launch MayaDesk
    python3 dev.py test [PYTEST...]  install what is missing and run lint, types and every test
    python3 dev.py bench             install what is missing and run the benchmarks

Only the standard library is used here, because this script runs before anything is installed.
System packages are installed with apt when run as root; otherwise the missing ones are named
with the command that installs them. Python packages go into `.venv/` beside this file and are
reinstalled only when `pyproject.toml` changes.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
VENV_PY = VENV / "bin" / "python"

# What Qt (xcb, multimedia, text-to-speech) and the keyring need at run time.
APT_RUNTIME = [
    "libglib2.0-0", "libgl1", "libegl1", "libxkbcommon0", "libfontconfig1", "libdbus-1-3",
    "libpulse0", "libxkbcommon-x11-0", "libxcb-cursor0", "libxcb-icccm4", "libxcb-keysyms1",
    "libxcb-shape0", "libxcb-randr0", "libxcb-render-util0", "libxcb-xinerama0",
    "libxcb-image0", "libxcb-xkb1", "fonts-dejavu-core", "libspeechd2", "speech-dispatcher",
    "speech-dispatcher-flite",
]
# What the test services (screen, sound server, Secret Service) and the checks need.
APT_TEST = [
    "xvfb", "xauth", "pulseaudio", "pulseaudio-utils", "sox", "dbus", "dbus-x11",
    "gnome-keyring", "libsecret-tools", "desktop-file-utils", "appstream", "espeak-ng",
    "binutils", "git", "xdotool", "x11-utils",
]
EXTRAS = {"run": "local-voice", "test": "local-voice,test,bundle"}


def say(message: str) -> None:
    print(f"dev.py: {message}", file=sys.stderr, flush=True)


def missing_apt(packages: list[str]) -> list[str]:
    """Return the packages dpkg does not list as installed (all of them without dpkg)."""
    if shutil.which("dpkg-query") is None:
        return []  # not a Debian-like system: nothing we can check or install
    missing = []
    for name in packages:
        result = subprocess.run(
            ["dpkg-query", "-W", "-f=${Status}", name], capture_output=True, text=True
        )
        if "install ok installed" not in result.stdout:
            missing.append(name)
    return missing


def ensure_apt(packages: list[str]) -> None:
    missing = missing_apt(packages)
    if not missing:
        return
    if os.geteuid() != 0:
        say("these system packages are missing: " + " ".join(missing))
        say("install them with:  sudo apt-get install -y " + " ".join(missing))
        sys.exit(1)
    say("installing system packages: " + " ".join(missing))
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    subprocess.run(["apt-get", "update", "-q"], check=True, env=env)
    subprocess.run(
        ["apt-get", "install", "-y", "-q", "--no-install-recommends", *missing],
        check=True, env=env,
    )


def ensure_venv(extras: str) -> None:
    """Create `.venv` and install the project with `extras` when the stamp is stale."""
    stamp = VENV / ".mayadesk-stamp"
    digest = hashlib.sha256((ROOT / "pyproject.toml").read_bytes() + extras.encode()).hexdigest()
    if VENV_PY.exists() and stamp.exists() and stamp.read_text() == digest:
        return
    if not VENV_PY.exists():
        say(f"creating {VENV}")
        made = subprocess.run([sys.executable, "-m", "venv", str(VENV)])
        if made.returncode != 0:
            minor = f"python3.{sys.version_info.minor}-venv"
            if os.geteuid() != 0:
                say(f"Python cannot make a virtual environment: sudo apt-get install -y {minor}")
                sys.exit(1)
            shutil.rmtree(VENV, ignore_errors=True)
            ensure_apt([minor])
            subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
    say(f"installing MayaDesk with [{extras}] into {VENV}")
    subprocess.run(
        [str(VENV_PY), "-m", "pip", "install", "-q", "--disable-pip-version-check",
         "-e", f"{ROOT}[{extras}]"],
        check=True,
    )
    stamp.write_text(digest)


def run_app(args: list[str]) -> int:
    ensure_apt(APT_RUNTIME)
    ensure_venv(EXTRAS["run"])
    os.execv(str(VENV / "bin" / "mayadesk"), [str(VENV / "bin" / "mayadesk"), *args])
    return 0  # not reached


def run_tests(args: list[str]) -> int:
    ensure_apt(APT_RUNTIME + APT_TEST)
    ensure_venv(EXTRAS["test"])
    bin_dir = VENV / "bin"
    steps: list[tuple[str, list[str]]] = [
        ("ruff", [str(bin_dir / "ruff"), "check", "."]),
        ("mypy", [str(bin_dir / "mypy")]),
        ("desktop entry", ["desktop-file-validate",
                           "packaging/linux/io.github.mayadesk.MayaDesk.desktop"]),
        ("appstream", ["appstreamcli", "validate", "--no-net",
                       "packaging/linux/io.github.mayadesk.MayaDesk.metainfo.xml"]),
    ]
    for name, command in steps:
        say(f"checking {name}")
        if subprocess.run(command, cwd=ROOT).returncode != 0:
            say(f"{name} failed")
            return 1
    say("running the test suite")
    return subprocess.run([str(VENV_PY), "-m", "pytest", *args], cwd=ROOT).returncode


def run_bench(args: list[str]) -> int:
    ensure_apt(APT_RUNTIME + APT_TEST)
    ensure_venv(EXTRAS["test"])
    return subprocess.run([str(VENV_PY), "-m", "bench", *args], cwd=ROOT).returncode


def main(argv: list[str]) -> int:
    commands = {"run": run_app, "test": run_tests, "bench": run_bench}
    if len(argv) < 2 or argv[1] not in commands:
        print(__doc__, file=sys.stderr)
        return 2
    if sys.version_info < (3, 11):  # noqa: UP036  (this script must explain, not crash)
        say("MayaDesk needs Python 3.11 or newer")
        return 1
    return commands[argv[1]](argv[2:])


if __name__ == "__main__":
    sys.exit(main(sys.argv))
