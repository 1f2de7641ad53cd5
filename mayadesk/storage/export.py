"""A conversation as a document a person can keep: Markdown to read, JSON to process.

Keys never reach the store (they live only in the keyring), so there is nothing secret to
strip; the exports still leave out what is opaque and useless outside the app — Gemini's
thought signatures and the tab-layout fields — and `pending` drafts are marked as cut off.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from mayadesk import __version__
from mayadesk.bar.money import format_cents
from mayadesk.bar.state import BarState
from mayadesk.sessions.history import Message, Role, ToolExchange
from mayadesk.storage.mapping import to_json as _compact_json
from mayadesk.storage.records import ConversationRecord, StoredEntry

JSON_FORMAT = "mayadesk.conversation"
JSON_FORMAT_VERSION = 1
_SPEAKERS = {Role.USER: "You", Role.MAYA: "Maya", Role.NOTICE: "Notice"}
_BLOCK_START = re.compile(r"^(\s*)([#>+\-*=|`~]|\d+[.)])", re.MULTILINE)


def _iso(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp).astimezone().isoformat(timespec="seconds")


def _when(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp).astimezone().strftime("%Y-%m-%d %H:%M")


def _escape(text: str) -> str:
    """Keep a message's own text from turning into headings, quotes or lists."""
    return _BLOCK_START.sub(lambda m: m.group(1) + "\\" + m.group(2), text)


def _message_json(stored: StoredEntry, message: Message) -> dict[str, Any]:
    return {
        "seq": stored.seq,
        "type": "message",
        "role": message.role.value,
        "kind": message.kind.value,
        "text": message.text,
        "emotion": message.emotion.value if message.emotion else None,
        "created": _iso(message.created),
        "voice": stored.voice,
        "stopped": message.stopped or stored.pending,
        "failed": message.failed,
    }


def _exchange_json(stored: StoredEntry, exchange: ToolExchange) -> dict[str, Any]:
    return {
        "seq": stored.seq,
        "type": "tool_exchange",
        "created": _iso(exchange.created),
        "calls": [{"id": c.id, "name": c.name, "args": dict(c.args)} for c in exchange.calls],
        "results": [
            {"call_id": r.call_id, "name": r.name, "result": dict(r.result)}
            for r in exchange.results
        ],
    }


def to_json(
    record: ConversationRecord,
    entries: Sequence[StoredEntry],
    timings: Mapping[int, Mapping[str, float]],
) -> str:
    document = {
        "format": JSON_FORMAT,
        "format_version": JSON_FORMAT_VERSION,
        "exported_by": f"MayaDesk {__version__}",
        "conversation": {
            "id": record.id,
            "title": record.title,
            "profile": record.profile,
            "created": _iso(record.created),
            "updated": _iso(record.updated),
            "phase": record.phase,
            "emotion": record.emotion,
            "small_talk_turns": record.small_talk_turns,
            "bar": dict(record.bar_state),
        },
        "entries": [
            _message_json(s, s.entry)
            if isinstance(s.entry, Message)
            else _exchange_json(s, s.entry)
            for s in entries
        ],
        "turn_timings": {str(turn): dict(values) for turn, values in timings.items()},
    }
    return json.dumps(document, ensure_ascii=False, indent=2) + "\n"


def _message_markdown(stored: StoredEntry, message: Message) -> str:
    if message.role is Role.NOTICE:
        return f"> *{_when(message.created)} — {message.text.strip()}*"
    head = f"**{_SPEAKERS[message.role]}**"
    if message.emotion is not None and message.role is Role.MAYA:
        head += f" ({message.emotion.value})"
    head += f" · {_when(message.created)}"
    flags = [
        label
        for label, on in (
            ("stopped", message.stopped or stored.pending),
            ("failed", message.failed),
        )
        if on
    ]
    if flags:
        head += f" · *{', '.join(flags)}*"
    return f"{head}\n\n{_escape(message.text.strip())}"


def _exchange_markdown(exchange: ToolExchange) -> str:
    lines = []
    for call, result in zip(exchange.calls, exchange.results, strict=True):
        args = ", ".join(f"{k}={_compact_json(v)}" for k, v in call.args.items())
        outcome = "ok" if result.result.get("ok") else result.result.get("error", "failed")
        lines.append(f"- `{call.name}({args})` → {outcome}")
    return "*Maya used the bar's tools:*\n\n" + "\n".join(lines)


def _bar_markdown(bar_state: Mapping[str, Any]) -> list[str]:
    try:
        snap = BarState.from_dict(bar_state).snapshot()
    except ValueError:
        return []
    out = ["## The tab", ""]
    for title, lines in (("On order (not placed yet)", snap.order), ("On the bill", snap.bill)):
        if lines:
            out += [f"{title}:", ""]
            out += [f"- {line.describe()} — {format_cents(line.line_cents)}" for line in lines]
            out.append("")
    if snap.tip_cents:
        out.append(f"- Tip: {format_cents(snap.tip_cents)}")
    out.append(f"- Bill total: {format_cents(snap.total_cents)}")
    out.append(
        f"- Bills paid: {snap.bills_paid} · balance left: {format_cents(snap.balance_cents)}"
    )
    return [*out, ""]


def to_markdown(record: ConversationRecord, entries: Sequence[StoredEntry]) -> str:
    parts = [
        f"# {_escape(record.title)}",
        "",
        f"*A conversation with Maya, the bartender — started {_when(record.created)}, "
        f"last active {_when(record.updated)}, key profile “{record.profile}”.*",
        "",
    ]
    for stored in entries:
        entry = stored.entry
        if isinstance(entry, Message):
            parts += [_message_markdown(stored, entry), ""]
        else:
            parts += [_exchange_markdown(entry), ""]
    parts += _bar_markdown(record.bar_state)
    return "\n".join(parts).rstrip() + "\n"
