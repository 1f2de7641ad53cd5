"""The window imports the turn machinery at start-up; the SDK stack must not come with it.

langchain-google-genai costs about two seconds to import, so only `llm.client` may pull it
in, and only when the worker builds the first client (off the UI thread).
"""

from __future__ import annotations

import subprocess
import sys

LIGHT = [
    "mayadesk.llm.context",
    "mayadesk.llm.emotion",
    "mayadesk.llm.errors",
    "mayadesk.llm.events",
    "mayadesk.llm.messages",
    "mayadesk.llm.persona",
    "mayadesk.llm.retry",
    "mayadesk.llm.stream",
    "mayadesk.llm.turn",
    "mayadesk.sessions.session",
]
HEAVY = ("langchain", "langchain_core", "langchain_google_genai", "google.genai", "httpx")

PROBE = f"""
import sys
for name in {LIGHT!r}:
    __import__(name)
print(",".join(sorted(m for m in sys.modules if m.split(".")[0] in {HEAVY!r} or m in {HEAVY!r})))
"""


def test_the_turn_modules_do_not_import_the_sdk() -> None:
    result = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, check=True, timeout=60
    )
    assert result.stdout.strip() == ""


def test_the_probe_would_notice_the_sdk() -> None:
    probe = PROBE.replace("__import__(name)", "__import__(name); import langchain_google_genai")
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=60
    )
    assert "langchain_google_genai" in result.stdout.split(",")
