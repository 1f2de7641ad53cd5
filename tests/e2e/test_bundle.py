"""The PyInstaller one-folder bundle builds and runs: version, doctor, window open/close."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import keyring
import pytest

from mayadesk import __version__
from tests.e2e.app_process import open_then_terminate

ROOT = Path(__file__).resolve().parents[2]
SPEC = ROOT / "packaging" / "pyinstaller" / "mayadesk.spec"


def folder_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink())


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    work = tmp_path_factory.mktemp("pyinstaller")
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "PyInstaller", "--noconfirm", "--log-level", "ERROR",
         "--distpath", str(work / "dist"), "--workpath", str(work / "build"), str(SPEC)],
        check=True, cwd=ROOT, timeout=900,
    )
    seconds = time.perf_counter() - started
    folder = work / "dist" / "mayadesk"
    size_mb = folder_size(folder) / 1e6
    print(f"\nbundle: built in {seconds:.0f} s, {size_mb:.0f} MB at {folder}")
    (ROOT / "bench" / "results").mkdir(parents=True, exist_ok=True)
    (ROOT / "bench" / "results" / "bundle.txt").write_text(
        f"build_seconds={seconds:.1f}\nsize_mb={size_mb:.0f}\n"
    )
    return folder / "mayadesk"


@pytest.fixture
def keys_set() -> Iterator[None]:
    keyring.set_password("mayadesk", "default/gemini", "AIza" + "B" * 35)
    keyring.set_password("mayadesk", "default/cartesia", "sk_car_" + "b" * 20)
    yield
    keyring.delete_password("mayadesk", "default/gemini")
    keyring.delete_password("mayadesk", "default/cartesia")


@pytest.mark.slow
def test_bundle_reports_its_version(bundle: Path) -> None:
    result = subprocess.run([str(bundle), "--version"], capture_output=True, text=True,
                            timeout=60, env=dict(os.environ))
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"mayadesk {__version__}"


@pytest.mark.slow
@pytest.mark.usefixtures("keys_set")
def test_bundle_doctor_sees_screen_audio_and_keyring(bundle: Path) -> None:
    result = subprocess.run([str(bundle), "doctor"], capture_output=True, text=True,
                            timeout=120, env=dict(os.environ))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "TestSink (default)" in result.stdout
    assert "SecretService" in result.stdout


@pytest.mark.slow
def test_bundle_opens_and_closes_the_window(bundle: Path) -> None:
    returncode, err = open_then_terminate([str(bundle)], timeout=60)
    assert returncode == 0, err
