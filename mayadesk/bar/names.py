"""Folding what a customer says into keys the menu can look up.

The model passes the customer's words along ("two old-fashioneds", "a glass of the rosé"),
so matching has to forgive case, accents, punctuation, filler words and simple plurals;
these helpers do that and nothing else, so the rules stay readable in ``menu``.
"""

from __future__ import annotations

import unicodedata

# Words a customer puts before a drink's name that never change which drink is meant.
FILLER_PREFIXES = (
    "a ", "an ", "the ", "one ", "some ", "another ", "my ",
    "glass of ", "glasses of ", "pint of ", "pints of ", "bottle of ", "bottles of ",
    "shot of ", "shots of ", "cup of ", "cups of ", "can of ", "cans of ",
)  # fmt: skip


# Words before a taste that turn it around: "not too sweet", "nothing strong".
NEGATIONS = ("not too", "not so", "not", "no", "nothing", "less", "without", "never", "isn t")


def normalize(text: str) -> str:
    """Fold case, accents, punctuation and spacing so "Piña-Colada " equals "pina colada"."""
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch)).lower()
    plain = plain.replace("&", " and ")
    cleaned = "".join(ch if ch.isalnum() else " " for ch in plain)
    return " ".join(cleaned.split())


def strip_fillers(key: str) -> str:
    """Drop leading filler words: "a glass of the house red" → "house red"."""
    changed = True
    while changed:
        changed = False
        for prefix in FILLER_PREFIXES:
            if key.startswith(prefix) and len(key) > len(prefix):
                key = key[len(prefix) :]
                changed = True
    return key


def singular_forms(key: str) -> list[str]:
    """Simple English singulars of the last word: martinis, whiskies, old fashioneds."""
    head, _, last = key.rpartition(" ")
    prefix = f"{head} " if head else ""
    forms: list[str] = []
    if last.endswith("ies") and len(last) > 4:
        forms.append(f"{prefix}{last[:-3]}y")
    if last.endswith("es") and len(last) > 3:
        forms.append(f"{prefix}{last[:-2]}")
    if last.endswith("s") and not last.endswith("ss") and len(last) > 2:
        forms.append(f"{prefix}{last[:-1]}")
    return forms


def phrase_in(phrase: str, padded_text: str) -> bool:
    """Whole-word containment; ``padded_text`` is normalized text with a space at each end."""
    return f" {phrase} " in padded_text
