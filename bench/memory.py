"""Resident memory of the real window with 1 tab and with 100 tabs.

Issue 4: "RSS with 1 tab vs. 100 tabs (each with a 20-message history): ≤ 150 MB more".
Each count is measured in a fresh process (`python -m bench.memory child N`): MayaDesk's
`MainWindow` with the app's turn services, N tabs opened one after another as a user would
(each shown once, so its widgets are laid out and painted), every tab's session holding 20
messages of realistic length, customer and Maya taking turns. RSS is read from
/proc/self/status (VmRSS) after the event loop has gone idle and a full garbage collection.
The app starts up as it does for a user (`finish_start_up`: key store, Gemini SDK loaded).

The issue's case has no turn run: a tab's worker thread and its Gemini client are created
by its first turn. A second case runs one short turn in every tab first (against the fake
Gemini), which is what 100 tabs of conversation cost until the idle clients are evicted.
"""

from __future__ import annotations

import functools
import gc
import os
import re
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bench._child import (
    HELLO,
    close_window,
    open_window,
    pause,
    run_app,
    run_child,
    turn_in_tabs,
)

if TYPE_CHECKING:
    from mayadesk.sessions.session import Session

TABS = (1, 100)
MESSAGES = 20
GOAL_MB = 150.0

CUSTOMER = [
    "Hi! What would you recommend for a warm evening?",
    "Something fruity but not too sweet, please.",
    "Can I get two of those, one without ice?",
    "What's in the house special, and how strong is it?",
    "Actually, make the second one a Negroni. What do I owe you?",
]
MAYA = [
    "Welcome in! On a warm evening I'd go for a **Mojito**: fresh mint, lime and a good white "
    "rum, light and cold. If you'd rather skip the rum, I make a lovely virgin one too.",
    "Then you'll love our *Mai Tai*. Two rums, orgeat and lime, more tart than sweet, and I "
    "float a little dark rum on top so the first sip is the best one.",
    "Two Mai Tais, one straight up and one on the rocks, coming right up. Give me a minute to "
    "shake them properly; a lazy shake is how you end up with a sad drink.",
    "The house special is a gin sour with rosemary syrup. It's about as strong as a glass of "
    "wine, bright and herbal, and the foam on top is egg white, shaken twice.",
    "One Mai Tai and one Negroni then. That's $26.00 for the two; I'll put it on your tab and "
    "you can settle up whenever you like. Shall I start a bowl of olives for you?",
]


def rss_mb() -> float:
    """This process's resident set size, from the kernel's own accounting."""
    status = Path("/proc/self/status").read_text()
    match = re.search(r"^VmRSS:\s+(\d+)\s+kB", status, re.MULTILINE)
    assert match is not None
    return int(match.group(1)) / 1024


def conversation(profile: str) -> Session:
    """A session with 20 messages, the customer and Maya taking turns."""
    from mayadesk.sessions.history import Message, Role
    from mayadesk.sessions.session import Session

    session = Session(profile)
    for i in range(MESSAGES):
        if i % 2 == 0:
            session.add_message(Message(Role.USER, CUSTOMER[(i // 2) % len(CUSTOMER)]))
        else:
            session.add_message(Message(Role.MAYA, MAYA[(i // 2) % len(MAYA)]))
    return session


async def measure(tabs: int, with_turn: bool) -> dict[str, Any]:
    """Open `tabs` tabs of 20 messages (and run a turn in each); then read the RSS."""
    from PySide6.QtCore import QCoreApplication, QEvent

    async def settle() -> None:
        await pause(0.05)
        QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)

    window, turns = await open_window(conversation)
    await settle()
    for _ in range(tabs - 1):
        window.new_tab()  # becomes the current tab, so it is shown and painted once
        await settle()
    if with_turn:
        await turn_in_tabs(window.tabs.conversations(), HELLO)
        await settle()
    gc.collect()
    await settle()
    result = {
        "tabs": window.tabs.count(),
        "rss_mb": rss_mb(),
        "threads": len(os.listdir("/proc/self/task")),
    }
    close_window(window, turns)
    return result


def child(tabs: int, with_turn: bool) -> None:
    run_app(functools.partial(measure, tabs, with_turn))


def run() -> dict[str, float]:
    """Measure each case in a fresh process; print the figures; return them."""
    figures: dict[str, float] = {}
    few, many = TABS
    for with_turn, label in ((False, ""), (True, "_after_a_turn")):
        rss: dict[int, float] = {}
        for tabs in TABS:
            args = ["child", str(tabs)] + (["turn"] if with_turn else [])
            result = run_child("bench.memory", *args)
            assert result["tabs"] == tabs, result
            rss[tabs] = result["rss_mb"]
            what = "one turn run in each" if with_turn else "no turn run yet"
            print(f"memory: {tabs:3d} tab(s) x {MESSAGES} messages, {what}: RSS "
                  f"{rss[tabs]:6.1f} MB ({result['threads']} threads)")
        extra = rss[many] - rss[few]
        print(f"memory: {many} tabs cost {extra:.1f} MB more than {few} "
              f"({extra / (many - few) * 1024:.0f} KB a tab"
              f"{', after a turn in each' if with_turn else ''})  ratio extra / goal = "
              f"{extra / GOAL_MB:.2f}  (goal <= {GOAL_MB:g} MB)")
        figures[f"memory_rss_{few}_tab{label}_mb"] = rss[few]
        figures[f"memory_rss_{many}_tabs{label}_mb"] = rss[many]
        figures[f"memory_extra{label}_mb"] = extra
    return figures


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "child":
        child(int(sys.argv[2]), with_turn="turn" in sys.argv[3:])
    else:
        run()
