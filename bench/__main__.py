"""Run every benchmark: `python3 dev.py bench` (or `.venv/bin/python -m bench`).

Starts its own X server when there is no display, so it runs the same on a desktop, a
server or CI.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from bench import startup
from tests.helpers.services import Xvfb

RESULTS = Path(__file__).resolve().parent / "results"


def main() -> int:
    xvfb = None
    if not os.environ.get("DISPLAY"):
        xvfb = Xvfb.start()
        os.environ["DISPLAY"] = xvfb.display
    os.environ["QT_QPA_PLATFORM"] = "xcb"
    os.environ.setdefault("QT_LOGGING_RULES", "qt.multimedia.*=false")
    try:
        figures = startup.run(runs=int(os.environ.get("BENCH_RUNS", "5")))
    finally:
        if xvfb is not None:
            xvfb.stop()
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "latest.json").write_text(json.dumps(figures, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
