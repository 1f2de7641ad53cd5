"""Driving the app as a separate process the way a person does: keys on a real X display."""

from __future__ import annotations

import os
import subprocess


class DesktopUser:
    """Types into the window titled `title` with xdotool (real X key events)."""

    def __init__(self, title: str) -> None:
        self.title = title
        found = subprocess.run(
            ["xdotool", "search", "--sync", "--onlyvisible", "--name", title],
            capture_output=True, text=True, check=True, timeout=30, env=dict(os.environ),
        ).stdout.split()
        self.window = found[0]
        self._xdotool("windowfocus", "--sync", self.window)

    def _xdotool(self, *args: str, check: bool = True) -> None:
        subprocess.run(["xdotool", *args], check=check, timeout=30, env=dict(os.environ),
                       capture_output=True)

    def type(self, text: str) -> None:
        self._xdotool("type", "--delay", "2", "--window", self.window, text)

    def key(self, *keys: str) -> None:
        self._xdotool("key", "--window", self.window, *keys)

    def close_with(self, *keys: str) -> None:
        """Press keys that close the window.

        xdotool cannot release keys on a window that is gone, and the X server then keeps
        them held and auto-repeats them into whatever window gets the focus next (a later
        test's window would receive Ctrl+Q): release every key of the combination.
        """
        self._xdotool("key", "--window", self.window, *keys, check=False)
        held = sorted({part for combo in keys for part in combo.split("+")})
        self._xdotool("keyup", *held, check=False)

    def say(self, text: str) -> None:
        """Type a message into the focused input and press Enter."""
        self.type(text)
        self.key("Return")
