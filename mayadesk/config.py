"""Declared settings: each one named once with its type, default and purpose.

Settings are what a user chooses (profiles, model, voice); they live in `settings.json` in
the config dir. Window state (geometry, splitters) is kept elsewhere, and secrets never
come here: keys live only in the OS keyring.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

log = logging.getLogger("mayadesk.config")

CONFIG_VERSION = 1


@dataclass
class Settings:
    """Everything a user can set, with defaults a first run can live with."""

    profiles: list[str] = field(default_factory=lambda: ["default"])
    """Names of key profiles (the keys themselves are in the keyring)."""
    default_profile: str = "default"
    """The profile a new tab uses."""
    gemini_model: str = "gemini-flash-latest"
    """Gemini model name; Google's alias for the current Flash model by default."""
    temperature: float = 0.7
    max_output_tokens: int = 1024
    starting_balance_cents: int = 100_000
    """What each new customer (tab) can spend, in cents ($1,000 by default)."""

    # Voice out (Maya speaking)
    voice_enabled: bool = True
    """Whether replies are spoken at all (off: text only, nothing is synthesised)."""
    volume: float = 1.0
    """Output volume, 0.0-1.0, applied to Cartesia's and Piper's audio."""
    muted: bool = False
    """Silenced without losing the volume; speech still runs so replay works."""
    output_device: str = ""
    """Hex id of the chosen audio output; empty follows the system default."""
    cartesia_model: str = "sonic-3"
    cartesia_voice_id: str = "6f84f4b8-58a2-430c-8c79-688dad597532"
    """Maya's voice in the earlier web version."""
    background_replies: str = "silent"
    """A reply finishing in a tab not in front: "silent" (a Play button) or "queue"."""

    # Voice in (talking to Maya)
    input_device: str = ""
    """Hex id of the chosen microphone; empty follows the system default."""
    voice_input_mode: str = "push_to_talk"
    """"push_to_talk" (hold Ctrl+Space or click the mic) or "hands_free" (voice activity)."""
    push_to_talk_key: str = ""
    """An extra push-to-talk key (a QKeySequence string); Ctrl+Space always works."""
    transcriber: str = "gemini"
    """Who turns speech into text: "gemini" (no extra key) or "cartesia"."""
    review_before_send: bool = False
    """Put the transcript in the input box instead of sending it."""
    speech_threshold_db: float = 12.0
    """Hands-free: how far above the background noise a sound must be to count as speech."""
    end_silence_ms: int = 700
    """Hands-free: this much silence ends an utterance."""
    min_speech_ms: int = 250
    """Hands-free: shorter sounds (a cough, a click) are ignored."""
    listen_while_speaking: bool = False
    """Keep the mic open while Maya talks (barge-in by voice; her first moments are ignored)."""

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {f.name: getattr(self, f.name) for f in fields(self)}
        data["version"] = CONFIG_VERSION
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Settings:
        """Build settings from a saved file, keeping defaults for unknown or mistyped values."""
        settings = cls()
        for f in fields(cls):
            if f.name not in data:
                continue
            value = data[f.name]
            default = getattr(settings, f.name)
            if isinstance(default, float) and isinstance(value, int):
                value = float(value)
            if type(value) is type(default):
                setattr(settings, f.name, value)
            else:
                log.warning("Ignoring setting %s: expected %s", f.name, type(default).__name__)
        return settings


def load_settings(path: Path) -> Settings:
    """Read settings; a missing file gives defaults, a broken one is kept aside with a warning."""
    try:
        raw = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return Settings()
    try:
        data = json.loads(raw)
        if not isinstance(data, dict):
            raise ValueError("settings file is not a JSON object")
    except ValueError as error:
        aside = path.with_suffix(".broken.json")
        os.replace(path, aside)
        log.warning("Settings file was unreadable (%s); moved it to %s", error, aside)
        return Settings()
    return Settings.from_json(data)


def save_settings(path: Path, settings: Settings) -> None:
    """Write atomically, so a crash mid-write never leaves a half file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(
        "w", encoding="utf-8", dir=path.parent, prefix=".settings-", delete=False
    ) as handle:
        json.dump(settings.to_json(), handle, indent=2)
        handle.write("\n")
    os.replace(handle.name, path)
