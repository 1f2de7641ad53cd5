"""Watching the X server for the app's window, from outside the app's process.

Used by end-to-end tests and the start-up benchmark alike, so the app and the bare-Qt
baseline are timed by the same observer: the moment the X server maps a top-level window
whose title contains a given text.
"""

from __future__ import annotations

import select
import time

from Xlib import X, display
from Xlib.error import BadWindow
from Xlib.xobject.drawable import Window


def _title(x: display.Display, window: Window) -> str:
    try:
        net = window.get_full_property(x.intern_atom("_NET_WM_NAME"), x.intern_atom("UTF8_STRING"))
        if net is not None:
            value = net.value
            return value.decode() if isinstance(value, bytes) else str(value)
        name = window.get_wm_name()
        return name.decode() if isinstance(name, bytes) else (name or "")
    except BadWindow:
        return ""


class WindowWatcher:
    """Subscribes to the root window's map events before the app starts."""

    def __init__(self, display_name: str | None = None) -> None:
        self.display = display.Display(display_name)
        self.root = self.display.screen().root
        self.root.change_attributes(event_mask=X.SubstructureNotifyMask)
        self.display.sync()

    def close(self) -> None:
        self.display.close()

    def mapped_titles(self) -> list[str]:
        tree = self.root.query_tree()
        titles = []
        for child in tree.children:
            try:
                if child.get_attributes().map_state == X.IsViewable:
                    titles.append(_title(self.display, child))
            except BadWindow:
                continue
        return titles

    def wait_mapped(self, title: str, timeout: float = 20.0) -> float:
        """Block until a window titled `title` is mapped; return `time.perf_counter()` then."""
        deadline = time.perf_counter() + timeout
        if any(title in t for t in self.mapped_titles()):
            return time.perf_counter()
        while True:
            while self.display.pending_events():
                event = self.display.next_event()
                if event.type == X.MapNotify and title in _title(self.display, event.window):
                    return time.perf_counter()
            remaining = deadline - time.perf_counter()
            if remaining <= 0:
                raise TimeoutError(f"no window titled {title!r} was mapped in {timeout} s")
            select.select([self.display.fileno()], [], [], remaining)

    def wait_unmapped(self, title: str, timeout: float = 20.0) -> None:
        deadline = time.perf_counter() + timeout
        while any(title in t for t in self.mapped_titles()):
            if time.perf_counter() > deadline:
                raise TimeoutError(f"window {title!r} is still mapped after {timeout} s")
            select.select([self.display.fileno()], [], [], 0.05)
            while self.display.pending_events():
                self.display.next_event()
