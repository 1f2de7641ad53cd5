"""The app's one live `Settings` object: a page changes a field, it applies at once and is saved.

Why it is shaped like this:

- One object, shared. Profiles (Settings → Keys) and the voice pages change the same
  `Settings`; each save writes the whole object, so a second copy would write another page's
  stale values back.
- One writer thread. Saves run on the key store's thread, where profile changes save too, so
  two saves never race for the file; the UI thread never waits on the disk. A burst of
  changes (a volume slider being dragged) is one save: a save that is already due writes the
  latest values when it runs.
- Applying is here, not in the pages: the pages only edit fields (UI), this object tells the
  audio output and the turns (logic). The Cartesia model and voice need no applying: the
  voice reads them at every reply (voice/tts_cartesia.py `voice_choice`).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import Executor
from pathlib import Path
from typing import TYPE_CHECKING

from mayadesk.config import Settings, save_settings

if TYPE_CHECKING:
    from mayadesk.voice.audio_output import AudioOutput
    from mayadesk.workers.tab_speech import SpeechServices
    from mayadesk.workers.turn_services import TurnServices

log = logging.getLogger("mayadesk.config")

OUTPUT_FIELDS = frozenset({"volume", "muted", "output_device"})


class SettingsSaver:
    """Saves the settings on `executor`'s thread, coalescing saves that pile up."""

    def __init__(self, path: Path, executor: Executor) -> None:
        self._path = path
        self._executor = executor
        self._lock = threading.Lock()
        self._due = False

    def __call__(self, settings: Settings) -> None:
        with self._lock:
            if self._due:
                return  # the save already queued will write these values too
            self._due = True
        self._executor.submit(self._save, settings)

    def _save(self, settings: Settings) -> None:
        with self._lock:
            self._due = False
        try:
            save_settings(self._path, settings)
        except OSError as error:
            log.warning("Could not save the settings to %s: %s", self._path, error.strerror)


def output_device_id(settings: Settings) -> bytes:
    """The chosen output's id from the settings' hex (b"": the system default)."""
    try:
        return bytes.fromhex(settings.output_device)
    except ValueError:
        log.info("Ignoring an output device id that is not hex: %r", settings.output_device)
        return b""


def apply_output_settings(output: AudioOutput, settings: Settings) -> None:
    """Device, volume and mute, as the settings have them, to the one audio output."""
    output.set_device_id(output_device_id(settings))
    output.set_volume(settings.volume)
    output.set_muted(settings.muted)


class LiveSettings:
    """Applies a changed field to what uses it, then saves (GUI thread).

    `speech` is what `turns` speaks with while "Speak replies" is on; off, `turns.speech`
    is None, so no tab starts speaking a reply (nothing is synthesised) and what is playing
    is silenced. The same holds while there is no audio output at all: synthesising what
    nobody can hear would only cost CPU and quota.
    """

    def __init__(
        self,
        settings: Settings,
        save: Callable[[Settings], None] | None = None,
        output: AudioOutput | None = None,
        turns: TurnServices | None = None,
        speech: SpeechServices | None = None,
    ) -> None:
        self.settings = settings
        self._save = save
        self._output = output
        self._turns = turns
        self._speech = speech
        self.listeners: list[Callable[[str], None]] = []
        """Called with a field's name after it changed (and was applied)."""

    def apply_all(self) -> None:
        """At start: the output and whether replies are spoken, as saved."""
        if self._output is not None:
            apply_output_settings(self._output, self.settings)
        self._apply_voice_enabled()

    def changed(self, name: str) -> None:
        """A page has set `settings.<name>`: apply it now and save."""
        if name in OUTPUT_FIELDS and self._output is not None:
            apply_output_settings(self._output, self.settings)
        elif name == "voice_enabled":
            self._apply_voice_enabled()
            if not self.settings.voice_enabled and self._output is not None:
                self._output.stop()
        log.debug("Setting %s changed", name)
        for listener in list(self.listeners):
            listener(name)
        if self._save is not None:
            self._save(self.settings)

    def refresh_speech(self) -> None:
        """Attach or detach speech after the output's availability changed."""
        self._apply_voice_enabled()

    def _apply_voice_enabled(self) -> None:
        if self._turns is None:
            return
        audible = self._output is None or self._output.is_available()
        self._turns.speech = self._speech if self.settings.voice_enabled and audible else None
