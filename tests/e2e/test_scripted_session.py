"""A whole session of the app as a process: keys set from the CLI, turns in two tabs against
the fake Gemini, a key rotated while the app runs, quit; then no key anywhere it wrote."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from tests.fakes.gemini import FakeGemini
from tests.helpers.desktop_user import DesktopUser
from tests.helpers.keyring_tools import clear_mayadesk_items
from tests.helpers.leaks import find_leaks, make_sentinel, searched_files
from tests.helpers.x11 import WindowWatcher

MAYADESK = str(Path(sys.executable).with_name("mayadesk"))
WAIT_MS = 20_000


def keys_set(provider: str, key: str, env: dict[str, str]) -> str:
    """`mayadesk keys set PROVIDER` with the key piped on stdin, as a script would."""
    result = subprocess.run([MAYADESK, "keys", "set", provider], input=key + "\n", env=env,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return result.stdout + result.stderr


@pytest.fixture
def clean_keyring() -> Iterator[None]:
    clear_mayadesk_items()
    yield
    clear_mayadesk_items()


@pytest.mark.usefixtures("clean_keyring")
def test_rotation_reaches_every_tab_and_no_key_leaks(
    app_dirs: dict[str, Path], tmp_path: Path, qtbot: QtBot
) -> None:
    old_key = make_sentinel("gemini")
    new_key = make_sentinel("gemini", shaped=False)  # masked because it is known, not by shape
    voice_key = make_sentinel("cartesia", shaped=False)
    sentinels = {"old gemini key": old_key, "new gemini key": new_key, "cartesia": voice_key}
    outputs: dict[str, str] = {}
    with FakeGemini(accepted_keys={old_key, new_key}) as gemini:
        gemini.responder = lambda request: f"[STATE: happy] Reply {len(gemini.requests)}."
        env = dict(os.environ, MAYADESK_GEMINI_BASE_URL=gemini.base_url)
        outputs["keys set gemini"] = keys_set("gemini", old_key, env)
        outputs["keys set cartesia"] = keys_set("cartesia", voice_key, env)
        out_file, err_file = tmp_path / "stdout.txt", tmp_path / "stderr.txt"
        log_file = app_dirs["state"] / "mayadesk" / "log" / "mayadesk.log"
        watcher = WindowWatcher()
        with out_file.open("w") as out, err_file.open("w") as err, subprocess.Popen(
            [MAYADESK, "--debug"], env=env, stdout=out, stderr=err
        ) as app:
            try:
                watcher.wait_mapped("MayaDesk", timeout=30)
                qtbot.waitUntil(lambda: "Key store ready" in log_file.read_text(), timeout=WAIT_MS)
                user = DesktopUser("MayaDesk")

                user.say("A gin and tonic, please")  # tab 1
                gemini.wait_for_requests(1, timeout=20)
                user.key("ctrl+t")
                user.say("Just water for me")  # tab 2
                gemini.wait_for_requests(2, timeout=20)
                before = list(gemini.generate_requests)

                outputs["keys set gemini (rotate)"] = keys_set("gemini", new_key, env)
                user.say("Actually, make it a beer")  # tab 2 again
                gemini.wait_for_requests(3, timeout=20)
                user.key("ctrl+shift+Tab")
                user.say("And one more for me")  # back in tab 1
                gemini.wait_for_requests(4, timeout=20)
                after = gemini.generate_requests[len(before):]
                user.close_with("ctrl+q")
                assert app.wait(20) == 0
            finally:
                if app.poll() is None:
                    app.kill()
                watcher.close()
    outputs["stdout"] = out_file.read_text()
    outputs["stderr"] = err_file.read_text()

    assert [r.api_key for r in before] == [old_key, old_key]
    assert [r.last_user_text for r in before] == ["A gin and tonic, please", "Just water for me"]
    assert [r.api_key for r in after] == [new_key, new_key]
    assert [r.last_user_text for r in after] == ["Actually, make it a beer", "And one more for me"]
    # each tab's request carries only its own conversation
    assert "Just water" not in str(after[1].contents) and "gin" not in str(after[0].contents)

    roots = [app_dirs[name] for name in ("config", "data", "state", "cache")]
    files = searched_files(roots)
    assert log_file in files and any(f.name == "window.ini" for f in files)
    assert "Reply 1." in log_file.read_text() or outputs["stderr"]  # it did log the session
    leaks = find_leaks(sentinels, roots, outputs)
    assert leaks == [], "\n".join(str(leak) for leak in leaks)
