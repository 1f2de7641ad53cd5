"""Composition root: builds the QApplication, the qasync loop and the window, and wires them.

Only what the first frame needs is imported here; the LLM and speech stacks (seconds of
imports) are loaded later, off the UI thread, so the window appears as fast as a bare one.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import os
import signal
import socket
import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from PySide6.QtWidgets import QWidget

    from mayadesk.config import Settings
    from mayadesk.daemon_executor import DaemonExecutor
    from mayadesk.live_settings import LiveSettings
    from mayadesk.paths import AppPaths
    from mayadesk.sessions.session import Session
    from mayadesk.ui.main_window import MainWindow
    from mayadesk.workers.turn_services import TurnServices

log = logging.getLogger("mayadesk.app")

_keep_alive: list[object] = []  # the signal wakeup sockets and notifier live as long as the app
_warm_ups: list[DaemonExecutor] = []  # background loads; they end before the interpreter does

# Qt's multimedia plugins log loudly about optional libraries they could not load.
QUIET_QT_CATEGORIES = "qt.multimedia.*=false"


def has_display() -> bool:
    """Whether Qt can open a window; without one QApplication would abort the process."""
    if os.environ.get("QT_QPA_PLATFORM"):
        return True
    if sys.platform in ("win32", "darwin"):
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def run_gui(argv: list[str]) -> int:
    """Open MayaDesk's window and run until it closes; return the process exit code."""
    if not has_display():
        print(
            "mayadesk: no display found. Run MayaDesk from a desktop session, or set "
            "DISPLAY (e.g. under `xvfb-run -a mayadesk`).",
            file=sys.stderr,
        )
        return 1
    os.environ.setdefault("QT_LOGGING_RULES", QUIET_QT_CATEGORIES)
    os.environ.setdefault("QT_API", "pyside6")  # qasync binds to the first Qt it finds
    import qasync
    from PySide6.QtGui import QIcon, QPixmap
    from PySide6.QtWidgets import QApplication

    from mayadesk import APP_DISPLAY_NAME, APP_ID, APP_NAME
    from mayadesk.config import load_settings
    from mayadesk.paths import app_paths
    from mayadesk.resources_access import read_bytes
    from mayadesk.single_instance import ask_running_instance, claim
    from mayadesk.ui import theme
    from mayadesk.ui.main_window import MainWindow
    from mayadesk.workers.conversation_keeper import ConversationKeeper

    app = QApplication([argv[0] if argv else APP_NAME, *argv[1:]])
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    app.setApplicationName(APP_NAME)
    app.setApplicationDisplayName(APP_DISPLAY_NAME)
    app.setDesktopFileName(APP_ID)
    icon = QPixmap()
    icon.loadFromData(read_bytes("icons", "mayadesk.svg"))
    app.setWindowIcon(QIcon(icon))

    paths = app_paths().ensure()
    instance = claim(paths.data)
    if instance is None:
        if ask_running_instance(paths.data):
            print("MayaDesk is already running; its window was brought to the front.")
            return 0
        print("mayadesk: MayaDesk is already running with this data directory but does not "
              "answer. Close it (or end it), then start MayaDesk again.", file=sys.stderr)
        return 1
    theme.apply_scheme(app, theme.current_scheme())
    settings = load_settings(paths.config_file)
    turns = build_turn_services(settings)
    keeper = ConversationKeeper.open(paths.data)
    window = MainWindow(
        paths, new_session=lambda profile: new_customer(profile, settings),
        default_profile=settings.default_profile, turns=turns,
        keeper=keeper, open_first_tab=False,
    )
    window.restore_tabs(
        [(t.session, t.record.title, t.record.is_current) for t in keeper.load_open_tabs()]
    )
    if keeper.notice:
        log.warning("Conversation store: %s", keeper.notice)
        window.show_notice(keeper.notice)
    closed = asyncio.Event()
    app.aboutToQuit.connect(closed.set)
    app.lastWindowClosed.connect(closed.set)
    # Before show(): a signal may come as soon as the window exists, even before the loop
    # runs (when QApplication.quit() would be ignored), so it ends the wait instead.
    quit_when_signalled(app, closed.set)
    window.show()
    log.info("Window shown")
    with loop:  # one run of the loop: qasync's stop() would quit the QApplication
        loop.create_task(finish_start_up(window, turns, paths, settings))
        loop.run_until_complete(closed.wait())
    from mayadesk.voice.speaker import close_all_speakers

    if window.voice_in is not None:  # no transcription outlives the registry's clients
        window.voice_in.shut_down()
    close_all_speakers()  # all tabs, open or closed; before the registry closes their clients
    for warm_up in _warm_ups:  # a thread inside onnxruntime at finalisation aborts the exit
        warm_up.join(3.0)
    turns.registry.clear_all()
    keeper.close()
    instance.release()
    return 0


IDLE_CLIENT_SECONDS = 30 * 60
EVICTION_PERIOD_SECONDS = 5 * 60


async def evict_idle_clients(turns: TurnServices) -> None:
    """Close the clients (sockets, pools) of tabs nobody has talked in for half an hour.

    A tab that speaks again simply gets new clients from the registry on its next turn.
    """
    while True:
        await asyncio.sleep(EVICTION_PERIOD_SECONDS)
        evicted = turns.registry.evict_idle(IDLE_CLIENT_SECONDS)
        if evicted:
            log.info("Closed the idle clients of %d conversation(s)", len(evicted))


def new_customer(profile: str, settings: Settings) -> Session:
    """A new tab's session, with the starting balance the settings give."""
    from mayadesk.bar.state import BarState
    from mayadesk.sessions.session import Session

    return Session(profile, bar=BarState(starting_balance_cents=settings.starting_balance_cents))


def bring_to_front(window: MainWindow) -> None:
    """Show the window on top, restored if it was minimised (a second start asked for it)."""
    if window.isMinimized():
        window.showNormal()
    window.show()
    window.raise_()
    window.activateWindow()


def build_turn_services(settings: Settings) -> TurnServices:
    """The registry of every tab's clients and the options of a turn (cheap: the chat client
    module and its HTTP stack are imported by the first turn, on its worker thread)."""
    from mayadesk.sessions.registry import SessionRegistry
    from mayadesk.workers.turn_services import TurnOptions, TurnServices

    def tts_factory(key: str) -> Any:
        from mayadesk.voice.tts_cartesia import make_tts_factory

        return make_tts_factory(settings)(key)

    def llm_factory(key: str, tools: Sequence[Any]) -> Any:
        from mayadesk.llm.client import make_llm_factory

        return make_llm_factory(settings)(key, tools)

    registry: SessionRegistry[Any, Any] = SessionRegistry(llm_factory, tts_factory)
    return TurnServices(registry, TurnOptions(), settings)


def start_speech(
    window: MainWindow,
    turns: TurnServices,
    settings: Settings | None = None,
    save: Callable[[Settings], None] | None = None,
    *,
    system_voice: bool = True,
    piper: bool = True,
) -> Any:
    """The one audio output and the voices every tab shares; replies speak from now on.

    Made after the window shows (opening the sound server costs time the first frame does
    not need). No audio device is not an error: the output says so once, as a window
    notice, and replies stay text. The system voice is the last fallback before text
    (`system_voice=False` leaves it out: tests that must not start speech-dispatcher).
    Returns the `AudioOutput`.

    With `settings` (the app's live object), the saved device, volume, mute and "Speak
    replies" apply at once, and Settings gets its Voice and Microphone pages, whose changes
    apply at once and are saved with `save`.

    `piper=False` leaves Piper out (tests of the chain without it). Piper's threads must
    have ended before the interpreter finalises (a thread inside onnxruntime then aborts
    the process): `main` closes every speaker and waits for the warm-up.
    """
    from mayadesk.live_settings import LiveSettings
    from mayadesk.voice.audio_output import AudioOutput
    from mayadesk.voice.tts_piper import PiperVoice
    from mayadesk.voice.tts_system import SystemVoice
    from mayadesk.workers.tab_speech import SpeechServices

    output = AudioOutput(window)
    for notice in (output.unavailable, output.device_lost, output.device_restored):
        notice.connect(lambda text: show_audio_notice(window, text))
    # No output at all: no system voice either (it would start speech-dispatcher to talk
    # to a sound server that is not there), and no speech attached (see LiveSettings).
    audible = output.is_available()
    system = SystemVoice(window, audio=output) if system_voice and audible else None
    local = PiperVoice() if piper else None
    speech = SpeechServices(output, piper=local, system=system)
    turns.attach_speech(speech)
    live: LiveSettings | None = None
    if settings is not None:
        live = LiveSettings(settings, save, output, turns, speech)
        live.apply_all()
        output.unavailable.connect(lambda _text: live.refresh_speech())
        add_voice_pages(window, live, output)
    window.set_replies_playable(audible)
    output.unavailable.connect(lambda _text: window.set_replies_playable(False))
    output.device_restored.connect(lambda _text: window.set_replies_playable(True))
    start_voice_input(window, turns, output, settings or turns.settings, live)
    return output


def start_voice_input(
    window: MainWindow,
    turns: TurnServices,
    output: Any,
    settings: Settings | None,
    live: LiveSettings | None,
) -> Any:
    """Talking to Maya: the one microphone and its controller, wired into the window (the
    talk key and buttons, the current tab's transcriber, Settings → Microphone).

    Nothing is opened here (the microphone opens when someone talks, or at once when the
    saved mode is hands-free), so this costs the window nothing. Returns the glue, also
    kept as `window.voice_in`.
    """
    from mayadesk.config import Settings
    from mayadesk.ui.voice_in_glue import VoiceInGlue
    from mayadesk.voice.audio_input import AudioInput
    from mayadesk.workers.voice_input import VoiceInput

    settings = settings if settings is not None else Settings()
    audio = AudioInput(window)
    voice = VoiceInput(audio, settings=settings, parent=window)
    voice.watch_output(output)
    window.voice_in = VoiceInGlue(window, audio, voice, turns, settings, live)
    return window.voice_in


def show_audio_notice(window: MainWindow, text: str) -> None:
    """A sentence about the sound (no output, a device gone or back), logged and shown."""
    log.info("Audio notice: %s", text)
    window.show_notice(text)


def add_voice_pages(window: MainWindow, live: LiveSettings, output: Any) -> None:
    """Settings → Voice and → Microphone, built when Settings first opens."""

    def voice_page() -> QWidget:
        from mayadesk.ui.voice_page import VoicePage

        page = VoicePage(live.settings)
        page.setting_changed.connect(live.changed)
        return page

    def microphone_page() -> QWidget:
        from mayadesk.ui.microphone_page import MicrophonePage

        page = MicrophonePage(live.settings, output)
        page.setting_changed.connect(live.changed)
        return page

    window.add_settings_page("Voice", voice_page)
    window.add_settings_page("Microphone", microphone_page)


async def finish_start_up(
    window: MainWindow, turns: TurnServices, paths: AppPaths, settings: Settings | None = None
) -> None:
    """What the first frame did not need: the key store (imports keyring; may block on
    D-Bus), and the Gemini SDK's seconds of imports, so the first turn is as fast as later
    ones."""
    from mayadesk.app_services import build_key_services
    from mayadesk.daemon_executor import DaemonExecutor
    from mayadesk.single_instance import serve_activation

    try:  # later starts ask this one to come to front
        _keep_alive.append(await serve_activation(paths.data, lambda: bring_to_front(window)))
    except OSError as error:
        log.warning("A second start cannot reach this window (%s)", error.strerror)
    loop = asyncio.get_running_loop()
    executor = DaemonExecutor("mayadesk-keyring")
    try:
        keys = await loop.run_in_executor(
            executor, build_key_services, paths, executor, settings
        )
    except Exception:
        log.exception("Could not set up the key store")
        return
    window.attach_keys(keys)
    turns.attach_keys(keys)
    log.info("Key store ready")
    from mayadesk.live_settings import SettingsSaver

    # Saved on the keyring thread, where profile changes save the same object too.
    start_speech(window, turns, settings, SettingsSaver(paths.config_file, keys.keyring_executor))
    _keep_alive.append(loop.create_task(evict_idle_clients(turns)))
    warm_up = DaemonExecutor("mayadesk-warm-up")
    _warm_ups.append(warm_up)
    from mayadesk.llm.client import load_sdk

    await loop.run_in_executor(warm_up, load_sdk)
    from mayadesk.workers.turn_services import load_turn_code

    await loop.run_in_executor(warm_up, load_turn_code)
    if turns.speech is not None and turns.speech.piper is not None:
        await loop.run_in_executor(warm_up, warm_up_piper, turns)
    warm_up.shutdown(wait=False)
    # The SDKs leave ~175k long-lived objects; a full collection scanning them all stalled
    # every thread for 130-215 ms mid-stream. Frozen, later collections skip them.
    gc.freeze()
    log.info("Gemini SDK loaded")


def warm_up_piper(turns: TurnServices) -> None:
    """Load Piper's model now (0.4 s), so a reply that falls back to it does not wait."""
    from mayadesk.voice.errors import VoiceError

    piper = turns.speech.piper if turns.speech is not None else None
    warm_up = getattr(piper, "warm_up", None)
    if warm_up is None or not piper.available():  # type: ignore[union-attr]
        return
    try:
        warm_up()
    except VoiceError as error:  # the chain moves on to the system voice; nothing to show
        log.info("Piper is not usable: %s", error)


def quit_when_signalled(app: object, finish: Callable[[], None]) -> None:
    """Quit cleanly (saving window state) on SIGTERM/SIGINT.

    Python runs signal handlers only between bytecodes, and the Qt loop may sit in C++ for
    a long time; a wakeup fd watched by a QSocketNotifier brings control back at once.
    """
    from PySide6.QtCore import QSocketNotifier
    from PySide6.QtWidgets import QApplication

    assert isinstance(app, QApplication)
    reader, writer = socket.socketpair()
    reader.setblocking(False)
    writer.setblocking(False)
    signal.set_wakeup_fd(writer.fileno())
    notifier = QSocketNotifier(reader.fileno(), QSocketNotifier.Type.Read, app)

    def on_wakeup() -> None:
        try:
            reader.recv(64)
        except BlockingIOError:
            return

    def on_signal(signum: int, _frame: object) -> None:
        log.info("Received signal %d, closing", signum)
        for window in app.topLevelWidgets():
            if window.isWindow() and window.isVisible():
                window.close()  # saves window state, releases sessions
        finish()

    notifier.activated.connect(on_wakeup)
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    _keep_alive.extend((reader, writer, notifier))
