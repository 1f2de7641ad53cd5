"""Voice in, wired into the window: the talk key and buttons, the tabs' transcribers, routing.

The app has one microphone and so one `VoiceInput`; this object connects it to the window:

- Push-to-talk. The window's talk action (Ctrl+Space, plus the key from Settings) is a
  shortcut, so it fires whichever widget has focus, the composer included, and never types a
  space. A shortcut has no release, so while the key is held an event filter on the
  application watches for one: the talk key (or Ctrl) going up, the window losing focus.
  It is only installed while the key is down, so the app's other events never pass through
  Python for it. Auto-repeat is ignored (the action does not repeat; the filter skips it).
- The mic button of each tab toggles (click, speak, click again to send); the hands-free
  button switches listening all the time, mirrored to `settings.voice_input_mode`.
- Transcripts go to the tab they were said to (`Transcript.target`, the session id), which
  need not be the tab in front once the user switched. Failures and "didn't catch that"
  notices go to that tab too: the transcription jobs run one after another, so the targets
  of the jobs under way are a queue.
- Barge-in stops Maya in the tab in front (turn and voice), synchronously, from the press.
- Settings (Settings → Microphone) apply at once through `LiveSettings.listeners`.
"""

from __future__ import annotations

import logging
from collections import deque
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QObject
from PySide6.QtGui import QKeyEvent, QKeySequence, QWindow
from PySide6.QtMultimedia import QAudioDevice, QMediaDevices
from PySide6.QtWidgets import QApplication

from mayadesk.config import Settings
from mayadesk.ui.conversation_tab import ConversationTab
from mayadesk.ui.mic_button import MicState
from mayadesk.voice.audio_input import AudioInput
from mayadesk.voice.transcribe import Transcript
from mayadesk.workers.voice_input import NO_WORDS_TEXT, RETRY_GONE_TEXT, VoiceInput

if TYPE_CHECKING:
    from mayadesk.live_settings import LiveSettings
    from mayadesk.sessions.session import Session
    from mayadesk.ui.main_window import MainWindow
    from mayadesk.workers.transcription import SessionTranscriber
    from mayadesk.workers.turn_services import TurnServices

log = logging.getLogger("mayadesk.voice_input")

KEY_SPACE = 0x20
KEY_CONTROL = 0x01000021
VOICE_IN_FIELDS = frozenset({
    "voice_input_mode", "push_to_talk_key", "speech_threshold_db", "end_silence_ms",
    "min_speech_ms", "listen_while_speaking", "input_device",
})
HANDS_FREE = "hands_free"
PUSH_TO_TALK = "push_to_talk"


def input_device(hex_id: str) -> QAudioDevice | None:
    """The microphone a setting names (hex of its id), None for the system default."""
    if not hex_id:
        return None
    try:
        wanted = bytes.fromhex(hex_id)
    except ValueError:
        log.info("Ignoring an input device id that is not hex: %r", hex_id)
        return None
    for device in QMediaDevices.audioInputs():
        if bytes(device.id().data()) == wanted:
            return device
    return None  # gone: the default until it is back


class VoiceInGlue(QObject):
    """Connects the app's `VoiceInput` to the window, its tabs and the live settings."""

    def __init__(
        self,
        window: MainWindow,
        audio: AudioInput,
        voice: VoiceInput,
        turns: TurnServices,
        settings: Settings,
        live: LiveSettings | None = None,
    ) -> None:
        super().__init__(window)
        self.window = window
        self.voice = voice
        self.audio = audio
        self._turns = turns
        self._settings = settings
        self._live = live
        self._transcribers: dict[str, SessionTranscriber] = {}
        self._pending: deque[str | None] = deque()  # targets of the jobs under way, in order
        self._listening = False
        self._key_held = False
        self._release_keys: set[int] = set()
        self._shown: ConversationTab | None = None  # whose mic button shows the mic
        self._devices = QMediaDevices(self)
        self._mic_listed = self._any_microphone()

        voice.listening.connect(self._on_voice_listening)
        voice.level.connect(self._on_voice_level)
        voice.transcribing.connect(self._on_voice_transcribing)
        voice.transcript.connect(self._on_voice_transcript)
        voice.failed.connect(self._on_voice_failed)
        voice.notice.connect(self._on_voice_notice)
        voice.barge_in.connect(self._on_voice_barge_in)
        voice.unavailable.connect(self._on_voice_unavailable)
        window.talk_action.triggered.connect(self._on_talk_action_triggered)
        window.tabs.tab_added.connect(self._on_tabs_tab_added)
        window.tabs.currentChanged.connect(self._on_tabs_current_changed)
        window.session_released.connect(self._on_window_session_released)
        self._devices.audioInputsChanged.connect(self._on_devices_audio_inputs_changed)
        app = QApplication.instance()
        if isinstance(app, QApplication):
            app.focusWindowChanged.connect(self._on_focus_window_changed)
        if live is not None:
            live.listeners.append(self._on_setting_changed)
        for tab in window.tabs.conversations():
            self._on_tabs_tab_added(tab)
        self._apply_key()
        self._apply_device()
        self._on_tabs_current_changed(window.tabs.currentIndex())
        if settings.voice_input_mode == HANDS_FREE:
            self.set_hands_free(True, save=False)

    # -- what the user does -------------------------------------------------------------

    def toggle(self) -> None:
        """The mic button: start listening, or stop and send what was said."""
        if self.voice.is_pressed():
            self.voice.release()
        else:
            self.voice.press()

    def key_pressed(self) -> None:
        """The talk key went down: listen until it goes up (or the window loses focus)."""
        if self.voice.is_pressed():
            self.key_released()  # a release we never saw (e.g. the key went up elsewhere)
            return
        self.voice.press()
        if self.voice.is_pressed() and not self._key_held:
            self._key_held = True
            app = QApplication.instance()
            if app is not None:
                app.installEventFilter(self)

    def key_released(self) -> None:
        """The talk key went up: what was said goes to be transcribed."""
        if self._key_held:
            self._key_held = False
            app = QApplication.instance()
            if app is not None:
                app.removeEventFilter(self)
        self.voice.release()

    def set_hands_free(self, on: bool, *, save: bool = True) -> None:
        """Listen all the time (or stop); with `save`, the choice becomes the setting."""
        self.voice.set_hands_free(on)
        on = self.voice.is_hands_free()  # False when there is no microphone
        for tab in self.window.tabs.conversations():
            tab.set_hands_free(on)
        mode = HANDS_FREE if on else PUSH_TO_TALK
        if save and self._settings.voice_input_mode != mode:
            self._settings.voice_input_mode = mode
            if self._live is not None:
                self._live.changed("voice_input_mode")

    def shut_down(self) -> None:
        """At exit: stop listening, abandon transcriptions, release the tabs' clients."""
        if self._key_held:
            self._key_held = False
            app = QApplication.instance()
            if app is not None:
                app.removeEventFilter(self)
        self.voice.shut_down()
        for transcriber in self._transcribers.values():
            transcriber.close()
        self._transcribers.clear()

    # -- the held key -------------------------------------------------------------------

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """Installed on the application only while the talk key is held."""
        kind = event.type()
        if kind in (QEvent.Type.KeyRelease, QEvent.Type.KeyPress):
            assert isinstance(event, QKeyEvent)
            if event.isAutoRepeat() or event.key() not in self._release_keys:
                return False
            if kind == QEvent.Type.KeyRelease:
                self.key_released()
            return True  # neither the talk key's press nor its release types anything
        deactivated = kind == QEvent.Type.WindowDeactivate and watched is self.window
        if deactivated or kind == QEvent.Type.ApplicationDeactivate:
            self.key_released()  # focus lost: a release we will never see
        return False

    def _on_talk_action_triggered(self) -> None:
        self.key_pressed()

    def _on_focus_window_changed(self, focus: QWindow | None) -> None:
        if self._key_held and focus is not self.window.windowHandle():
            self.key_released()

    def _apply_key(self) -> None:
        """Ctrl+Space always; the setting's key as well. A release of any of their keys (or
        of Ctrl) ends a hold."""
        sequences = [QKeySequence("Ctrl+Space")]
        extra = QKeySequence(self._settings.push_to_talk_key.strip())
        if not extra.isEmpty() and extra not in sequences:
            sequences.append(extra)
        self.window.talk_action.setShortcuts(sequences)
        keys = {KEY_SPACE, KEY_CONTROL}
        for sequence in sequences:
            combination = sequence[0]  # type: ignore[index]  # PySide6's stubs lack []
            keys.add(int(combination.key().value))
        self._release_keys = keys

    # -- tabs -----------------------------------------------------------------------------

    def _transcriber_for(self, session: Session) -> SessionTranscriber:
        transcriber = self._transcribers.get(session.id)
        if transcriber is None:
            from mayadesk.workers.transcription import SessionTranscriber

            transcriber = SessionTranscriber.for_tab(self._turns, session, self._settings)
            self._transcribers[session.id] = transcriber
        return transcriber

    def _on_tabs_tab_added(self, tab: ConversationTab) -> None:
        tab.talk_clicked.connect(self.toggle)
        tab.hands_free_toggled.connect(self.set_hands_free)
        tab.voice_retry_clicked.connect(self._on_tab_voice_retry_clicked)
        tab.set_hands_free(self.voice.is_hands_free())
        tab.set_talk_available(self._mic_listed)
        self._show_state(tab)

    def _on_tabs_current_changed(self, _index: int) -> None:
        tab = self.window.tabs.current_conversation()
        previous, self._shown = self._shown, tab
        if previous is not None and previous is not tab:
            self._show_state(previous)
        if tab is None:
            self.voice.set_transcriber(None)
            return
        self.voice.set_transcriber(self._transcriber_for(tab.controller.session))
        self._show_state(tab)

    def _on_tab_voice_retry_clicked(self) -> None:
        """Retry on a failed transcription (a button of the tab in front): the kept
        recording goes again, to the same tab."""
        tab = self.window.tabs.current_conversation()
        if tab is None:
            return
        tab.show_voice_notice("")
        tab.composer.setFocus()  # the button that had it is gone
        if not self.voice.retry(tab.controller.session.id):
            tab.show_voice_notice(RETRY_GONE_TEXT)

    def _on_window_session_released(self, session: Session) -> None:
        self.voice.forget(session.id)
        transcriber = self._transcribers.pop(session.id, None)
        if transcriber is not None:
            transcriber.close()

    def _tab_of(self, target: object) -> ConversationTab | None:
        for tab in self.window.tabs.conversations():
            if tab.controller.session.id == target:
                return tab
        return None

    def _show_state(self, tab: ConversationTab) -> None:
        session_id = tab.controller.session.id
        if self._listening and tab is self._shown:
            state = MicState.LISTENING
        elif session_id in self._pending:
            state = MicState.TRANSCRIBING
        else:
            state = MicState.IDLE
        tab.mic_button.set_state(state)

    def _current_target(self) -> str | None:
        tab = self.window.tabs.current_conversation()
        return tab.controller.session.id if tab is not None else None

    # -- what the microphone says ---------------------------------------------------------

    def _on_voice_listening(self, listening: bool) -> None:
        self._listening = listening
        if self._shown is not None:
            if listening:
                self._shown.show_voice_notice("")
            self._show_state(self._shown)

    def _on_voice_level(self, level: float) -> None:
        if self._shown is not None:
            self._shown.mic_button.set_level(level)

    def _on_voice_transcribing(self) -> None:
        self._pending.append(self._current_target())
        if (tab := self._tab_of(self._pending[-1])) is not None:
            self._show_state(tab)

    def _finish_job(self) -> ConversationTab | None:
        """A job's outcome arrived: the tab it was for (None if it has closed)."""
        target = self._pending.popleft() if self._pending else self._current_target()
        tab = self._tab_of(target)
        if tab is not None:
            self._show_state(tab)
        return tab

    def _on_voice_transcript(self, transcript: Transcript) -> None:
        if self._pending:
            self._pending.popleft()
        tab = self._tab_of(transcript.target)
        if tab is None:
            log.info("A transcript arrived for a conversation that has closed; dropped")
            return
        self._show_state(tab)
        tab.take_spoken(transcript.text, review=self._settings.review_before_send)

    def _on_voice_failed(self, text: str) -> None:
        tab = self._finish_job()
        if tab is not None:
            tab.show_voice_notice(text, retry=self.voice.has_kept(tab.controller.session.id))
        else:
            self.window.show_notice(text)

    def _on_voice_notice(self, text: str) -> None:
        # "No words" is a job's outcome; the other notices come at once, for the tab in front.
        if text == NO_WORDS_TEXT:
            tab = self._finish_job()
        else:
            tab = self.window.tabs.current_conversation()
        self._tell(tab, text)

    def _tell(self, tab: ConversationTab | None, text: str) -> None:
        if tab is not None:
            tab.show_voice_notice(text)
        else:
            self.window.show_notice(text)

    def _on_voice_barge_in(self) -> None:
        tab = self.window.tabs.current_conversation()
        if tab is not None:
            tab.controller.stop()
        else:
            for each in self.window.tabs.conversations():
                each.controller.stop_speech()

    def _any_microphone(self) -> bool:
        listed = bool(QMediaDevices.audioInputs())
        if not listed:
            log.info("No microphone is listed: the talk buttons are off until one is")
        return listed

    def _on_devices_audio_inputs_changed(self) -> None:
        listed = self._any_microphone()
        if listed != self._mic_listed:
            self._mic_listed = listed
            for tab in self.window.tabs.conversations():
                tab.set_talk_available(listed)

    def _on_voice_unavailable(self, text: str) -> None:
        log.info("Microphone: %s", text)
        self.window.show_notice(text)
        for tab in self.window.tabs.conversations():
            tab.set_hands_free(False)
            self._show_state(tab)

    # -- settings -------------------------------------------------------------------------

    def _on_setting_changed(self, name: str) -> None:
        if name not in VOICE_IN_FIELDS:
            return
        if name == "voice_input_mode":
            wanted = self._settings.voice_input_mode == HANDS_FREE
            if wanted != self.voice.is_hands_free():
                self.set_hands_free(wanted, save=False)
        elif name == "push_to_talk_key":
            self._apply_key()
        elif name == "input_device":
            self._apply_device()
        else:
            self.voice.apply_settings(self._settings)

    def _apply_device(self) -> None:
        self.audio.set_device(input_device(self._settings.input_device))
