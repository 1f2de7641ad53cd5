"""What one request carries: the system instruction and the part of the history that fits.

A session's history only grows, but a request has a budget (cost, latency, the model's
window). The history is cut into exchanges, each starting where the customer speaks (their
message or a tip note) and running until they speak again — Maya's tool rounds and reply
belong to the exchange that prompted them. The oldest exchanges are dropped first, whole, so
a tool call is never separated from its result; the newest exchange (the customer's
current words and this turn's tool rounds) is always kept.

Sizes are counted in characters (about four per token): cheap, and close enough for a
budget. Nothing here imports LangChain; `messages.to_langchain` converts the result.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

from mayadesk.sessions.history import Entry, Message, ToolExchange

DEFAULT_CONTEXT_BUDGET_CHARS = 60_000
"""About 15k tokens: a long evening at the bar, with room for a menu lookup or two."""


@dataclass(frozen=True, slots=True)
class Context:
    """The request's content: `entries` are only what the model may see, oldest first.

    `dropped` counts the history entries not sent: notices, failed fragments, the local
    greeting, and the oldest exchanges the budget could not hold.
    """

    system: str
    entries: tuple[Entry, ...]
    dropped: int = 0


def entry_size(entry: Entry) -> int:
    """Characters an entry adds to a request (text, or the JSON of calls and results)."""
    if isinstance(entry, Message):
        return len(entry.text) + 16  # the emotion tag or a note prefix
    calls = sum(len(c.name) + len(json.dumps(dict(c.args), default=str)) for c in entry.calls)
    results = sum(len(json.dumps(dict(r.result), default=str)) for r in entry.results)
    return calls + results


def visible_to_model(entry: Entry) -> bool:
    return isinstance(entry, ToolExchange) or entry.reaches_model


def _starts_exchange(entry: Entry) -> bool:
    return isinstance(entry, Message) and entry.is_user_side


def exchanges(entries: Sequence[Entry]) -> list[list[Entry]]:
    """Group what the model may see into exchanges, each opened by the customer.

    Whatever precedes the customer's first words (the greeting, shown locally) is left out:
    a request opens with the customer, as Gemini expects.
    """
    groups: list[list[Entry]] = []
    for entry in entries:
        if not visible_to_model(entry):
            continue
        if _starts_exchange(entry):
            groups.append([entry])
        elif groups:
            groups[-1].append(entry)
    return groups


def build_context(
    entries: Sequence[Entry], system: str, budget_chars: int = DEFAULT_CONTEXT_BUDGET_CHARS
) -> Context:
    """The newest exchanges that fit in `budget_chars` (system instruction included)."""
    groups = exchanges(entries)
    sizes = [sum(entry_size(e) for e in group) for group in groups]
    available = budget_chars - len(system)
    start = 0
    total = sum(sizes)
    while total > available and start < len(groups) - 1:
        total -= sizes[start]
        start += 1
    kept = tuple(e for group in groups[start:] for e in group)
    return Context(system=system, entries=kept, dropped=len(entries) - len(kept))
