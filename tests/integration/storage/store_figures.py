"""Figures for the store: what a commit costs, and what restoring 30 long tabs costs.

Run: python -m tests.integration.storage.store_figures [DIR]
Prints one line per figure (median and 95th percentile where it is repeated). The files go
to DIR (default: a temporary directory on the same disk as the system temp dir).
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from mayadesk.sessions.history import Emotion, Message, Role
from mayadesk.storage import ConversationStore, open_store, restore_session
from tests.unit.storage.samples import rich_session, save_session

TABS, MESSAGES, PAGE = 30, 200, 50


def text(n: int) -> str:
    return f"Message {n}: a long-ish line about gin, bitters and the weather tonight. " * 3


def fill(path: Path) -> list[str]:
    """30 conversations × 200 messages (plus each sample's tool exchange), all tabs open."""
    ids = []
    with ConversationStore(path, durable=False) as store:
        for _ in range(TABS):
            session = rich_session()
            save_session(store, session)
            for n in range(MESSAGES - len(session.entries())):
                role = Role.USER if n % 2 else Role.MAYA
                store.append_entry(session.id, Message(role, text(n), emotion=Emotion.HAPPY))
            ids.append(session.id)
        store.set_open_tabs(ids, ids[-1])
    return ids


def ms(samples: list[float]) -> str:
    samples = sorted(samples)
    p95 = samples[min(len(samples) - 1, int(len(samples) * 0.95))]
    return f"median {statistics.median(samples) * 1000:.2f} ms, p95 {p95 * 1000:.2f} ms"


def timed(action: Callable[[], object], repeat: int) -> list[float]:
    out = []
    for _ in range(repeat):
        start = time.perf_counter()
        action()
        out.append(time.perf_counter() - start)
    return out


def append_costs(store: ConversationStore, conversation_id: str, count: int) -> str:
    samples = []
    for n in range(count):
        message = Message(Role.USER, text(n))
        start = time.perf_counter()
        store.append_entry(conversation_id, message)
        samples.append(time.perf_counter() - start)
    return ms(samples)


def restore_all(path: Path) -> tuple[float, float, float]:
    """Open (with quick_check), list tabs, last page of each; then the rest of every tab."""
    start = time.perf_counter()
    store, notice = open_store(path)
    opened = time.perf_counter()
    assert notice is None
    tabs = store.load_open_conversations()
    pages = {t.id: store.load_entries(t.id, limit=PAGE) for t in tabs}
    first_pages = time.perf_counter()
    for tab in tabs:
        restore_session(tab, store.load_entries(tab.id))
    everything = time.perf_counter()
    store.close()
    assert len(tabs) == TABS and all(len(p) == PAGE for p in pages.values())
    return opened - start, first_pages - opened, everything - first_pages


def main(directory: Path) -> None:
    path = directory / "figures.sqlite3"
    ids = fill(path)
    print(f"store: {TABS} tabs × {MESSAGES} entries, {path.stat().st_size / 1e6:.1f} MB")
    for durable in (True, False):
        with ConversationStore(path, durable=durable) as store:
            samples = append_costs(store, ids[0], 300)
            print(f"append_entry commit (synchronous={'FULL' if durable else 'NORMAL'}): {samples}")
    runs = [restore_all(path) for _ in range(7)]
    for label, index in (
        ("open_store + quick_check", 0),
        (f"tabs + last {PAGE} of each", 1),
        ("all entries → 30 Sessions", 2),
    ):
        print(f"{label}: " + ms([run[index] for run in runs]))
    with ConversationStore(path) as store:
        print("search 'bitters': " + ms(timed(lambda: store.search("bitters"), 20)))
        print(
            "export_markdown (200 entries): " + ms(timed(lambda: store.export_markdown(ids[1]), 10))
        )
        print("integrity_check: " + ms(timed(store.integrity_check, 3)))
        deletes = []
        for conversation_id in ids[2:7]:
            start = time.perf_counter()
            store.delete_conversation(conversation_id)
            deletes.append(time.perf_counter() - start)
        print("delete_conversation: " + ms(deletes))


if __name__ == "__main__":
    if len(sys.argv) > 1:
        main(Path(sys.argv[1]))
    else:
        with tempfile.TemporaryDirectory() as tmp:
            main(Path(tmp))
