"""Run every benchmark: `python3 dev.py bench` (or `.venv/bin/python -m bench`).

Starts its own X server when there is no display, so it runs the same on a desktop, a
server or CI. Each benchmark prints its figures with their same-run baseline and a
"ratio ... (goal ...)" line; all figures go to bench/results/latest.json. Name some to run
only those: `python -m bench registry memory`.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from pathlib import Path

from bench import (
    memory,
    registry,
    restore_startup,
    startup,
    ttfa,
    ui_responsiveness,
    voice_to_voice,
)
from tests.helpers.services import Xvfb

RESULTS = Path(__file__).resolve().parent / "results"


BENCHMARKS: dict[str, Callable[[], dict[str, float]]] = {
    "startup": lambda: startup.run(runs=int(os.environ.get("BENCH_RUNS", "5"))),
    "restore": lambda: restore_startup.run(runs=int(os.environ.get("BENCH_RUNS", "5"))),
    "registry": registry.run,
    "ui": ui_responsiveness.run,
    "memory": memory.run,
    "ttfa": ttfa.run,
    "voice": voice_to_voice.run,
}


def main(names: list[str]) -> int:
    unknown = set(names) - set(BENCHMARKS)
    if unknown:
        print(f"unknown benchmark(s) {sorted(unknown)}; known: {list(BENCHMARKS)}",
              file=sys.stderr)
        return 2
    xvfb = None
    if not os.environ.get("DISPLAY"):
        xvfb = Xvfb.start()
        os.environ["DISPLAY"] = xvfb.display
    os.environ["QT_QPA_PLATFORM"] = "xcb"
    os.environ.setdefault("QT_LOGGING_RULES", "qt.multimedia.*=false")
    figures: dict[str, float] = {}
    try:
        for name, bench in BENCHMARKS.items():
            if not names or name in names:
                figures.update(bench())
    finally:
        if xvfb is not None:
            xvfb.stop()
    RESULTS.mkdir(exist_ok=True)
    latest = RESULTS / "latest.json"
    if names and latest.exists():  # a partial run updates the figures it measured
        figures = {**json.loads(latest.read_text()), **figures}
    latest.write_text(json.dumps(figures, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
