"""What Maya says for what she writes: one row per rule, so a regression names its rule."""

from __future__ import annotations

import pytest

from mayadesk.voice.speech_text import text_for_speech


def _cases(*rows: tuple[str, str, str]) -> list[object]:
    return [pytest.param(text, spoken, id=name) for name, text, spoken in rows]


TAGS = _cases(
    ("leading tag", "[STATE: happy] Sure thing!", "Sure thing!"),
    ("tag without space", "[STATE:thinking]Hmm, let me see.", "Hmm, let me see."),
    ("lowercase tag", "[state: upset] That's not on the menu.", "That's not on the menu."),
    ("tag without colon", "[STATE happy] Hi.", "Hi."),
    ("word starting with state kept", "[statement] Hi.", "[statement] Hi."),
    ("repeated tag mid-text", "Done. [STATE: mixing] Shaking it now.", "Done. Shaking it now."),
    ("unknown emotion still stripped", "[STATE: ecstatic] Wow!", "Wow!"),
    ("tag alone", "[STATE: neutral]", ""),
    ("other brackets kept", "The [house] special.", "The [house] special."),
)

MARKDOWN = _cases(
    ("bold", "A **dirty** Martini.", "A dirty Martini."),
    ("bold underscores", "A __dry__ one.", "A dry one."),
    ("italics star", "It's *really* good.", "It's really good."),
    ("italics underscore", "It's _really_ good.", "It's really good."),
    ("snake case untouched", "Say old_fashioned twice.", "Say old_fashioned twice."),
    ("strikethrough", "Now ~~$12~~ only $10.", "Now 12 dollars only 10 dollars."),
    ("header gets a stop", "## Cocktails\nAll shaken.", "Cocktails. All shaken."),
    ("header closing hashes", "### Wine ###", "Wine."),
    (
        "dash list",
        "We have:\n- Martini $12\n- Daiquiri $11",
        "We have: Martini 12 dollars. Daiquiri 11 dollars.",
    ),
    ("star and plus list", "* Gin\n+ Rum", "Gin. Rum."),
    ("numbered list", "1. Martini\n2) Mojito", "Martini. Mojito."),
    ("list item keeps its own mark", "- Is that all?\n- Yes!", "Is that all? Yes!"),
    ("blockquote", "> Drink responsibly", "Drink responsibly"),
    ("horizontal rule", "Menu\n---\nMore", "Menu. More"),
    ("table", "| Drink | Price |\n|---|---|\n| IPA | $7 |", "Drink, Price. IPA, 7 dollars."),
    ("link keeps its text", "See [our menu](https://moksha.bar/menu).", "See our menu."),
    ("link with parens in url", "Try [it](https://x.org/a_(b)) now.", "Try it now."),
    ("reference link", "See [the menu][1].", "See the menu."),
    ("image dropped", "Look ![a glass](glass.png) here.", "Look here."),
    ("inline code dropped", "Run `mayadesk keys set` first.", "Run first."),
    (
        "code block dropped",
        "Like this:\n```python\nprint('hi. there')\n```\nDone.",
        "Like this: Done.",
    ),
    ("unterminated code block", "Here:\n```\nx = 1.5", "Here:"),
    ("stray marks from a split", "Great choice.**", "Great choice."),
    ("emphasis around a sentence", '**"Cheers!"**', '"Cheers!"'),
)

NOISE = _cases(
    ("bare url", "Visit https://moksha.bar/menu for more.", "Visit for more."),
    ("url at sentence end", "It's at https://moksha.bar.", "It's at."),
    ("www url", "Or www.moksha.bar, anytime.", "Or, anytime."),
    ("autolink", "Mail <mailto:maya@bar.example> please.", "Mail please."),
    ("url in parentheses", "Our menu (https://x.example/m) is long.", "Our menu is long."),
    ("emoji", "Cheers 🍸🥂!", "Cheers!"),
    ("emoji with modifiers", "Nice 👍🏽 choice ❤️.", "Nice choice."),
    ("flag emoji", "Imported 🇯🇵 whisky.", "Imported whisky."),
    ("dingbats", "Done ✔ enjoy ✨", "Done enjoy"),
    ("arrow", "Gin → tonic.", "Gin tonic."),
    ("emoticon", "Coming right up :)", "Coming right up"),
    ("ellipsis and dash kept", "Well… maybe — or not...", "Well… maybe — or not..."),
    ("zero width and nbsp", "Gin\u200b\u00a0and\u202ftonic.", "Gin and tonic."),
    ("whitespace collapsed", "  One\t Martini,   please.  ", "One Martini, please."),
)

MONEY = _cases(
    ("dollars and cents", "That's $12.50.", "That's 12 dollars and 50 cents."),
    ("one dollar", "Just $1!", "Just 1 dollar!"),
    ("cents only", "$0.50 extra", "50 cents extra"),
    ("one and one", "$1.01", "1 dollar and 1 cent"),
    ("one cent", "$0.01", "1 cent"),
    ("zero", "$0", "0 dollars"),
    ("zero cents dropped", "$7.00 flat", "7 dollars flat"),
    ("leading zero cents", "$12.05", "12 dollars and 5 cents"),
    ("tenths are tens of cents", "$12.5", "12 dollars and 50 cents"),
    ("no integer part", "$.75", "75 cents"),
    ("thousands separator dropped", "$1,250", "1250 dollars"),
    ("bill format", "$1,012.50", "1012 dollars and 50 cents"),
    ("millions", "$1,234,567.89", "1234567 dollars and 89 cents"),
    ("three decimals read as written", "$1.999", "1.999 dollars"),
    ("space after sign", "$ 9", "9 dollars"),
    ("negative from the bill", "Credit: -$3.00.", "Credit: minus 3 dollars."),
    ("spaced dash is not minus", "Martini - $12", "Martini - 12 dollars"),
    ("price range", "$12-$15", "12 dollars to 15 dollars"),
    ("price range short form", "$12–15 each", "12 dollars to 15 dollars each"),
    ("scale word", "$2 million", "2 million dollars"),
    ("scale letter", "$1.5k", "1.5 thousand dollars"),
    ("capital word after price", "$12 Martini", "12 dollars Martini"),
    ("about", "~$5", "about 5 dollars"),
    ("price then stop", "It's $14.", "It's 14 dollars."),
)

PERCENT_AND_NUMBERS = _cases(
    ("percent", "A 20% tip.", "A 20 percent tip."),
    ("decimal percent", "12.5% ABV", "12.5 percent ABV"),
    ("spaced percent", "15 % tip", "15 percent tip"),
    ("percent range", "10-15% is usual.", "10 to 15 percent is usual."),
    ("percent range both signs", "15%-20%", "15 to 20 percent"),
    ("plain thousands", "We pour 1,200 drinks a night.", "We pour 1200 drinks a night."),
    ("decimal untouched", "It's 3.5 ounces.", "It's 3.5 ounces."),
    ("number range", "2-3 minutes", "2 to 3 minutes"),
    ("phone number untouched", "Call 555-1234.", "Call 555-1234."),
    ("date untouched", "Since 2024-01-05.", "Since 2024-01-05."),
    ("times suffix", "Martini x2", "Martini times 2"),
    ("times prefix", "2x Martini", "2 times Martini"),
    ("times sign", "2 × 3", "2 times 3"),
    ("dimensions untouched", "A 4x4 coaster.", "A 4x4 coaster."),
    ("hex untouched", "Code 0x2F.", "Code 0x2F."),
    ("word with x untouched", "Mix 2 exes.", "Mix 2 exes."),
    ("ounces", "2 oz gin, 1 oz lime, 1.5oz syrup", "2 ounces gin, 1 ounce lime, 1.5 ounces syrup"),
    ("milliliters", "A 750ml bottle.", "A 750 milliliters bottle."),
    ("number sign", "Our #1 seller.", "Our number 1 seller."),
)

WORDS = _cases(
    ("ampersand", "Gin & tonic", "Gin and tonic"),
    ("ampersand tight", "R&B night", "R and B night"),
    ("html ampersand", "Salt &amp; lime", "Salt and lime"),
    ("bar name", "Welcome to MOK 5-ha!", "Welcome to Moksha!"),
    ("bar name title case", "Mok 5-ha's finest.", "Moksha's finest."),
    ("bar name lower, no hyphen", "mok 5 ha", "Moksha"),
    ("bar name in a list", "- MOK 5-ha", "Moksha."),
    (
        "for example",
        "Something sweet, e.g. a Daiquiri.",
        "Something sweet, for example a Daiquiri.",
    ),
    ("for example comma", "E.g., rum.", "For example, rum."),
    ("that is capitalised", "I.e. neat.", "That is neat."),
    ("that is", "Neat, i.e. no ice.", "Neat, that is no ice."),
    ("etc mid-sentence", "Gin, rum, etc. and more.", "Gin, rum, et cetera and more."),
    ("etc ends a sentence", "Gin, rum, etc. Want one?", "Gin, rum, et cetera. Want one?"),
    ("etc at the end", "Gin, rum, etc.", "Gin, rum, et cetera."),
    ("versus", "Shaken vs. stirred", "Shaken versus stirred"),
    ("approximately", "approx. 5 minutes", "approximately 5 minutes"),
    ("doctor", "A Dr. Pepper?", "A Doctor Pepper?"),
    ("saint", "St. Germain spritz", "Saint Germain spritz"),
    ("mister and missus", "Mr. and Mrs. Smith", "Mister and Missus Smith"),
    ("street left alone", "On Main St. today", "On Main St. today"),
    ("number before a digit", "The No. 5 is lovely.", "The Number 5 is lovely."),
    ("lowercase number", "table no. 12", "table number 12"),
    ("no as an answer", "No. Not tonight.", "No. Not tonight."),
    ("with", "Martini w/ a twist, w/o ice", "Martini with a twist, without ice"),
)

LINES = _cases(
    ("line break gets a stop", "Sure thing\nWhat else", "Sure thing. What else"),
    ("colon line kept", "Options:\nGin", "Options: Gin"),
    ("last line kept open", "Gin, rum,", "Gin, rum,"),
    ("closing quote counts", 'She said "cheers"\nOk', 'She said "cheers". Ok'),
    ("punctuation only line", "Menu\n...\nDone", "Menu. ... Done"),
    ("empty", "", ""),
    ("blank lines", "\n\n  \n", ""),
)


@pytest.mark.parametrize(("text", "spoken"), TAGS)
def test_emotion_tags_are_never_spoken(text: str, spoken: str) -> None:
    assert text_for_speech(text) == spoken


@pytest.mark.parametrize(("text", "spoken"), MARKDOWN)
def test_markdown_is_read_as_plain_text(text: str, spoken: str) -> None:
    assert text_for_speech(text) == spoken


@pytest.mark.parametrize(("text", "spoken"), NOISE)
def test_urls_emoji_and_spacing(text: str, spoken: str) -> None:
    assert text_for_speech(text) == spoken


@pytest.mark.parametrize(("text", "spoken"), MONEY)
def test_prices_are_said_in_dollars_and_cents(text: str, spoken: str) -> None:
    assert text_for_speech(text) == spoken


@pytest.mark.parametrize(("text", "spoken"), PERCENT_AND_NUMBERS)
def test_percentages_and_numbers(text: str, spoken: str) -> None:
    assert text_for_speech(text) == spoken


@pytest.mark.parametrize(("text", "spoken"), WORDS)
def test_symbols_names_and_abbreviations(text: str, spoken: str) -> None:
    assert text_for_speech(text) == spoken


@pytest.mark.parametrize(("text", "spoken"), LINES)
def test_line_breaks_become_pauses(text: str, spoken: str) -> None:
    assert text_for_speech(text) == spoken


MAYA_REPLIES = _cases(
    (
        "order with modifiers",
        "[STATE: mixing] One **Martini**, dirty & with a twist — that's $14.50. "
        "Want the No. 5 too? It's 20% off tonight 🍸",
        "One Martini, dirty and with a twist — that's 14 dollars and 50 cents. "
        "Want the Number 5 too? It's 20 percent off tonight",
    ),
    (
        "bill summary",
        "[STATE: happy] Here's your tab at MOK 5-ha:\n"
        "- Old Fashioned x2 — $26.00\n"
        "- Virgin Mojito — $7.50\n"
        "- Tip (15%) — $5.03\n\n"
        "**Total: $38.53.** Cheers!",
        "Here's your tab at Moksha: Old Fashioned times 2 — 26 dollars. "
        "Virgin Mojito — 7 dollars and 50 cents. Tip (15 percent) — 5 dollars and 3 cents. "
        "Total: 38 dollars and 53 cents. Cheers!",
    ),
    (
        "recommendation",
        "[STATE: thinking] Hmm... something smoky, e.g. a Mezcal Negroni ($13) "
        "or a Penicillin, i.e. Scotch, honey & ginger. Both ~2 oz of spirit.",
        "Hmm... something smoky, for example a Mezcal Negroni (13 dollars) "
        "or a Penicillin, that is Scotch, honey and ginger. Both about 2 ounces of spirit.",
    ),
    (
        "upset with a refusal",
        "[STATE: upset] No. I can't add a $1.999 tip — pick 10-20% or an amount like $3.",
        "No. I can't add a 1.999 dollars tip — pick 10 to 20 percent or an amount like 3 dollars.",
    ),
)


@pytest.mark.parametrize(("text", "spoken"), MAYA_REPLIES)
def test_realistic_replies(text: str, spoken: str) -> None:
    assert text_for_speech(text) == spoken


@pytest.mark.parametrize(
    "text",
    ["$12.50", "20%", "**x**", "[STATE: happy] Hi", "MOK 5-ha", "e.g. a", "- item\n- item"],
)
def test_cleaning_is_idempotent(text: str) -> None:
    """Pieces may be cleaned twice (replay, fallback voice); the second pass must change nothing."""
    once = text_for_speech(text)
    assert text_for_speech(once) == once
