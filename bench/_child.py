"""Running a benchmark's measured part in a fresh process, and the app it measures.

The window benchmarks measure a whole Qt application (event-loop stalls, resident memory),
so each runs in a process of its own: a fresh interpreter, fresh XDG directories, nothing
left over from another benchmark. The child prints one `RESULT {json}` line; the parent
reads it back. The child runs MayaDesk's window as the app does (`open_window`), with a
Gemini key in a private keyring and the tests' fake Gemini in a process next door
(`run_app`): `python -m bench._child serve` is that server.
"""

from __future__ import annotations

import asyncio
import functools
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mayadesk.sessions.session import Session
    from mayadesk.ui.conversation_tab import ConversationTab
    from mayadesk.ui.main_window import MainWindow
    from mayadesk.workers.turn_services import TurnServices
    from tests.fakes.gemini import GeminiRequest, ReplyLike

RESULT_PREFIX = "RESULT "
ROOT = Path(__file__).resolve().parent.parent


def isolated_env(home: Path) -> dict[str, str]:
    """The parent's environment with XDG roots under `home`, so nothing touches real files."""
    env = dict(os.environ)
    for name in ("CONFIG", "DATA", "STATE", "CACHE"):
        env[f"XDG_{name}_HOME"] = str(home / name.lower())
    for secret in ("GOOGLE_API_KEY", "GEMINI_API_KEY", "CARTESIA_API_KEY"):
        env.pop(secret, None)
    env.setdefault("QT_LOGGING_RULES", "qt.multimedia.*=false")
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    return env


def run_child(module: str, *args: str, timeout: float = 300) -> dict[str, Any]:
    """Run `python -m module args…` in fresh directories; return its RESULT object."""
    with tempfile.TemporaryDirectory(prefix="mayadesk-bench-") as home:
        proc = subprocess.run(
            [sys.executable, "-m", module, *args],
            env=isolated_env(Path(home)),
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
    for line in reversed(proc.stdout.splitlines()):
        if line.startswith(RESULT_PREFIX):
            result: dict[str, Any] = json.loads(line[len(RESULT_PREFIX):])
            return result
    raise RuntimeError(
        f"{module} {' '.join(args)} gave no result (exit {proc.returncode}):\n"
        f"{proc.stdout[-2000:]}\n{proc.stderr[-4000:]}"
    )


def report(result: dict[str, Any]) -> None:
    """The child's side: print the one line the parent reads."""
    print(RESULT_PREFIX + json.dumps(result), flush=True)


# -- the app with keys and a fake Gemini, for the window benchmarks -------------------------

GEMINI_KEY = "AIza" + "SyD_bench-window-key_0123456789abcd"
HELLO = "Hi Maya, just saying hello."  # gets a one-sentence reply at once
TOKEN_GAP = 0.02  # seconds between chunks of a long reply: 50 tokens/s
LONG_REPLY_WORDS = 200  # 4 s of streaming
# Bartender talk with a little markdown, as Gemini writes it; cycled to LONG_REPLY_WORDS.
SPEECH = (
    "Oh, you came to the right bar! Our **Negroni** is stirred, never shaken, with a twist of "
    "orange. If you like something *fruity*, the Mai Tai has two rums and fresh lime. For "
    "something strong and classy, try an Old Fashioned, neat or on the rocks. And if you "
    "need to stay sharp, the `Virgin Mojito` is all mint and no regrets. What sounds good?"
)


def reply_for(request: GeminiRequest) -> ReplyLike:
    """A short greeting for `HELLO`, else a long reply streamed at 50 tokens/s."""
    from tests.fakes.gemini import Reply, Text

    if request.last_user_text == HELLO:
        return Reply.of(Text("[STATE: happy] Hello there, welcome in!"))
    speech = SPEECH.split()
    words = [speech[i % len(speech)] for i in range(LONG_REPLY_WORDS)]
    chunks = [Text("[STATE: happy] ")]
    chunks += [Text(word + " ", delay=TOKEN_GAP) for word in words]
    return Reply.of(*chunks)


def serve() -> None:
    """Serve the fake Gemini until stdin closes; the first line out is its base URL.

    In a process of its own, as a real server is: its threads must not take the GIL from
    the app being measured.
    """
    from tests.fakes.gemini import FakeGemini

    with FakeGemini(accepted_keys={GEMINI_KEY}, responder=reply_for) as fake:
        print(fake.base_url, flush=True)
        sys.stdin.read()
        problems = fake.problems
    if problems:
        print("fake Gemini problems:", *problems, sep="\n", file=sys.stderr)


def run_app(measure: Callable[[], Awaitable[dict[str, Any]]]) -> None:
    """Run `measure()` on the app's event loop and report its result.

    Around it: a private Secret Service holding the Gemini key (as the integration tests
    have), the fake Gemini next door, a QApplication with the qasync loop, as the app runs.
    """
    from tests.helpers.services import SecretService

    with tempfile.TemporaryDirectory(prefix="mayadesk-bench-app-") as tmp:
        secrets = SecretService.start(Path(tmp))
        fake = subprocess.Popen(
            [sys.executable, "-m", "bench._child", "serve"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
        )
        try:
            assert fake.stdout is not None
            os.environ.update(secrets.env)
            os.environ["MAYADESK_GEMINI_BASE_URL"] = fake.stdout.readline().strip()
            os.environ.setdefault("QT_API", "pyside6")
            import keyring
            import qasync
            from keyring.backends import SecretService as SecretServiceBackend
            from PySide6.QtWidgets import QApplication

            keyring.set_keyring(SecretServiceBackend.Keyring())
            keyring.set_password("mayadesk", "default/gemini", GEMINI_KEY)
            app = QApplication([sys.argv[0]])
            loop = qasync.QEventLoop(app)
            asyncio.set_event_loop(loop)
            with loop:
                result = loop.run_until_complete(measure())
            report(result)
        finally:
            if fake.stdin is not None:
                fake.stdin.close()
            fake.wait(30)
            secrets.stop()


async def open_window(
    new_session: Callable[[str], Session] | None = None,
) -> tuple[MainWindow, TurnServices]:
    """MayaDesk's window with the app's turn services, started up as the app does it."""
    from mayadesk.app import build_turn_services, finish_start_up
    from mayadesk.config import Settings
    from mayadesk.paths import app_paths
    from mayadesk.sessions.session import Session
    from mayadesk.ui.main_window import MainWindow

    paths = app_paths().ensure()
    turns = build_turn_services(Settings())
    window = MainWindow(paths, new_session=new_session or Session, turns=turns)
    window.show()
    await finish_start_up(window, turns, paths)  # the key store, the Gemini SDK warm-up
    return window, turns


def close_window(window: MainWindow, turns: TurnServices) -> None:
    window.close()
    turns.registry.clear_all()
    if window.keys is not None:
        window.keys.close()


async def pause(seconds: float) -> None:
    """Let the loop run for `seconds`: a Qt timer ends the wait, nothing sleeps."""
    from PySide6.QtCore import QTimer

    elapsed = asyncio.get_running_loop().create_future()
    QTimer.singleShot(int(seconds * 1000), lambda: elapsed.set_result(None))
    await elapsed


async def turn_in_tabs(
    tabs: Sequence[ConversationTab], text: str, timeout: float = 120
) -> tuple[list[float], list[float]]:
    """Send `text` in every tab, as typed; return when each reply began and ended."""
    first_delta = [0.0] * len(tabs)
    finished = [0.0] * len(tabs)
    done = asyncio.Event()

    def on_delta(index: int) -> None:
        first_delta[index] = first_delta[index] or time.perf_counter()

    def on_busy(index: int, busy: bool) -> None:
        if not busy:
            finished[index] = time.perf_counter()
            if all(finished):
                done.set()

    connections = []
    for index, tab in enumerate(tabs):
        controller = tab.controller
        delta_slot = functools.partial(lambda i, _text: on_delta(i), index)
        busy_slot = functools.partial(on_busy, index)
        controller.reply_delta.connect(delta_slot)
        controller.busy_changed.connect(busy_slot)
        connections.append((controller, delta_slot, busy_slot))
    for tab in tabs:
        tab.composer.setPlainText(text)
        tab.send()
    try:
        await asyncio.wait_for(done.wait(), timeout)
    finally:
        for controller, delta_slot, busy_slot in connections:
            controller.reply_delta.disconnect(delta_slot)
            controller.busy_changed.disconnect(busy_slot)
    return first_delta, finished


if __name__ == "__main__" and sys.argv[1:] == ["serve"]:
    serve()
