"""The menu of MOK 5-ha: typed, immutable, loaded once from ``resources/menu.json``.

Prices, modifiers and taste tags live in data rather than in Maya's prompt, so the rules in
``order`` and ``state`` can enforce them and the model can only quote what is really served.
Name matching is forgiving (case, spacing, accents, simple plurals, aliases) because the model
passes along whatever the customer said; anything it cannot match is refused with the closest
names instead of being guessed.
"""

from __future__ import annotations

import difflib
import functools
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from functools import cached_property
from importlib import resources
from typing import Any

from mayadesk.bar.errors import ModifierError, UnknownDrinkError
from mayadesk.bar.money import format_cents
from mayadesk.bar.names import NEGATIONS, normalize, phrase_in, singular_forms, strip_fillers

MENU_RESOURCE = "menu.json"


class Category(StrEnum):
    """The five shelves of the menu; values are the ids used in ``menu.json``."""

    COCKTAILS = "cocktails"
    BEER = "beer"
    WINE = "wine"
    SPIRITS = "spirits"
    NON_ALCOHOLIC = "non-alcoholic"


# Words in a recommend() request that point at a whole shelf rather than a taste.
_CATEGORY_WORDS: dict[str, Category] = {
    "cocktail": Category.COCKTAILS, "cocktails": Category.COCKTAILS,
    "mixed drink": Category.COCKTAILS, "beer": Category.BEER, "beers": Category.BEER,
    "wine": Category.WINE, "wines": Category.WINE, "spirit": Category.SPIRITS,
    "spirits": Category.SPIRITS, "liquor": Category.SPIRITS,
    "mocktail": Category.NON_ALCOHOLIC, "mocktails": Category.NON_ALCOHOLIC,
}  # fmt: skip


@dataclass(frozen=True, slots=True)
class BarInfo:
    """Facts about the bar itself that Maya may mention and the UI may show."""

    name: str
    pronunciation: str
    meaning: str
    currency: str
    tip_presets_percent: tuple[int, ...]
    house_favourites: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Modifier:
    """A way of serving a drink; modifiers in the same ``group`` exclude each other."""

    name: str
    description: str
    group: str | None
    aliases: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Taste:
    """A taste tag recommend() understands, with the words customers use for it."""

    name: str
    description: str
    aliases: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Drink:
    """One menu item; ``modifiers`` lists the only modifiers this drink can be ordered with."""

    name: str
    category: Category
    price_cents: int
    description: str
    modifiers: tuple[str, ...]
    tags: tuple[str, ...]
    aliases: tuple[str, ...] = ()

    @property
    def price(self) -> str:
        """The price as the bill prints it, e.g. ``$12.50``."""
        return format_cents(self.price_cents)


@dataclass(frozen=True, slots=True)
class Recommendation:
    """What recommend() found: the tags it understood and the drinks that fit them.

    ``avoided`` are tags the customer ruled out ("not too sweet"). When nothing was understood
    at all, ``drinks`` are the house favourites, so Maya can still suggest something.
    """

    taste: str
    matched: tuple[str, ...]
    avoided: tuple[str, ...]
    drinks: tuple[Drink, ...]


@dataclass(frozen=True)
class Menu:
    """The whole menu; build it with :func:`load_menu` or :func:`parse_menu`."""

    bar: BarInfo
    drinks: tuple[Drink, ...]
    modifiers: tuple[Modifier, ...]
    tastes: tuple[Taste, ...]
    category_labels: tuple[tuple[Category, str], ...]

    # -- indexes (built on first use; frozen dataclasses allow cached_property) --------------

    @cached_property
    def _drink_keys(self) -> dict[str, Drink]:
        index: dict[str, Drink] = {}
        for drink in self.drinks:
            for label in (drink.name, *drink.aliases):
                key = normalize(label)
                for variant in (key, key.replace(" ", "")):
                    owner = index.setdefault(variant, drink)
                    if owner is not drink:
                        raise ValueError(f"menu name {label!r} is ambiguous: {owner.name}")
        return index

    @cached_property
    def _modifier_keys(self) -> dict[str, Modifier]:
        index: dict[str, Modifier] = {}
        for modifier in self.modifiers:
            for label in (modifier.name, *modifier.aliases):
                index[normalize(label)] = modifier
        return index

    # -- drinks ------------------------------------------------------------------------------

    def find(self, name: str) -> Drink | None:
        """The drink a customer most likely means by ``name``, or None if nothing fits."""
        key = normalize(name)
        if not key:
            return None
        stripped = strip_fillers(key)
        for candidate in dict.fromkeys((key, stripped, *singular_forms(stripped))):
            for variant in (candidate, candidate.replace(" ", "")):
                drink = self._drink_keys.get(variant)
                if drink is not None:
                    return drink
        return None

    def drink(self, name: str) -> Drink:
        """Like :meth:`find`, but an unknown name raises with the closest names in the message."""
        found = self.find(name)
        if found is not None:
            return found
        shown = " ".join(name.split())[:60] or "that"
        suggestions = self.suggest(name)
        message = f"We don't have '{shown}' on the menu."
        if suggestions:
            message += f" The closest we pour: {', '.join(suggestions)}."
        raise UnknownDrinkError(message, name, suggestions)

    def suggest(self, name: str, limit: int = 3) -> tuple[str, ...]:
        """Menu names close to ``name``: drinks named inside it first, then spelling neighbours."""
        key = strip_fillers(normalize(name))
        if not key:
            return ()
        padded = f" {key} "
        found: list[str] = []
        for drink in self.drinks:
            labels = (drink.name, *drink.aliases)
            if any(len(n) >= 3 and phrase_in(n, padded) for n in map(normalize, labels)):
                found.append(drink.name)
        for close in difflib.get_close_matches(key, list(self._drink_keys), n=limit * 3):
            found.append(self._drink_keys[close].name)
        return tuple(dict.fromkeys(found))[:limit]

    def by_category(self) -> list[tuple[Category, str, tuple[Drink, ...]]]:
        """Drinks grouped by shelf, in menu order, with each shelf's display label."""
        return [
            (category, label, tuple(d for d in self.drinks if d.category is category))
            for category, label in self.category_labels
        ]

    # -- modifiers ---------------------------------------------------------------------------

    def modifier(self, name: str) -> Modifier | None:
        """The modifier called ``name`` (or one of its aliases), if the bar knows it at all."""
        return self._modifier_keys.get(normalize(name))

    def resolve_modifiers(self, drink: Drink, requested: Sequence[str]) -> tuple[str, ...]:
        """Canonical modifier names for ``drink``, in the drink's own order.

        Raises ModifierError when a modifier is unknown, not offered for this drink, or clashes
        with another one in the same group (shaken *and* stirred, neat *and* on the rocks).
        """
        chosen: list[Modifier] = []
        for raw in requested:
            if not normalize(raw):
                continue
            modifier = self.modifier(raw)
            if modifier is None or modifier.name not in drink.modifiers:
                raise ModifierError(_modifier_refusal(drink, raw))
            if modifier not in chosen:
                chosen.append(modifier)
        groups: dict[str, Modifier] = {}
        for modifier in chosen:
            if modifier.group is None:
                continue
            other = groups.setdefault(modifier.group, modifier)
            if other is not modifier:
                raise ModifierError(
                    f"The {drink.name} can't be both {other.name} and {modifier.name}; "
                    "please pick one."
                )
        names = {m.name for m in chosen}
        return tuple(m for m in drink.modifiers if m in names)

    # -- recommendations ---------------------------------------------------------------------

    def recommend(self, taste: str, limit: int = 5) -> Recommendation:
        """Drinks whose taste tags best fit the words in ``taste`` ("something fruity").

        Longer phrases are matched first and removed, so "crisp and dry" is not also read as
        "crisp". A taste after "not", "no", "less" or "without" rules drinks with that tag out
        ("fruity but not too sweet"). Shelf words ("a beer", "wine") narrow to that shelf.
        """
        padded = f" {normalize(taste)} "
        phrases: list[tuple[str, str]] = [
            (normalize(label), t.name) for t in self.tastes for label in (t.name, *t.aliases)
        ]
        phrases += [(word, f"category:{cat.value}") for word, cat in _CATEGORY_WORDS.items()]
        matched: list[str] = []
        avoided: list[str] = []
        categories: set[Category] = set()
        for phrase, target in sorted(phrases, key=lambda p: -len(p[0])):
            negated = next((n for n in NEGATIONS if phrase_in(f"{n} {phrase}", padded)), None)
            if negated is not None:
                padded = padded.replace(f" {negated} {phrase} ", " | ")
                if not target.startswith("category:") and target not in avoided:
                    avoided.append(target)
            elif phrase_in(phrase, padded):
                padded = padded.replace(f" {phrase} ", " | ")
                if target.startswith("category:"):
                    categories.add(Category(target.removeprefix("category:")))
                elif target not in matched:
                    matched.append(target)
        matched = [t for t in matched if t not in avoided]
        pool = [
            d
            for d in self.drinks
            if (not categories or d.category in categories)
            and not any(tag in d.tags for tag in avoided)
        ]
        if not matched and not categories and not avoided:
            favourites = tuple(self.drink(name) for name in self.bar.house_favourites)
            return Recommendation(taste, (), (), favourites[:limit])
        scored = [(sum(tag in d.tags for tag in matched), i, d) for i, d in enumerate(pool)]
        best = sorted((s for s in scored if s[0] > 0 or not matched), key=lambda s: (-s[0], s[1]))
        drinks = tuple(d for _, _, d in best[:limit])
        return Recommendation(taste, tuple(matched), tuple(avoided), drinks)


def _modifier_refusal(drink: Drink, raw: str) -> str:
    shown = " ".join(raw.split())[:40]
    if not drink.modifiers:
        return f"The {drink.name} is served just one way, so '{shown}' isn't possible."
    return (
        f"'{shown}' isn't an option for the {drink.name}; it can be {', '.join(drink.modifiers)}."
    )


def parse_menu(data: Mapping[str, Any]) -> Menu:
    """Build and check a Menu from the JSON structure; ValueError says what is wrong.

    Checked here, once, so the rules can trust the menu: prices are positive integer cents,
    every modifier and tag a drink names is declared, names are unique and unambiguous.
    """
    try:
        bar_data = data["bar"]
        bar = BarInfo(
            name=str(bar_data["name"]),
            pronunciation=str(bar_data["pronunciation"]),
            meaning=str(bar_data["meaning"]),
            currency=str(bar_data["currency"]),
            tip_presets_percent=tuple(int(p) for p in bar_data["tip_presets_percent"]),
            house_favourites=tuple(str(n) for n in bar_data["house_favourites"]),
        )
        labels = tuple((Category(c["id"]), str(c["label"])) for c in data["categories"])
        modifiers = tuple(
            Modifier(str(m["name"]), str(m["description"]), m.get("group"),
                     tuple(str(a) for a in m.get("aliases", ())))
            for m in data["modifiers"]
        )  # fmt: skip
        tastes = tuple(
            Taste(str(t["name"]), str(t["description"]), tuple(str(a) for a in t["aliases"]))
            for t in data["tastes"]
        )
        drinks = tuple(_parse_drink(d) for d in data["drinks"])
    except (KeyError, TypeError) as exc:
        raise ValueError(f"menu is malformed: {exc!r}") from exc
    known_modifiers = {m.name for m in modifiers}
    known_tastes = {t.name for t in tastes}
    for drink in drinks:
        unknown = (set(drink.modifiers) - known_modifiers) | (set(drink.tags) - known_tastes)
        if unknown:
            raise ValueError(f"{drink.name} names undeclared modifiers/tags: {sorted(unknown)}")
    if {c for c, _ in labels} != set(Category):
        raise ValueError("menu must declare each category exactly once")
    menu = Menu(bar, drinks, modifiers, tastes, labels)
    menu._drink_keys  # noqa: B018 - build the index now so ambiguous names fail at load
    for name in bar.house_favourites:
        if menu.find(name) is None:
            raise ValueError(f"house favourite {name!r} is not on the menu")
    return menu


def _parse_drink(data: Mapping[str, Any]) -> Drink:
    price = data["price_cents"]
    if not isinstance(price, int) or isinstance(price, bool) or price <= 0:
        raise ValueError(f"{data.get('name')!r}: price_cents must be a positive integer")
    return Drink(
        name=str(data["name"]),
        category=Category(data["category"]),
        price_cents=price,
        description=str(data["description"]),
        modifiers=tuple(str(m) for m in data["modifiers"]),
        tags=tuple(str(t) for t in data["tags"]),
        aliases=tuple(str(a) for a in data.get("aliases", ())),
    )


@functools.cache
def load_menu() -> Menu:
    """The bar's menu from the installed package data, parsed once per process."""
    source = resources.files("mayadesk.resources") / MENU_RESOURCE
    return parse_menu(json.loads(source.read_text(encoding="utf-8")))
