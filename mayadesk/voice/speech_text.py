"""Turn what Maya writes into what Maya says.

The transcript shows markdown, prices and the bar's stylised name; a voice reading that text
literally says "asterisk", "dollar sign twelve point five zero" or "mock five hyphen ha". Every
voice in the fallback chain (Cartesia, Piper, the system voice) gets the text through
``text_for_speech`` so they all say the same words, and the cleaning lives in one pure function
that a table of examples pins down.

Decisions for the ambiguous cases (each has a row in ``tests/unit/voice/test_speech_text.py``):

- Numbers keep their digits ("12 dollars", not "twelve dollars"): every engine reads plain
  digits well, while spelling numbers out here would duplicate each engine's own normaliser.
- Thousands separators are dropped ("$1,250" → "1250 dollars"): a comma is a pause for the
  voices and a clause break for the sentence splitter, and a bare digit run is read as one
  number by Cartesia, espeak (Piper) and flite alike.
- Cents with more than two digits are not money we can round for the guest: "$1.999" →
  "1.999 dollars" (the earlier version said "1 dollar and 999 cents"). One digit is tenths:
  "$12.5" → "12 dollars and 50 cents".
- "No." becomes "number" only before a digit ("No. 5"), so "No. Not tonight." stays a refusal;
  "#5" becomes "number 5" too.
- "x2" / "2x" / "2 × 3" become "times 2" / "2 times" / "2 times 3" only when the x stands on its
  own next to the number; "4x4", "0x2" and words containing x are left alone.
- URLs, inline code and fenced code are dropped, not read out; link text is kept.
- A line that ends without punctuation (list items, headings, table rows) gets a full stop, so
  the voice pauses between "Martini, 12 dollars" and "Daiquiri, 11 dollars". The last line of a
  piece keeps its ending as written, because a piece cut at a comma must not sound finished.
- The result is stripped. When pieces are sent as continuations of one utterance (Cartesia
  concatenates transcripts exactly), the sender adds the separating space.
"""

from __future__ import annotations

import re
from collections.abc import Callable

__all__ = ["STATE_TAG", "text_for_speech"]

#: Maya's emotion tag, ``[STATE: happy]``; matched anywhere, since a model may repeat it, and
#: as leniently as ``mayadesk.llm.emotion`` reads it (case, spacing, a forgotten colon).
STATE_TAG = re.compile(r"\[\s*state\b\s*:?[^\]\n]*\]", re.IGNORECASE)

_Replacement = str | Callable[[re.Match[str]], str]

# --- removed before anything else reads the text ---------------------------------------------
_INVISIBLE = re.compile("[\u200b\u200c\u2060\ufeff]")
_ODD_SPACES = re.compile("[\u00a0\u2007\u202f\t]")
_CODE_FENCE = re.compile(r"(```|~~~).*?(?:\1|\Z)", re.DOTALL)  # unterminated: to the end
_INLINE_CODE = re.compile(r"`[^`\n]*`")
_IMAGE = re.compile(r"!\[[^\]\n]*\]\((?:[^()\n]|\([^()\n]*\))*\)")
_LINK = re.compile(r"\[([^\]\n]+)\]\((?:[^()\n]|\([^()\n]*\))*\)")
_REF_LINK = re.compile(r"\[([^\]\n]+)\]\[[^\]\n]*\]")
_AUTOLINK = re.compile(r"<(?:https?://|mailto:|www\.)[^>\s]*>", re.IGNORECASE)
_URL = re.compile(r"(?:\bhttps?://|\bwww\.)[^\s<>\[\]]*[^\s<>\[\].,!?;:'\")]", re.IGNORECASE)
_EMOJI = re.compile(
    "["
    "\U0001f000-\U0001faff"  # pictographs, faces, food, flags, skin tones
    "\u2190-\u21ff"  # arrows (→ would be read as "right arrow")
    "\u2300-\u23ff"  # watch, hourglass, alarm clock
    "\u2600-\u27bf"  # miscellaneous symbols and dingbats (☕ ✨ ❤ ✔)
    "\u2b00-\u2bff"  # stars and arrows drawn as emoji (⭐ ⬆)
    "\ufe00-\ufe0f\u200d\u20e3"  # variation selectors, joiners, keycaps
    "\U000e0020-\U000e007f"  # tag sequences in subdivision flags
    "\u3030\u303d\u3297\u3299"
    "]+"
)
_EMOTICON = re.compile(r"(?<!\S)(?:[:;]-?[)(DPp/|]|<3)(?!\S)")

# --- line structure --------------------------------------------------------------------------
_HEADER = re.compile(r"^\s{0,3}#{1,6}\s+(.*?)(?:\s+#+)?\s*$")
_LIST_MARKER = re.compile(r"^\s*(?:[-*+•]|\d{1,3}[.)])\s+")
_QUOTE_MARKER = re.compile(r"^\s*(?:>\s?)+")
_RULE_LINE = re.compile(r"^\s*(?:[-*_=]\s*){3,}$")
_TABLE_SEPARATOR = re.compile(r"^\s*\|?\s*:?-{2,}:?\s*(?:\|\s*:?-{2,}:?\s*)*\|?\s*$")
_EMPHASIS = (
    re.compile(r"(\*\*|__)(?=\S)(.+?)(?<=\S)\1"),
    re.compile(r"(\*)(?=\S)([^*\n]+?)(?<=\S)\*"),
    re.compile(r"(?<!\w)(_)(?=\S)([^_\n]+?)(?<=\S)_(?!\w)"),
    re.compile(r"(~~)(?=\S)(.+?)(?<=\S)~~"),
)
_CLOSERS = "\"'”’)]*_"
_LINE_END_PUNCTUATION = ".!?…:;,"

# --- words -----------------------------------------------------------------------------------
_NUMBER = r"(?:\d{1,3}(?:,\d{3})+(?!\d)|\d+)(?:\.\d+)?"
_SCALES = {"k": "thousand", "K": "thousand", "M": "million", "bn": "billion"}
_PRICE = re.compile(
    r"\$\s?(?:(?P<int>\d{1,3}(?:,\d{3})+(?!\d)|\d+)(?:\.(?P<frac>\d+))?|\.(?P<only>\d+))"
    r"(?:\s?(?P<scale>thousand|million|billion|trillion|k|K|M|bn)\b)?"
)
_UNITS = {"oz": ("ounce", "ounces"), "ml": ("milliliter", "milliliters")}
_ABBREVIATIONS = {"Mr": "Mister", "Mrs": "Missus", "Ms": "Miz", "Dr": "Doctor", "St": "Saint"}


def _plural(count_text: str, singular: str, plural: str) -> str:
    return f"{count_text} {singular if count_text == '1' else plural}"


def _say_price(match: re.Match[str]) -> str:
    """Read a dollar amount the way a bartender says it; see the module notes for the edges."""
    whole = (match["int"] or "0").replace(",", "")
    frac = match["only"] if match["only"] is not None else match["frac"]
    if match["scale"]:
        amount = whole + (f".{frac}" if frac else "")
        return f"{amount} {_SCALES.get(match['scale'], match['scale'])} dollars"
    if frac is not None and len(frac) > 2:
        return f"{whole}.{frac} dollars"
    dollars = int(whole)
    cents = int(frac.ljust(2, "0")) if frac else 0
    parts = []
    if dollars or not cents:
        parts.append(_plural(str(dollars), "dollar", "dollars"))
    if cents:
        parts.append(_plural(str(cents), "cent", "cents"))
    return " and ".join(parts)


def _same_case(written: str, spoken: str) -> str:
    """A capitalised "E.g." starts a sentence, so "For example" must start it too."""
    return spoken[0].upper() + spoken[1:] if written[0].isupper() else spoken


def _say_unit(match: re.Match[str]) -> str:
    singular, plural = _UNITS[match[2].lower()]
    return _plural(match[1], singular, plural)


def _say_etc(match: re.Match[str]) -> str:
    """Keep the full stop only where "etc." also ends the sentence, so intonation survives."""
    rest = match.string[match.end() :]
    ends_sentence = not rest.strip() or re.match(r"\s+[A-Z\"“]", rest) is not None
    return "et cetera." if ends_sentence else "et cetera"


# Applied in order to the joined text; each rule assumes the ones above it have run.
_WORD_RULES: tuple[tuple[re.Pattern[str], _Replacement], ...] = (
    (re.compile(r"&amp;"), "&"),
    (re.compile(r"\bmok[\s-]*5[\s-]*ha\b", re.IGNORECASE), "Moksha"),
    (re.compile(r"~\s?(?=[$\d])"), "about "),
    (re.compile(rf"(\$\s?{_NUMBER})\s?[-–]\s?\$?\s?({_NUMBER})"), r"\1 to $\2"),
    (re.compile(r"(?<![\w.])[-−](?=\$)"), "minus "),
    (_PRICE, _say_price),
    (re.compile(r"(\d+(?:\.\d+)?)\s?%?\s?[-–]\s?(\d+(?:\.\d+)?)\s?%"), r"\1 to \2 percent"),
    (re.compile(r"(?<=\d)\s?%"), " percent"),
    (re.compile(r"%"), " percent "),
    (re.compile(r"(?<![\d,.])\d{1,3}(?:,\d{3})+(?!\d)"), lambda m: m[0].replace(",", "")),
    (
        re.compile(
            r"(?<![\w.,$-])(\d{1,3}(?:\.\d+)?)\s?[-–]\s?(\d{1,3}(?:\.\d+)?)(?![\d-]|[.,]\d)"
        ),
        r"\1 to \2",
    ),
    (re.compile(r"(?<![\w.])[x×]\s?(\d+)\b"), r"times \1"),
    (re.compile(r"\b(\d+)\s?[x×](?!\w)"), r"\1 times"),
    (re.compile(r"\b(\d+(?:\.\d+)?)\s?(oz|ml)\b", re.IGNORECASE), _say_unit),
    (re.compile(r"\be\.g\.", re.IGNORECASE), lambda m: _same_case(m[0], "for example")),
    (re.compile(r"\bi\.e\.", re.IGNORECASE), lambda m: _same_case(m[0], "that is")),
    (re.compile(r"\betc\.", re.IGNORECASE), _say_etc),
    (re.compile(r"\bvs\.?(?=\s)", re.IGNORECASE), "versus"),
    (re.compile(r"\bapprox\.", re.IGNORECASE), "approximately"),
    (re.compile(r"\b(Mrs|Mr|Ms)\."), lambda m: _ABBREVIATIONS[m[1]]),
    (re.compile(r"\b(Dr|St)\.(?=\s+[A-Z])"), lambda m: _ABBREVIATIONS[m[1]]),  # not "Main St."
    (re.compile(r"\b([Nn])o\.\s?(?=\d)"), lambda m: "Number " if m[1] == "N" else "number "),
    (re.compile(r"(?<![\w&])#\s?(?=\d)"), "number "),
    (re.compile(r"(?<!\w)w/o(?!\w)", re.IGNORECASE), "without"),
    (re.compile(r"(?<!\w)w/(?=\s|\w)", re.IGNORECASE), "with "),
    (re.compile(r"\s*&\s*"), " and "),
    (re.compile(r"[*`]+"), " "),  # emphasis marks a piece boundary cut in two
    (re.compile(r"\(\s*\)|\[\s*\]"), " "),  # brackets emptied by a removed URL
)


def _clean_line(line: str) -> tuple[str, bool]:
    """Strip one line's block markdown; the flag says the line is structural (item, heading)."""
    if _RULE_LINE.match(line) or _TABLE_SEPARATOR.match(line):
        return "", False
    structural = False
    header = _HEADER.match(line)
    if header:
        line, structural = header[1], True
    line = _QUOTE_MARKER.sub("", line)
    marker = _LIST_MARKER.match(line)
    if marker:
        line, structural = line[marker.end() :], True
    if line.lstrip().startswith("|"):
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        line, structural = ", ".join(cell for cell in cells if cell), True
    for pattern in _EMPHASIS:
        line = pattern.sub(r"\2", line)
    return line.strip(), structural


def _end_sentence(line: str) -> str:
    """Give a line a full stop unless it already ends in punctuation (closers ignored)."""
    core = line.rstrip(_CLOSERS)
    if not core or core[-1] in _LINE_END_PUNCTUATION or not any(c.isalnum() for c in core):
        return line
    return line + "."


def text_for_speech(text: str) -> str:
    """Return ``text`` as the voice should say it: no tags, markup, emoji or links; money,
    percentages, ranges and the bar's name in words a voice reads correctly."""
    text = _INVISIBLE.sub("", text)
    text = _ODD_SPACES.sub(" ", text).replace("\r\n", "\n").replace("\r", "\n")
    text = STATE_TAG.sub(" ", text)
    text = _CODE_FENCE.sub("\n", text)
    text = _INLINE_CODE.sub(" ", text)
    text = _IMAGE.sub(" ", text)
    text = _LINK.sub(r"\1", text)
    text = _REF_LINK.sub(r"\1", text)
    text = _AUTOLINK.sub(" ", text)
    text = _URL.sub(" ", text)
    text = _EMOJI.sub(" ", text)
    text = _EMOTICON.sub(" ", text)

    raw_lines = text.split("\n")
    spoken: list[str] = []
    for index, raw in enumerate(raw_lines):
        line, structural = _clean_line(raw)
        if not line:
            continue
        followed_by_break = index < len(raw_lines) - 1
        spoken.append(_end_sentence(line) if structural or followed_by_break else line)
    text = " ".join(spoken)

    for pattern, replacement in _WORD_RULES:
        text = pattern.sub(replacement, text)
    text = re.sub(r"\s+", " ", text)
    text = re.sub(r"(?<![.,!?;:…]) (?=[.,!?;:…])", "", text)
    text = re.sub(r"([,;:])(?:[,;:]|\.(?!\.))+", lambda m: "." if "." in m[0] else m[1], text)
    return re.sub(r"^(?:[,;:\s]|\.(?![\d.]))+", "", text).strip()
