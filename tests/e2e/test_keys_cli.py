"""`mayadesk keys …` as a user runs it: the installed command, as a separate process, against
the real Secret Service of the test session (and against real broken keyrings)."""

from __future__ import annotations

import fcntl
import json
import os
import select
import subprocess
import sys
import termios
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from mayadesk.keys.store import fingerprint
from tests.helpers.keycheck_server import KeyCheckServer
from tests.helpers.keyring_tools import (
    DEAD_BUS,
    PrivateSecretService,
    clear_mayadesk_items,
    env_without_display,
    secret_tool_lookup,
)
from tests.helpers.leaks import find_leaks, make_sentinel, searched_files

pytestmark = pytest.mark.e2e

MAYADESK = str(Path(sys.executable).with_name("mayadesk"))
GEMINI = "AIza" + "SyD_cli-e2e-test_0123456789ABCDEFGH"
GEMINI_2 = "AIza" + "SyD_cli-e2e-test_replaced_987654321"
CARTESIA = "sk_car_" + "CliEndToEnd01234567890"


@pytest.fixture(autouse=True)
def clean_keyring() -> Iterator[None]:
    clear_mayadesk_items()
    yield
    clear_mayadesk_items()


def mayadesk(
    *args: str, stdin: str | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [MAYADESK, *args], input=stdin if stdin is not None else "", capture_output=True,
        text=True, env=env if env is not None else dict(os.environ), timeout=60,
    )


def test_set_list_replace_delete(app_dirs: dict[str, Path]) -> None:
    stored = mayadesk("keys", "set", "gemini", stdin=f"  {GEMINI}  \n")
    assert stored.returncode == 0, stored.stderr
    assert f"Stored the Gemini key of profile default ({fingerprint(GEMINI)})" in stored.stderr
    assert secret_tool_lookup("default", "gemini") == GEMINI

    listed = mayadesk("keys", "list")
    assert listed.returncode == 0
    rows = [line.split() for line in listed.stdout.splitlines()]
    assert rows[0] == ["PROFILE", "PROVIDER", "STATE", "FINGERPRINT"]
    assert ["default", "gemini", "set", fingerprint(GEMINI)] in rows
    assert ["default", "cartesia", "unset", "-"] in rows
    assert GEMINI not in listed.stdout + listed.stderr

    assert mayadesk("keys", "set", "gemini", stdin=GEMINI_2).returncode == 0
    assert secret_tool_lookup("default", "gemini") == GEMINI_2

    declined = mayadesk("keys", "delete", "gemini", stdin="n\n")
    assert declined.returncode == 1
    assert "Delete the Gemini key of profile default" in declined.stderr
    assert "Not deleted." in declined.stderr
    assert secret_tool_lookup("default", "gemini") == GEMINI_2
    assert mayadesk("keys", "delete", "gemini").returncode == 1  # no answer is not a yes
    assert secret_tool_lookup("default", "gemini") == GEMINI_2

    confirmed = mayadesk("keys", "delete", "gemini", stdin="yes\n")
    assert confirmed.returncode == 0, confirmed.stderr
    assert secret_tool_lookup("default", "gemini") is None
    again = mayadesk("keys", "delete", "gemini", "--yes")
    assert again.returncode == 1
    assert "nothing to delete" in again.stderr

    mayadesk("keys", "set", "cartesia", stdin=CARTESIA)
    assert mayadesk("keys", "delete", "cartesia", "--yes").returncode == 0
    assert secret_tool_lookup("default", "cartesia") is None


def test_key_on_the_command_line_is_refused_and_not_echoed() -> None:
    for argv in (["keys", "set", "gemini", GEMINI], ["keys", "set", "gemini", "--profile",
                                                      "work", GEMINI], ["keys", GEMINI],
                 ["keys", "set", GEMINI]):
        result = mayadesk(*argv, stdin=GEMINI_2)
        assert result.returncode == 2, argv
        assert GEMINI not in result.stdout + result.stderr
        assert GEMINI_2 not in result.stdout + result.stderr
    assert secret_tool_lookup("default", "gemini") is None
    assert secret_tool_lookup("work", "gemini") is None


def test_usage_errors(app_dirs: dict[str, Path]) -> None:
    unknown = mayadesk("keys", "set", "openai", stdin=GEMINI)
    assert unknown.returncode == 2
    assert "choose one of: gemini, cartesia" in unknown.stderr
    bad_profile = mayadesk("keys", "set", "gemini", "--profile", "no/slash", stdin=GEMINI)
    assert bad_profile.returncode == 2
    assert "letters, digits" in bad_profile.stderr
    empty = mayadesk("keys", "set", "gemini", stdin="\n")
    assert empty.returncode == 2
    assert "nothing stored" in empty.stderr
    spaced = mayadesk("keys", "set", "gemini", stdin=f"GEMINI_API_KEY= {GEMINI}\n")
    assert spaced.returncode == 2
    assert GEMINI not in spaced.stderr
    assert secret_tool_lookup("default", "gemini") is None
    assert mayadesk("keys").returncode == 2


def test_setting_a_key_for_a_new_profile_creates_it(app_dirs: dict[str, Path]) -> None:
    result = mayadesk("keys", "set", "cartesia", "--profile", "work", stdin=CARTESIA)
    assert result.returncode == 0, result.stderr
    assert "a new profile" in result.stderr
    assert secret_tool_lookup("work", "cartesia") == CARTESIA
    config = app_dirs["config"] / "mayadesk" / "settings.json"
    assert json.loads(config.read_text())["profiles"] == ["default", "work"]
    assert CARTESIA not in config.read_text()
    listed = mayadesk("keys", "list").stdout
    assert f"work     cartesia  set    {fingerprint(CARTESIA)}" in listed


def test_check_offline() -> None:
    mayadesk("keys", "set", "gemini", stdin=GEMINI)
    only_gemini = mayadesk("keys", "check", "gemini")
    assert only_gemini.returncode == 0, only_gemini.stdout
    assert "default/gemini" in only_gemini.stdout and "format ok" in only_gemini.stdout

    everything = mayadesk("keys", "check")
    assert everything.returncode == 1  # cartesia is not set
    assert "default/cartesia: not set (mayadesk keys set cartesia)" in everything.stdout
    assert "1 of 2 key checks failed." in everything.stderr

    stored = mayadesk("keys", "set", "cartesia", stdin="sk-car-wrongshape0123456789")
    assert stored.returncode == 0
    assert "Note: Does not look like a Cartesia key" in stored.stderr
    malformed = mayadesk("keys", "check", "cartesia")
    assert malformed.returncode == 1
    assert "format FAILED" in malformed.stdout


def test_check_online(monkeypatch: pytest.MonkeyPatch) -> None:
    mayadesk("keys", "set", "gemini", stdin=GEMINI)
    mayadesk("keys", "set", "cartesia", stdin=CARTESIA)
    with KeyCheckServer(gemini_keys={GEMINI}, cartesia_keys={CARTESIA}) as server:
        env = dict(os.environ, MAYADESK_GEMINI_BASE_URL=server.url,
                   MAYADESK_CARTESIA_BASE_URL=server.url)
        good = mayadesk("keys", "check", "--online", env=env)
        assert good.returncode == 0, good.stdout + good.stderr
        assert "Gemini accepted the key." in good.stdout
        assert "Cartesia accepted the key." in good.stdout
        assert server.requests[0].headers["x-goog-api-key"] == GEMINI
        assert len(server.requests) == 2

        server.cartesia_keys.clear()  # as if the key had been revoked
        revoked = mayadesk("keys", "check", "cartesia", "--online", env=env)
        assert revoked.returncode == 1
        assert "Cartesia rejected the key (HTTP 401)" in revoked.stdout
        assert CARTESIA not in revoked.stdout + revoked.stderr


def _make_controlling_tty() -> None:  # runs in the child, before exec
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)


def _read_until(fd: int, wanted: bytes, deadline: float) -> bytes:
    seen = b""
    while wanted not in seen:
        remaining = deadline - time.monotonic()
        assert remaining > 0, f"timed out waiting for {wanted!r}; got {seen!r}"
        ready, _, _ = select.select([fd], [], [], remaining)
        if ready:
            try:
                chunk = os.read(fd, 4096)
            except OSError:  # EIO: the child closed the terminal
                break
            if not chunk:
                break
            seen += chunk
    return seen


def _drain(fd: int) -> bytes:
    """What is left on the terminal after the child exited (then reads fail with EIO)."""
    seen = b""
    while select.select([fd], [], [], 0)[0]:
        try:
            chunk = os.read(fd, 4096)
        except OSError:
            break
        if not chunk:
            break
        seen += chunk
    return seen


def test_hidden_prompt_on_a_terminal_does_not_echo_the_key() -> None:
    """On a real terminal (a pty that is the child's controlling tty), the key is read with
    echo off: the terminal shows the prompt but never the key."""
    master, slave = os.openpty()
    proc = subprocess.Popen(
        [MAYADESK, "keys", "set", "gemini"], stdin=slave, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, env=dict(os.environ), start_new_session=True,
        preexec_fn=_make_controlling_tty,
    )
    os.close(slave)
    try:
        deadline = time.monotonic() + 60
        screen = _read_until(master, b"(input hidden): ", deadline)
        assert b"Gemini key for profile default" in screen
        os.write(master, f"{GEMINI}\n".encode())
        out, err = proc.communicate(timeout=60)
        screen += _drain(master)
    finally:
        os.close(master)
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, err
    assert GEMINI.encode() not in screen
    assert GEMINI.encode() not in out + err
    assert secret_tool_lookup("default", "gemini") == GEMINI


def test_no_keyring_backend(app_dirs: dict[str, Path]) -> None:
    """No session bus at all: keyring itself resolves to its `fail` backend."""
    env = dict(os.environ, DBUS_SESSION_BUS_ADDRESS=DEAD_BUS)
    env.pop("PYTHON_KEYRING_BACKEND", None)
    resolved = subprocess.run(
        [sys.executable, "-c", "import keyring; print(type(keyring.get_keyring()).__module__)"],
        env=env, capture_output=True, text=True, timeout=60, check=True,
    ).stdout.strip()
    assert resolved == "keyring.backends.fail"
    for argv, stdin in ((["keys", "list"], ""), (["keys", "set", "gemini"], GEMINI),
                        (["keys", "delete", "gemini", "--yes"], ""), (["keys", "check"], "")):
        result = mayadesk(*argv, stdin=stdin, env=env)
        assert result.returncode == 3, (argv, result.stderr)
        assert "No system keyring is available" in result.stderr
        assert "nothing was written anywhere else" in result.stderr
    assert find_leaks({"key": GEMINI}, app_dirs.values()) == []


@pytest.mark.parametrize(
    ("state", "words"),
    [("locked", "The system keyring is locked."),
     ("uninitialised", "the unlock prompt was dismissed or could not be shown")],
)
def test_locked_and_unopenable_keyrings(state: str, words: str, tmp_path: Path) -> None:
    service = PrivateSecretService.start(tmp_path / "private", state)  # type: ignore[arg-type]
    try:
        env = env_without_display(dict(os.environ, DBUS_SESSION_BUS_ADDRESS=service.address))
        for argv, stdin in ((["keys", "set", "gemini"], GEMINI), (["keys", "list"], "")):
            result = mayadesk(*argv, stdin=stdin, env=env)
            assert result.returncode == 3, result.stderr
            assert words in result.stderr
            assert "Traceback" not in result.stderr
    finally:
        service.stop()
    assert secret_tool_lookup("default", "gemini") is None


def test_a_cli_session_leaves_no_key_anywhere(app_dirs: dict[str, Path]) -> None:
    """Leak scope: every file under the XDG config/data/state/cache roots of the run (the
    settings file and the log included) and every byte each command printed."""
    sentinels = {"gemini sentinel": make_sentinel("gemini"),
                 "unshaped cartesia sentinel": make_sentinel("cartesia", shaped=False)}
    gemini, cartesia = sentinels.values()
    outputs: dict[str, str] = {}
    with KeyCheckServer(gemini_keys={gemini}) as server:
        env = dict(os.environ, MAYADESK_GEMINI_BASE_URL=server.url,
                   MAYADESK_CARTESIA_BASE_URL=server.url)
        steps = [
            (["keys", "set", "gemini", "--profile", "leaky"], gemini),
            (["keys", "set", "cartesia", "--profile", "leaky"], cartesia),
            (["keys", "list"], ""),
            (["keys", "check", "--online", "--profile", "leaky"], ""),
            (["--debug", "keys", "check", "--online", "--profile", "leaky"], ""),
            (["keys", "set", "gemini", "--profile", "leaky", gemini], ""),
            (["keys", "delete", "cartesia", "--profile", "leaky"], "y\n"),
            (["doctor"], ""),
        ]
        for argv, stdin in steps:
            result = mayadesk(*argv, stdin=stdin, env=env)
            outputs[f"stdout of {argv[:3]}"] = result.stdout
            outputs[f"stderr of {argv[:3]}"] = result.stderr
    assert secret_tool_lookup("leaky", "gemini") == gemini  # the keys really were used
    roots = list(app_dirs.values())
    files = searched_files(roots)
    assert any(f.name == "mayadesk.log" for f in files)
    assert any(f.name == "settings.json" for f in files)
    assert "Stored the gemini key of profile leaky" in (app_dirs["state"] / "mayadesk" / "log" /
                                       "mayadesk.log").read_text()
    assert find_leaks(sentinels, roots, outputs) == []
