"""Real desktop services for the test run: X server, sound server, D-Bus with a keyring.

Each is started privately for the run (its own sockets and runtime dirs under a temp dir),
exported through the environment variables the app reads, and ended by its PID. The
recipes are the verified ones in ../shared/PLATFORM.md.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

START_TIMEOUT = 20.0


class ServiceError(RuntimeError):
    pass


def _require(program: str) -> str:
    path = shutil.which(program)
    if path is None:
        raise ServiceError(f"{program} is not installed; run the tests with `python3 dev.py test`")
    return path


def _wait_for(check: object, what: str, timeout: float = START_TIMEOUT) -> None:
    """Poll `check()` until true; services expose no readiness signal we could wait on."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():  # type: ignore[operator]
            return
        time.sleep(0.02)  # noqa: sleep-ok  (polling a child process we cannot await)
    raise ServiceError(f"{what} did not start within {timeout:.0f} s")


def stop_process(proc: subprocess.Popen[bytes] | None, timeout: float = 5.0) -> None:
    if proc is None or proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout)


@dataclass
class Xvfb:
    """A private X server; `display` is what DISPLAY should say."""

    proc: subprocess.Popen[bytes]
    display: str

    @classmethod
    def start(cls, size: str = "1280x800x24") -> Xvfb:
        read_fd, write_fd = os.pipe()
        proc = subprocess.Popen(
            [_require("Xvfb"), "-displayfd", str(write_fd), "-screen", "0", size,
             "-nolisten", "tcp", "-noreset"],
            pass_fds=(write_fd,), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        os.close(write_fd)
        with os.fdopen(read_fd) as pipe:
            number = pipe.readline().strip()  # Xvfb writes its display number when ready
        if not number:
            stop_process(proc)
            raise ServiceError("Xvfb did not start")
        return cls(proc, f":{number}")

    def stop(self) -> None:
        stop_process(self.proc)


@dataclass
class PulseAudio:
    """A private PulseAudio with a null sink, its monitor as a microphone and a keep-alive."""

    proc: subprocess.Popen[bytes]
    server: str
    keepalive: subprocess.Popen[bytes] | None = None
    env: dict[str, str] = field(default_factory=dict)

    SINK = "test_sink"
    MONITOR = "test_sink.monitor"
    MIC = "test_mic"

    @classmethod
    def start(cls, base: Path) -> PulseAudio:
        runtime, home = base / "pulse-run", base / "pulse-home"
        runtime.mkdir(parents=True)
        home.mkdir(parents=True)
        sock = runtime / "native"
        env = dict(os.environ, XDG_RUNTIME_DIR=str(runtime), HOME=str(home))
        proc = subprocess.Popen(
            [_require("pulseaudio"), "-n", "--daemonize=no", "--exit-idle-time=-1",
             "--disallow-exit", "--use-pid-file=no",
             f"--load=module-native-protocol-unix socket={sock} auth-anonymous=1",
             f"--load=module-null-sink sink_name={cls.SINK} "
             "sink_properties=device.description=TestSink",
             f"--load=module-remap-source master={cls.MONITOR} source_name={cls.MIC} "
             "source_properties=device.description=TestMic"],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        server = f"unix:{sock}"
        client_env = dict(os.environ, PULSE_SERVER=server)

        def ready() -> bool:
            if proc.poll() is not None:
                raise ServiceError("pulseaudio exited at start")
            return subprocess.run(["pactl", "info"], env=client_env,
                                  capture_output=True).returncode == 0

        _wait_for(ready, "PulseAudio")
        for command in (["set-default-sink", cls.SINK], ["set-default-source", cls.MIC]):
            subprocess.run(["pactl", *command], env=client_env, check=True, capture_output=True)
        # An idle null sink renders ~1.2 s ahead; a low-latency stream keeps it honest.
        keepalive = subprocess.Popen(
            ["pacat", "--playback", "--raw", "--format=s16le", "--rate=24000", "--channels=1",
             "--latency-msec=20", "--client-name=keepalive", "/dev/zero"],
            env=client_env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        return cls(proc, server, keepalive, {"PULSE_SERVER": server})

    def stop(self) -> None:
        stop_process(self.keepalive)
        stop_process(self.proc)


@dataclass
class SecretService:
    """A private D-Bus session bus with gnome-keyring's Secret Service, unlocked."""

    dbus_pid: int
    env: dict[str, str]

    PASSWORD = b"test-pass"

    @classmethod
    def start(cls, base: Path) -> SecretService:
        home, runtime = base / "keyring-home", base / "keyring-run"
        home.mkdir(parents=True)
        runtime.mkdir(parents=True, mode=0o700)
        env = dict(os.environ, HOME=str(home), XDG_RUNTIME_DIR=str(runtime),
                   XDG_DATA_HOME=str(home / "data"))
        out = subprocess.run(
            [_require("dbus-daemon"), "--session", "--fork", "--print-address=1",
             "--print-pid=1"], env=env, capture_output=True, text=True, check=True,
        ).stdout.split()
        address, pid = out[0], int(out[1])
        env["DBUS_SESSION_BUS_ADDRESS"] = address
        subprocess.run(
            [_require("gnome-keyring-daemon"), "--unlock", "--components=secrets"],
            input=cls.PASSWORD, env=env, capture_output=True, check=True, timeout=20,
        )
        return cls(pid, {"DBUS_SESSION_BUS_ADDRESS": address})

    def stop(self) -> None:
        # The keyring daemon exits with its bus.
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.dbus_pid, signal.SIGTERM)
