"""The bar's tools as the model sees them, bound to one session's :class:`BarState`.

The tool names, parameter names and the result shape (``ok`` plus data, or ``ok: false``
plus an ``error`` sentence) are fixed by DESIGN.md, because a scripted fake Gemini replays
them. :meth:`BarTools.call` never raises: whatever the model sends, it gets a JSON object it
can read aloud from, and the turn carries on. The declarations and the argument checks come
from one table (``_SPECS``) so they cannot drift apart.
"""

from __future__ import annotations

import logging
import math
import threading
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any, Literal

from mayadesk.bar import views
from mayadesk.bar.errors import BarError
from mayadesk.bar.money import dollars_to_cents
from mayadesk.bar.state import BarSnapshot, BarState

log = logging.getLogger("mayadesk.bar")

ToolResult = dict[str, Any]
OnChange = Callable[[BarSnapshot], None]
_Kind = Literal["string", "integer", "number", "string_list"]

_SCHEMA_TYPES: dict[_Kind, dict[str, Any]] = {
    "string": {"type": "STRING"},
    "integer": {"type": "INTEGER"},
    # float | None: langchain-google-genai turns this anyOf into NUMBER + nullable on the wire
    "number": {"anyOf": [{"type": "NUMBER"}, {"type": "null"}]},
    "string_list": {"type": "ARRAY", "items": {"type": "STRING"}},
}
_MAX_TEXT = 200
_MAX_LIST = 12
_MAX_TIP_DOLLARS = 1_000_000  # far above any balance; keeps Decimal maths in range


@dataclass(frozen=True, slots=True)
class _Param:
    name: str
    kind: _Kind
    description: str
    required: bool = False
    default: Any = None


@dataclass(frozen=True, slots=True)
class _Spec:
    name: str
    description: str
    params: tuple[_Param, ...] = ()


_ITEM = "The drink's menu name, e.g. 'Martini'. Put how it is made in modifiers, not here."
_SPECS: tuple[_Spec, ...] = (
    _Spec("get_menu", "The MOK 5-ha drinks menu: names, prices, descriptions, the modifiers "
          "each drink allows and its taste tags. Look here before quoting a drink or a price."),
    _Spec("recommend", "Drinks that suit what the customer feels like: a taste such as fruity, "
          "strong, classy, sobering (no alcohol), refreshing, sweet, sour or bitter, or a shelf "
          "such as beer or wine.",
          (_Param("taste", "string", "The customer's words, e.g. 'something fruity'.", True),)),
    _Spec("add_to_order", "Write a drink onto the customer's current order. Call it every time "
          "they ask for a drink. Refuses drinks not on the menu (naming the closest ones), "
          "quantities outside 1-20, modifiers that drink does not allow, and anything beyond "
          "the customer's balance.",
          (_Param("item", "string", _ITEM, True),
           _Param("quantity", "integer", "How many, 1-20. Defaults to 1.", default=1),
           _Param("modifiers", "string_list", "How to make it, each one of that drink's "
                  "allowed modifiers, e.g. ['dry', 'with a twist']. Defaults to none.",
                  default=()))),
    _Spec("remove_from_order", "Take a drink off the current order (drinks already placed stay "
          "on the bill).",
          (_Param("item", "string", _ITEM, True),
           _Param("quantity", "integer", "How many to take off, 1-20. Defaults to 1.",
                  default=1))),
    _Spec("show_order", "The current order, not yet placed, with its subtotal."),
    _Spec("clear_order", "Remove every drink from the current, unplaced order."),
    _Spec("place_order", "Place the current order once the customer confirms it: the drinks "
          "go onto their bill (their tab) and get made."),
    _Spec("get_bill", "The customer's bill: every drink placed since the last payment, the "
          "subtotal, the tip and the total. Use it when they ask for the check."),
    _Spec("add_tip", "Set the tip on the bill, either as a percent (0-100) of the subtotal or "
          "as an amount in dollars; give exactly one of the two. 0 removes the tip, and a new "
          "tip replaces the old one.",
          (_Param("percent", "number", "Tip as a percentage of the subtotal, e.g. 15."),
           _Param("amount", "number", "Tip as a fixed amount in US dollars, e.g. 5."))),
    _Spec("get_balance", "The customer's money: their balance, what is on the tab, the "
          "pending order and what is left to spend."),
    _Spec("pay_bill", "Pay the whole bill (drinks plus tip) from the customer's balance. The "
          "bill closes and a new one starts. Refused when nothing has been placed."),
)  # fmt: skip
TOOL_NAMES: tuple[str, ...] = tuple(spec.name for spec in _SPECS)


def declarations() -> list[dict[str, Any]]:
    """Gemini function declarations (OpenAPI-subset schemas) for ``bind_tools``.

    Tools without arguments carry no ``parameters`` at all: Gemini rejects an OBJECT with
    empty ``properties``, and langchain-google-genai drops one anyway.
    """
    result: list[dict[str, Any]] = []
    for spec in _SPECS:
        decl: dict[str, Any] = {"name": spec.name, "description": spec.description}
        if spec.params:
            decl["parameters"] = {
                "type": "OBJECT",
                "properties": {
                    p.name: {**_SCHEMA_TYPES[p.kind], "description": p.description}
                    for p in spec.params
                },
                "required": [p.name for p in spec.params if p.required],
            }
        result.append(decl)
    return result


class _BadArgument(Exception):
    """An argument the model sent has the wrong type or shape; the message is for it."""


def _coerce(param: _Param, value: Any) -> Any:
    if param.kind == "string":
        if not isinstance(value, str) or not value.strip():
            raise _BadArgument(f"'{param.name}' must be some text, like 'Martini'.")
        if len(value) > _MAX_TEXT:
            raise _BadArgument(f"'{param.name}' is too long; keep it under {_MAX_TEXT} letters.")
        return value.strip()
    if param.kind == "integer":
        if isinstance(value, float) and value.is_integer():
            value = int(value)  # JSON from Gemini often carries 2 as 2.0
        if not isinstance(value, int) or isinstance(value, bool):
            raise _BadArgument(f"'{param.name}' must be a whole number, like 1 or 2.")
        return value
    if param.kind == "number":
        if value is None:
            return None
        if not isinstance(value, int | float) or isinstance(value, bool):
            raise _BadArgument(f"'{param.name}' must be a number, like 15 or 5.50.")
        if not math.isfinite(value):
            raise _BadArgument(f"'{param.name}' must be a real number.")
        return value
    if value is None:
        return ()
    if isinstance(value, str):
        value = [value]  # a lone modifier is still a modifier
    if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
        raise _BadArgument(f"'{param.name}' must be a list of words, like ['on the rocks'].")
    if len(value) > _MAX_LIST:
        raise _BadArgument(f"'{param.name}' has too many entries.")
    return tuple(value)


def _parse_args(spec: _Spec, args: Mapping[str, Any] | None) -> dict[str, Any]:
    if args is None:
        args = {}
    if not isinstance(args, Mapping):
        raise _BadArgument(f"The arguments of the {spec.name} tool must be an object.")
    known = {p.name for p in spec.params}
    unknown = [str(k)[:60] for k in args if k not in known]
    if unknown:
        takes = f"its arguments are {', '.join(sorted(known))}" if known else "it takes none"
        raise _BadArgument(f"The {spec.name} tool has no argument '{unknown[0]}'; {takes}.")
    parsed: dict[str, Any] = {}
    for param in spec.params:
        if param.name not in args or (args[param.name] is None and param.kind != "number"):
            if param.required:
                raise _BadArgument(f"The {spec.name} tool needs '{param.name}'.")
            parsed[param.name] = param.default
        else:
            parsed[param.name] = _coerce(param, args[param.name])
    return parsed


class BarTools:
    """The eleven bar tools over one session's state, run under that session's lock.

    ``on_change`` receives a fresh :class:`BarSnapshot` whenever a call changed the order,
    the bill or the money. It runs while the lock is held, so snapshots arrive in the order
    the changes happened; keep it short (emit a queued signal).
    """

    def __init__(
        self,
        state: BarState,
        lock: AbstractContextManager[Any] | None = None,
        on_change: OnChange | None = None,
    ) -> None:
        self._state = state
        self._lock: AbstractContextManager[Any] = lock if lock is not None else threading.RLock()
        self._on_change = on_change
        self._specs = {spec.name: spec for spec in _SPECS}

    names = TOOL_NAMES
    declarations = staticmethod(declarations)

    def snapshot(self) -> BarSnapshot:
        """The tab as it is now, read under the lock (for the panel's first paint)."""
        with self._lock:
            return self._state.snapshot()

    def call(self, name: str, args: Mapping[str, Any] | None = None) -> ToolResult:
        """Run tool ``name`` with the model's ``args``; always returns a JSON-able dict."""
        spec = self._specs.get(name) if isinstance(name, str) else None
        if spec is None:
            return _error(f"There is no bar tool called '{str(name)[:60]}'.")
        try:
            parsed = _parse_args(spec, args)
        except _BadArgument as exc:
            return _error(str(exc))
        return self._run(name, lambda: getattr(self, f"_tool_{name}")(**parsed))

    def press_tip_preset(self, percent: int) -> ToolResult:
        """The panel's 10/15/20 % buttons: same rules as add_tip; a second press removes it.

        The result's ``note`` ("Added a 15% tip.") is what the conversation records as the
        customer's side of the history, so Maya knows about the tip on her next turn.
        """

        def press() -> ToolResult:
            tip = self._state.toggle_tip_preset(percent)
            note = f"Added a {tip.describe()} tip." if tip is not None else "Removed the tip."
            return _ok(note=note, bill=views.bill_view(self._state))

        return self._run("press_tip_preset", press)

    def _run(self, name: str, action: Callable[[], ToolResult]) -> ToolResult:
        try:
            with self._lock:
                before = self._state.snapshot()
                result = action()
                after = self._state.snapshot()
                if after != before:
                    self._notify(after)
                return result
        except BarError as exc:
            return _error(str(exc))
        except Exception:
            log.exception("bar tool %s failed", name)
            return _error("Something went wrong behind the bar; please try that again.")

    def _notify(self, snapshot: BarSnapshot) -> None:
        if self._on_change is None:
            return
        try:
            self._on_change(snapshot)
        except Exception:
            log.exception("bar on_change callback failed")

    # -- the tools (called under the lock with checked arguments) ----------------------------

    def _tool_get_menu(self) -> ToolResult:
        return _ok(**views.menu_view(self._state.menu))

    def _tool_recommend(self, taste: str) -> ToolResult:
        found = self._state.menu.recommend(taste)
        result = _ok(taste=taste, understood=list(found.matched), avoided=list(found.avoided),
                     drinks=[views.drink_view(d, full=False) for d in found.drinks])  # fmt: skip
        if not (found.matched or found.avoided) and found.drinks:
            known = ", ".join(t.name for t in self._state.menu.tastes)
            result["note"] = (
                f"That taste wasn't recognised, so these are house favourites. "
                f"Tastes I know: {known}."
            )
        return result

    def _tool_add_to_order(
        self, item: str, quantity: int, modifiers: tuple[str, ...]
    ) -> ToolResult:
        line = self._state.add_to_order(item, quantity, modifiers)
        return _ok(added=views.line_view(line), order=views.order_view(self._state),
                   available=views.money_view(self._state)["available"])  # fmt: skip

    def _tool_remove_from_order(self, item: str, quantity: int) -> ToolResult:
        drink, removed = self._state.remove_from_order(item, quantity)
        return _ok(removed={"item": drink.name, "quantity": removed},
                   order=views.order_view(self._state))  # fmt: skip

    def _tool_show_order(self) -> ToolResult:
        return _ok(order=views.order_view(self._state))

    def _tool_clear_order(self) -> ToolResult:
        cleared = self._state.clear_order()
        return _ok(cleared=sum(line.quantity for line in cleared),
                   order=views.order_view(self._state))  # fmt: skip

    def _tool_place_order(self) -> ToolResult:
        placed = self._state.place_order()
        return _ok(placed=[views.line_view(line) for line in placed],
                   bill=views.bill_view(self._state),
                   available=views.money_view(self._state)["available"])  # fmt: skip

    def _tool_get_bill(self) -> ToolResult:
        result = _ok(bill=views.bill_view(self._state))
        if self._state.bill.is_empty:
            result["note"] = "Nothing has been placed on the tab since the last payment."
        if not self._state.order.is_empty:
            result["pending_order"] = views.order_view(self._state)
        return result

    def _tool_add_tip(self, percent: float | None, amount: float | None) -> ToolResult:
        if (percent is None) == (amount is None):
            return _error("Tell me the tip either as a percent or as an amount, just one.")
        if percent is not None:
            self._state.set_tip_percent(percent)
        elif amount is not None:
            if amount < 0:
                return _error("A tip can't be negative.")
            if amount > _MAX_TIP_DOLLARS:
                return _error("A tip that large is more than I can ring up.")
            self._state.set_tip_amount(dollars_to_cents(amount))
        return _ok(bill=views.bill_view(self._state),
                   available=views.money_view(self._state)["available"])  # fmt: skip

    def _tool_get_balance(self) -> ToolResult:
        return _ok(**views.money_view(self._state))

    def _tool_pay_bill(self) -> ToolResult:
        receipt = self._state.pay()
        result = _ok(paid=views.receipt_view(receipt)["total"],
                     receipt=views.receipt_view(receipt),
                     balance=views.money_view(self._state)["balance"],
                     note="The bill is settled and a fresh tab is open.")  # fmt: skip
        if not self._state.order.is_empty:
            result["pending_order"] = views.order_view(self._state)
        return result


def _ok(**data: Any) -> ToolResult:
    return {"ok": True, **data}


def _error(sentence: str) -> ToolResult:
    return {"ok": False, "error": sentence}
