"""The menu file and its lookups: what the model may order is exactly what is on it."""

from __future__ import annotations

import copy
import json
from importlib import resources
from typing import Any

import pytest

from mayadesk.bar.errors import ModifierError, UnknownDrinkError
from mayadesk.bar.menu import Category, Menu, load_menu, normalize, parse_menu


@pytest.fixture(scope="module")
def menu() -> Menu:
    return load_menu()


@pytest.fixture
def raw_menu() -> dict[str, Any]:
    text = (resources.files("mayadesk.resources") / "menu.json").read_text(encoding="utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


def test_menu_has_at_least_25_drinks_on_every_shelf(menu: Menu) -> None:
    assert len(menu.drinks) >= 25
    shelves = {category: drinks for category, _, drinks in menu.by_category()}
    assert set(shelves) == set(Category)
    for category, drinks in shelves.items():
        assert len(drinks) >= 3, category


def test_every_drink_is_fully_described(menu: Menu) -> None:
    for drink in menu.drinks:
        assert isinstance(drink.price_cents, int) and drink.price_cents > 0, drink.name
        assert drink.description.endswith("."), drink.name
        assert drink.tags, drink.name
    non_alcoholic = [d for d in menu.drinks if d.category is Category.NON_ALCOHOLIC]
    assert all("sobering" in d.tags for d in non_alcoholic)
    assert not any("sobering" in d.tags for d in menu.drinks if d not in non_alcoholic)


def test_bar_facts(menu: Menu) -> None:
    assert menu.bar.name == "MOK 5-ha"
    assert menu.bar.pronunciation == "Moksha"
    assert menu.bar.tip_presets_percent == (10, 15, 20)
    assert menu.bar.currency == "USD"


def test_spirits_offer_neat_and_rocks_and_martini_its_classics(menu: Menu) -> None:
    for drink in menu.by_category()[3][2]:
        assert {"neat", "on the rocks"} <= set(drink.modifiers), drink.name
    assert {"shaken", "stirred", "dry", "dirty", "with a twist", "up"} <= set(
        menu.drink("Martini").modifiers
    )


@pytest.mark.parametrize(
    ("said", "drink"),
    [
        ("Martini", "Martini"),
        ("  mARTini ", "Martini"),
        ("martinis", "Martini"),
        ("The Old-Fashioneds", "Old Fashioned"),
        ("oldfashioned", "Old Fashioned"),
        ("old   fashioned", "Old Fashioned"),
        ("pina coladas", "Piña Colada"),
        ("Piña Colada", "Piña Colada"),
        ("rose", "Rosé"),
        ("a glass of house red", "House Red"),
        ("red wine", "House Red"),
        ("IPAs", "IPA"),
        ("whiskies", "Whiskey"),
        ("whisky", "Whiskey"),
        ("bourbon", "Whiskey"),
        ("long island", "Long Island Iced Tea"),
        ("longisland", "Long Island Iced Tea"),
        ("iced tea", "Iced Tea"),
        ("cosmos", "Cosmopolitan"),
        ("a beer", "Tap Beer"),
        ("cognac", "Brandy"),
        ("Espresso Martini", "Espresso Martini"),
        ("virgin mojitos", "Virgin Mojito"),
        ("Whiskey Sours", "Whiskey Sour"),
        ("coke", "Soda"),
    ],
)
def test_lookup_tolerates_how_people_say_it(menu: Menu, said: str, drink: str) -> None:
    assert menu.drink(said).name == drink


@pytest.mark.parametrize("said", ["", "   ", "pumpkin spice latte", "martinee", "wine"])
def test_unknown_names_are_not_guessed(menu: Menu, said: str) -> None:
    assert menu.find(said) is None


def test_unknown_drink_is_refused_with_the_closest_names(menu: Menu) -> None:
    with pytest.raises(UnknownDrinkError) as caught:
        menu.drink("Martinee")
    assert caught.value.suggestions[0] == "Martini"
    assert str(caught.value) == (
        "We don't have 'Martinee' on the menu. The closest we pour: Martini."
    )


def test_a_drink_named_with_its_modifier_suggests_the_drink(menu: Menu) -> None:
    with pytest.raises(UnknownDrinkError) as caught:
        menu.drink("dirty martini")
    assert "Martini" in caught.value.suggestions


def test_nothing_close_gives_a_plain_refusal(menu: Menu) -> None:
    with pytest.raises(UnknownDrinkError) as caught:
        menu.drink("zzzzqqq")
    assert caught.value.suggestions == ()
    assert str(caught.value) == "We don't have 'zzzzqqq' on the menu."


def test_normalize_folds_accents_case_and_punctuation() -> None:
    assert normalize("  Piña-Colada!! ") == "pina colada"
    assert normalize("Gin & Tonic") == "gin and tonic"


@pytest.mark.parametrize(
    ("drink", "asked", "resolved"),
    [
        ("Martini", ["dry", "twist"], ("dry", "with a twist")),
        ("Martini", ["With A Twist", "DIRTY", "dirty"], ("dirty", "with a twist")),
        ("Whiskey", ["rocks"], ("on the rocks",)),
        ("Whiskey", ["over ice", "chaser"], ("on the rocks", "with a chaser")),
        ("Manhattan", ["straight up"], ("up",)),
        ("Margarita", ["frozen", "salt rim"], ("frozen", "salted rim")),
        ("IPA", [], ()),
        ("IPA", [" "], ()),
    ],
)
def test_modifiers_resolve_to_the_drinks_own_names(
    menu: Menu, drink: str, asked: list[str], resolved: tuple[str, ...]
) -> None:
    assert menu.resolve_modifiers(menu.drink(drink), asked) == resolved


@pytest.mark.parametrize(
    ("drink", "asked", "sentence"),
    [
        ("IPA", ["neat"], "The IPA is served just one way, so 'neat' isn't possible."),
        ("Mojito", ["neat"], "'neat' isn't an option for the Mojito; it can be on the rocks, "
                             "extra mint."),
        ("Martini", ["frozen"], "'frozen' isn't an option for the Martini;"),
        ("Martini", ["glitter"], "'glitter' isn't an option for the Martini;"),
        ("Martini", ["shaken", "stirred"], "The Martini can't be both shaken and stirred"),
        ("Whiskey", ["neat", "rocks"], "The Whiskey can't be both neat and on the rocks"),
        ("Water", ["still", "sparkling"], "The Water can't be both still and sparkling"),
    ],
)  # fmt: skip
def test_modifiers_outside_the_drinks_list_are_refused(
    menu: Menu, drink: str, asked: list[str], sentence: str
) -> None:
    with pytest.raises(ModifierError, match="^" + sentence.replace("(", r"\(")):
        menu.resolve_modifiers(menu.drink(drink), asked)


@pytest.mark.parametrize(
    ("taste", "understood", "avoided", "must_include", "must_exclude"),
    [
        ("something fruity", ("fruity",), (), "Daiquiri", "Whiskey"),
        ("I'm driving tonight", ("sobering",), (), "Virgin Mojito", "Mojito"),
        ("non-alcoholic please", ("sobering",), (), "Water", "Martini"),
        ("CLASSY", ("classy",), (), "Martini", "Water"),
        ("strong", ("strong",), (), "Long Island Iced Tea", "Water"),
        ("fruity but not too sweet", ("fruity",), ("sweet",), "Daiquiri", "Piña Colada"),
        ("a light beer", ("light",), (), "Pilsner", "Rosé"),
    ],
)
def test_recommend_by_taste(
    menu: Menu,
    taste: str,
    understood: tuple[str, ...],
    avoided: tuple[str, ...],
    must_include: str,
    must_exclude: str,
) -> None:
    found = menu.recommend(taste, limit=10)
    names = [d.name for d in found.drinks]
    assert found.matched == understood
    assert found.avoided == avoided
    assert must_include in names
    assert must_exclude not in names
    for drink in found.drinks:
        assert set(understood) & set(drink.tags)
        assert not set(avoided) & set(drink.tags)


def test_recommend_ranks_drinks_matching_more_tastes_first(menu: Menu) -> None:
    found = menu.recommend("fruity and refreshing", limit=3)
    for drink in found.drinks:
        assert {"fruity", "refreshing"} <= set(drink.tags), drink.name


def test_recommend_a_shelf(menu: Menu) -> None:
    found = menu.recommend("some wine")
    assert found.drinks and all(d.category is Category.WINE for d in found.drinks)


def test_recommend_unknown_taste_falls_back_to_house_favourites(menu: Menu) -> None:
    found = menu.recommend("tastes like purple")
    assert found.matched == ()
    assert [d.name for d in found.drinks] == list(menu.bar.house_favourites)


def _broken(data: dict[str, Any], how: str) -> dict[str, Any]:
    bad = copy.deepcopy(data)
    drinks = bad["drinks"]
    if how == "float price":
        drinks[0]["price_cents"] = 12.5
    elif how == "zero price":
        drinks[0]["price_cents"] = 0
    elif how == "undeclared modifier":
        drinks[0]["modifiers"].append("sprinkles")
    elif how == "undeclared tag":
        drinks[0]["tags"].append("purple")
    elif how == "ambiguous alias":
        drinks[1]["aliases"].append(drinks[0]["name"].lower())
    elif how == "unknown category":
        drinks[0]["category"] = "cider"
    elif how == "missing shelf":
        bad["categories"] = bad["categories"][:-1]
    elif how == "missing field":
        del drinks[0]["description"]
    return bad


@pytest.mark.parametrize(
    "how",
    ["float price", "zero price", "undeclared modifier", "undeclared tag", "ambiguous alias",
     "unknown category", "missing shelf", "missing field"],
)  # fmt: skip
def test_parse_menu_rejects_broken_data(raw_menu: dict[str, Any], how: str) -> None:
    parse_menu(raw_menu)  # the real one is fine
    with pytest.raises(ValueError):
        parse_menu(_broken(raw_menu, how))


def test_menu_is_loaded_once_and_immutable(menu: Menu) -> None:
    assert load_menu() is menu
    with pytest.raises(AttributeError):
        menu.drinks[0].price_cents = 1  # type: ignore[misc]
