"""Sentence splitting of streamed text: where it cuts, when, and what it never does."""

from __future__ import annotations

import itertools
import random
import re

import pytest

from mayadesk.voice.sentences import SentenceSplitter, split_all
from mayadesk.voice.speech_text import STATE_TAG, text_for_speech


def _cases(*rows: tuple[str, str, list[str]]) -> list[object]:
    return [pytest.param(text, pieces, id=name) for name, text, pieces in rows]


def _every_sentence(text: str) -> list[str]:
    """Sizes out of the way, so each row shows only where sentences end."""
    return split_all(text, first_min_chars=1, min_chars=1, max_chars=10_000)


def _weight(piece: str) -> int:
    return len(STATE_TAG.sub("", piece).strip())


def _ends(pieces: list[str]) -> set[int]:
    return set(itertools.accumulate(map(len, pieces)))


# The eager rule for the reply's first piece, restated here rather than imported, so a change
# in the splitter's word lists or checks shows up as a failing test.
_PLAIN_END = re.compile(r"(?:[^\W\d_][!?]+|(?<![^\W\d_])(?<!\.)(?P<word>[^\W\d_]{2,}|I)\.)\s*\Z")
_NOT_PLAIN_WORDS = frozenset(
    {"mr", "mrs", "ms", "mx", "dr", "prof", "st", "jr", "sr", "vs", "cf", "approx", "incl",
     "esp", "viz", "no", "nos", "vol", "pp", "nr", "fig", "etc", "al", "ca"}
)  # fmt: skip


def _may_end_early(piece: str, first_min_chars: int) -> bool:
    """Whether a first piece may end where a delta ended, before the next character was seen."""
    end = _PLAIN_END.search(piece)
    if end is None:
        return False
    word = end["word"]
    if word is not None and word.lower() in _NOT_PLAIN_WORDS:
        return False
    before = piece[: end.start()]
    in_code = any(before.count(fence) % 2 for fence in ("```", "~~~"))
    in_brackets = before.rfind("[") > before.rfind("]")
    return not in_code and not in_brackets and _weight(piece) >= max(1, first_min_chars)


BOUNDARIES = _cases(
    ("exclamation", "Sure! What'll it be?", ["Sure! ", "What'll it be?"]),
    ("price", "That's $12.50. Anything else?", ["That's $12.50. ", "Anything else?"]),
    ("price at sentence end", "It's $12. Want one?", ["It's $12. ", "Want one?"]),
    ("decimal", "It's 3.5 ounces. Strong.", ["It's 3.5 ounces. ", "Strong."]),
    (
        "e.g. before a capital",
        "Sweet, e.g. Daiquiri. Or not.",
        ["Sweet, e.g. Daiquiri. ", "Or not."],
    ),
    ("i.e. before a capital", "Neat, i.e. No ice. Ok.", ["Neat, i.e. No ice. ", "Ok."]),
    ("mr", "Ask Mr. Smith. He knows.", ["Ask Mr. Smith. ", "He knows."]),
    ("mrs and dr", "Mrs. Jones likes Dr. Pepper. Odd.", ["Mrs. Jones likes Dr. Pepper. ", "Odd."]),
    ("st", "A St. Germain spritz. Lovely.", ["A St. Germain spritz. ", "Lovely."]),
    ("vs", "Gin vs. Rum? Rum.", ["Gin vs. Rum? ", "Rum."]),
    ("no before a digit", "The No. 5 is great. Try it.", ["The No. 5 is great. ", "Try it."]),
    ("no as an answer", "No. Not tonight.", ["No. ", "Not tonight."]),
    ("initial", "J. R. Smith is here. Hi.", ["J. R. Smith is here. ", "Hi."]),
    ("I ends a sentence", "Neither do I. What now?", ["Neither do I. ", "What now?"]),
    ("ellipsis then lowercase", "Well... let me think. Ok.", ["Well... let me think. ", "Ok."]),
    ("ellipsis then capital", "Hmm... Let me see.", ["Hmm... ", "Let me see."]),
    ("unicode ellipsis", "Hmm… Let me see.", ["Hmm… ", "Let me see."]),
    ("ellipsis without space", "Wait…what? Ok.", ["Wait…what? ", "Ok."]),
    ("etc then capital", "Gin, rum, etc. Want one?", ["Gin, rum, etc. ", "Want one?"]),
    ("etc then lowercase", "Gin, rum, etc. and more.", ["Gin, rum, etc. and more."]),
    ("p.m. then capital", "Open till 2 a.m. See you!", ["Open till 2 a.m. ", "See you!"]),
    ("no space after mark", "Hi!Bye. Ok.", ["Hi!Bye. ", "Ok."]),
    ("version number", "Version 2.0 is out.", ["Version 2.0 is out."]),
    ("quote closes after mark", '"Cheers!" Then she left.', ['"Cheers!" ', "Then she left."]),
    ("quote then lowercase", '"Cheers!" she said. Then.', ['"Cheers!" she said. ', "Then."]),
    ("curly quote", "“Cheers!” Then.", ["“Cheers!” ", "Then."]),
    ("bracket", "(Only $5!) Great deal.", ["(Only $5!) ", "Great deal."]),
    ("bold", "**Great choice.** Anything else?", ["**Great choice.** ", "Anything else?"]),
    ("mark run", "Really?! Wow.", ["Really?! ", "Wow."]),
    ("digit after a sentence", "We have 2. 3 are gone.", ["We have 2. ", "3 are gone."]),
    ("line break", "Line one\nLine two", ["Line one\n", "Line two"]),
    ("paragraph", "Para one.\n\nPara two.", ["Para one.\n\n", "Para two."]),
    ("abbreviation at line end", "Ask Mr.\nSmith", ["Ask Mr.\n", "Smith"]),
    ("lowercase after a line break", "Gin\nrum", ["Gin\n", "rum"]),
    (
        "numbered list",
        "Options:\n1. Martini\n2. Daiquiri",
        ["Options:\n", "1. Martini\n", "2. Daiquiri"],
    ),
    ("number mid-line is not a list", "Take 1. More later.", ["Take 1. ", "More later."]),
    ("list-like number after a sentence", "Sure. 1. Martini", ["Sure. ", "1. ", "Martini"]),
    (
        "code block kept whole",
        "Code:\n```\nx = 1. Y = 2.\nz\n```\nDone. Ok.",
        ["Code:\n", "```\nx = 1. Y = 2.\nz\n```\n", "Done. ", "Ok."],
    ),
    ("tag", "[STATE: happy] Sure! Coming up.", ["[STATE: happy] Sure! ", "Coming up."]),
    ("leading spaces", "  Sure! Ok.", ["  Sure! ", "Ok."]),
    ("trailing spaces", "Sure!   ", ["Sure!   "]),
    ("empty", "", []),
    ("only spaces", "   ", ["   "]),
)


@pytest.mark.parametrize(("text", "pieces"), BOUNDARIES)
def test_sentence_boundaries(text: str, pieces: list[str]) -> None:
    assert _every_sentence(text) == pieces


@pytest.mark.parametrize(("text", "pieces"), BOUNDARIES)
def test_boundaries_hold_when_streamed_one_character_at_a_time(
    text: str, pieces: list[str]
) -> None:
    """Only the first piece may end early, at a plain sentence end; every later cut holds."""
    splitter = SentenceSplitter(first_min_chars=1, min_chars=1, max_chars=10_000)
    got = [piece for char in text for piece in splitter.feed(char)] + splitter.flush()
    assert "".join(got) == text
    if got != pieces:
        first_end = len(pieces[0])
        assert len(got[0]) <= first_end, got
        assert _may_end_early(got[0], 1), got
        assert {e for e in _ends(got) if e > first_end} == {
            e for e in _ends(pieces) if e > first_end
        }, got


SIZES = _cases(
    (
        "short first piece, later ones joined up to min_chars",
        "Sure! That's $12.50. Anything else for you tonight? Cheers.",
        ["Sure! ", "That's $12.50. Anything else for you tonight? ", "Cheers."],
    ),
    (
        "tag does not count towards the first piece",
        "[STATE: happy]\n\nHi! There you go, one Martini.",
        ["[STATE: happy]\n\nHi! ", "There you go, one Martini."],
    ),
    (
        "short last piece is still spoken",
        "One Martini coming right up for you. Ok?",
        ["One Martini coming right up for you. ", "Ok?"],
    ),
)


@pytest.mark.parametrize(("text", "pieces"), SIZES)
def test_default_sizes(text: str, pieces: list[str]) -> None:
    assert split_all(text) == pieces


def test_first_min_chars_joins_a_too_short_opening() -> None:
    text = "Sure! That's $12.50. Anything else?"
    assert split_all(text, first_min_chars=10, min_chars=1) == [
        "Sure! That's $12.50. ",
        "Anything else?",
    ]


def test_emotion_tag_alone_is_never_a_piece() -> None:
    assert split_all("[STATE: happy]\nHi!", first_min_chars=3, min_chars=1) == [
        "[STATE: happy]\nHi!"
    ]


def test_long_sentence_is_cut_at_the_last_clause_inside_max_chars() -> None:
    text = "Well, we have gin, rum and whisky; and vodka — if you like it, of course."
    pieces = split_all(text, first_min_chars=1, min_chars=1, max_chars=40)
    assert pieces == [
        "Well, we have gin, rum and whisky; ",
        "and vodka — if you like it, of course.",
    ]


def test_long_sentence_without_clauses_is_cut_between_words() -> None:
    text = "one two three four five six seven eight nine ten eleven twelve."
    pieces = split_all(text, first_min_chars=1, min_chars=1, max_chars=20)
    # "five six seven eight" would be 20 characters plus the space that starts at index 20
    assert pieces == ["one two three four ", "five six seven ", "eight nine ten ", "eleven twelve."]


def test_forced_cut_respects_min_chars() -> None:
    text = "a, b, the rest of this long clause goes on and on."
    pieces = split_all(text, first_min_chars=10, min_chars=10, max_chars=20)
    assert pieces[0] == "a, b, the rest of "
    assert "".join(pieces) == text


def test_list_number_after_a_joined_line_is_not_at_a_line_start() -> None:
    text = "Sure\nOk then. 1. Martini"
    assert split_all(text, first_min_chars=10, min_chars=1) == ["Sure\nOk then. ", "1. ", "Martini"]


def test_closing_quote_counts_towards_max_chars() -> None:
    text = '"Hi there, friend!" Then.'
    assert split_all(text, first_min_chars=1, min_chars=1, max_chars=19) == [
        '"Hi there, friend!" ',
        "Then.",
    ]
    assert split_all(text, first_min_chars=1, min_chars=1, max_chars=18) == [
        '"Hi there, ',
        'friend!" ',
        "Then.",
    ]


def test_word_without_spaces_is_never_cut() -> None:
    word = "x" * 100
    splitter = SentenceSplitter(first_min_chars=1, min_chars=1, max_chars=20)
    assert splitter.feed(word) == []
    assert splitter.flush() == [word]


def test_emotion_tag_is_not_cut_at_its_colon() -> None:
    text = "[STATE: thinking] " + "word " * 10
    pieces = split_all(text, first_min_chars=1, min_chars=1, max_chars=12)
    assert pieces[0].startswith("[STATE: thinking] ")


def test_code_block_longer_than_max_chars_stays_whole() -> None:
    code = "```\n" + "x = 1, y = 2; z. " * 10 + "\n```\n"
    pieces = split_all("Look:\n" + code + "Done.", first_min_chars=1, min_chars=1, max_chars=30)
    assert pieces == ["Look:\n", code, "Done."]


# --- streaming: pieces leave as soon as they are certain ------------------------------------


def test_a_later_sentence_leaves_when_the_next_character_arrives() -> None:
    splitter = SentenceSplitter(min_chars=1)
    assert splitter.feed("[STATE: happy] Sure") == []
    assert splitter.feed("!") == ["[STATE: happy] Sure!"]  # the first piece is guessed
    assert splitter.feed(" Coming up") == []
    assert splitter.feed("!") == []  # could still become 'up!"' or "up!?"
    assert splitter.feed(" What") == [" Coming up! "]
    assert splitter.pending == "What"


def test_a_period_at_the_end_of_the_buffer_waits() -> None:
    splitter = SentenceSplitter(first_min_chars=1, min_chars=1)
    assert splitter.feed("That's $12.") == []
    assert splitter.feed("50") == []
    assert splitter.feed(". Want") == ["That's $12.50. "]
    assert splitter.flush() == ["Want"]


def test_an_abbreviation_waits_for_the_next_word() -> None:
    splitter = SentenceSplitter(first_min_chars=1, min_chars=1)
    assert splitter.feed("Try the No. ") == []
    assert splitter.feed("5. It") == ["Try the No. 5. "]


def test_flush_resets_for_the_next_reply() -> None:
    splitter = SentenceSplitter(first_min_chars=1, min_chars=40)
    first = splitter.feed("Hi! One Martini. ") + splitter.flush()
    second = splitter.feed("Hi! One Martini. ") + splitter.flush()
    assert first == second == ["Hi! ", "One Martini. "]
    assert splitter.pending == ""


def test_pieces_stream_out_before_the_reply_ends() -> None:
    tokens = ["[STATE: happy]", " Sure", "!", " One", " Martini", ",", " dirty", ",", " with a",
              " twist", " —", " that", "'s", " $", "14", ".", "50", ".", " Want", " the", " No",
              ".", " 5", " too", "?", " It", "'s", " 20", "%", " off", " tonight", "."]  # fmt: skip
    splitter = SentenceSplitter()
    emitted_at = {}
    for index, token in enumerate(tokens):
        for piece in splitter.feed(token):
            emitted_at[piece] = index
    tail = splitter.flush()
    assert emitted_at == {
        "[STATE: happy] Sure!": tokens.index("!"),
        " One Martini, dirty, with a twist — that's $14.50. ": tokens.index(" Want"),
    }
    assert tail == ["Want the No. 5 too? It's 20% off tonight."]


# --- the reply's first piece leaves with the delta that plainly ends it ----------------------

FIRST_PIECE = _cases(
    (
        "a first sentence",
        "[STATE: happy] Coming right up, one gin and tonic for you.",
        ["[STATE: happy] Coming right up, one gin and tonic for you."],
    ),
    ("exclamation", "Sure!", ["Sure!"]),
    ("question", "Really?", ["Really?"]),
    ("mark run", "Really?!", ["Really?!"]),
    ("trailing space goes with it", "Thank you. ", ["Thank you. "]),
    ("trailing line breaks go with it", "Here you go!\n\n", ["Here you go!\n\n"]),
    ("I", "Neither do I.", ["Neither do I."]),
    ("price", "It's $12.", []),
    ("number", "1.", []),
    ("title", "Ask Mr.", []),
    ("number abbreviation", "No.", []),
    ("e.g.", "Sweet, e.g.", []),
    ("a.m.", "Open till 2 a.m.", []),
    ("initial", "J.", []),
    ("initial after a name", "Ask Michael J.", []),
    ("single lowercase letter", "Plan a.", []),
    ("word after a dot", "She has a B.Sc.", []),
    ("ellipsis", "Hmm...", []),
    ("two dots", "Hmm..", []),
    ("unicode ellipsis", "Wait…", []),
    ("mixed mark run", "Wait?.", []),
    ("etc", "wine, beer, etc.", []),
    ("et al", "Smith et al.", []),
    ("ca", "Aged ca.", []),
    ("approx", "It's approx.", []),
    ("closing quote", '"Cheers!"', []),
    ("closing bracket", "(on the house!)", []),
    ("emphasis", "**Great choice.**", []),
    ("in a code block", "```\ncode.\n", []),
    ("in brackets", "[Note: see here.", []),
    ("no sentence mark", "Coming right up", []),
)


@pytest.mark.parametrize(("delta", "pieces"), FIRST_PIECE)
def test_the_first_piece_leaves_with_the_delta_that_plainly_ends_it(
    delta: str, pieces: list[str]
) -> None:
    splitter = SentenceSplitter()
    assert splitter.feed(delta) == pieces
    assert splitter.pending == delta.removeprefix("".join(pieces))
    assert _may_end_early(delta, 1) == bool(pieces)  # the test's restatement agrees


def test_the_first_piece_still_needs_first_min_chars() -> None:
    splitter = SentenceSplitter(first_min_chars=6)
    assert splitter.feed("[STATE: happy] Hi!") == []  # the tag does not count
    assert splitter.feed(" Sure!") == ["[STATE: happy] Hi! Sure!"]


def test_only_the_first_piece_is_taken_early() -> None:
    splitter = SentenceSplitter(min_chars=1)
    assert splitter.feed("Sure! Second one is here.") == ["Sure! "]
    assert splitter.feed(" And") == ["Second one is here. "]
    assert splitter.flush() == ["And"]


def test_after_an_early_first_piece_a_line_start_is_known() -> None:
    """The early cut does the usual bookkeeping: "1." after it starts a list item."""
    splitter = SentenceSplitter(min_chars=1)
    assert splitter.feed("Here you go!\n") == ["Here you go!\n"]
    assert splitter.feed("1. Martini\n2") == ["1. Martini\n"]
    assert split_all("Here you go!\n1. Martini\n2", min_chars=1)[1] == "1. Martini\n"


@pytest.mark.parametrize(
    ("deltas", "pieces"),
    [
        pytest.param(["Hmm.", "..  Let me see."], ["Hmm.", "..  ", "Let me see."], id="ellipsis"),
        pytest.param(['"Cheers!', '" she said.'], ['"Cheers!', '" she said.'], id="quote"),
        pytest.param(["Sure!", " What'll it be?"], ["Sure!", " What'll it be?"], id="space"),
    ],
)
def test_a_wrong_early_guess_still_rebuilds_the_text_exactly(
    deltas: list[str], pieces: list[str]
) -> None:
    splitter = SentenceSplitter(min_chars=1)
    got = [piece for delta in deltas for piece in splitter.feed(delta)] + splitter.flush()
    assert got == pieces
    assert "".join(got) == "".join(deltas)


@pytest.mark.parametrize(
    ("kwargs"),
    [{"first_min_chars": -1}, {"min_chars": 300, "max_chars": 200}, {"max_chars": 0}],
)
def test_nonsense_sizes_are_refused(kwargs: dict[str, int]) -> None:
    with pytest.raises(ValueError):
        SentenceSplitter(**kwargs)


# --- realistic replies, through the splitter and then the cleaner ----------------------------

MAYA_REPLIES = _cases(
    (
        "order with modifiers",
        "[STATE: mixing] Sure! One Martini, dirty, with a twist — that's $14.50. "
        "Want the No. 5 too? It's 20% off tonight, e.g. with a splash of soda.",
        [
            "[STATE: mixing] Sure! ",
            "One Martini, dirty, with a twist — that's $14.50. ",
            "Want the No. 5 too? It's 20% off tonight, e.g. with a splash of soda.",
        ],
    ),
    (
        "bill as a list",
        "[STATE: happy] Here's your tab at MOK 5-ha:\n"
        "- Old Fashioned x2 — $26.00\n"
        "- Virgin Mojito — $7.50\n\n"
        "**Total: $33.50.** Cheers!",
        [
            "[STATE: happy] Here's your tab at MOK 5-ha:\n",
            "- Old Fashioned x2 — $26.00\n",
            "- Virgin Mojito — $7.50\n\n**Total: $33.50.** ",
            "Cheers!",
        ],
    ),
    (
        "thinking aloud",
        "[STATE: thinking] Hmm... something smoky? Mr. Lee swears by the Penicillin, "
        "i.e. Scotch, honey & ginger. It's $13... or $1,250 for the whole bottle, lol. "
        '"Cheers!" he always says.',
        [
            "[STATE: thinking] Hmm... something smoky? ",
            "Mr. Lee swears by the Penicillin, i.e. Scotch, honey & ginger. ",
            "It's $13... or $1,250 for the whole bottle, lol. ",
            '"Cheers!" he always says.',
        ],
    ),
)


@pytest.mark.parametrize(("text", "pieces"), MAYA_REPLIES)
def test_realistic_replies_split(text: str, pieces: list[str]) -> None:
    assert split_all(text) == pieces


@pytest.mark.parametrize(("text", "pieces"), MAYA_REPLIES)
def test_pieces_say_what_the_whole_reply_says(text: str, pieces: list[str]) -> None:
    """Cleaning piece by piece (as the pipeline does) must not change a single word."""
    spoken = [text_for_speech(piece) for piece in split_all(text)]
    assert " ".join(part for part in spoken if part) == text_for_speech(text)


# --- properties over random texts and random chunkings ---------------------------------------

FRAGMENTS = (
    "Sure!", "Hi.", "One", "Martini", "dirty,", "with a twist", "—", "that's", "$12.50", "$12.",
    "e.g. a Martini", "i.e. Neat", "Mr. Smith", "Mrs. Jones", "Dr. Pepper", "St. Germain",
    "No. 5", "No.", "vs. Rum", "3.5", "Well... maybe", "Wait…what", "Hmm…", "Ok...",
    '"Cheers!" she said', '"Cheers!"', "(on the house!)", "**Bold.**", "Really?!", "etc.",
    "\n", "\n\n", "\n1. Martini", "- item", "[STATE: happy]", "```", "20%", "x2", "I.",
    "a", "long", "word", "and", "Then", "what?", ";", ":", "’", "J.", "\t",
)  # fmt: skip
PROTECTED = (
    "$12.50", "e.g. a Martini", "i.e. Neat", "Mr. Smith", "Mrs. Jones", "Dr. Pepper",
    "St. Germain", "No. 5", "vs. Rum", "3.5", "Well... maybe", "Wait…what", '"Cheers!" she said',
    "1. Martini",
)  # fmt: skip
CONFIGS = (
    {"first_min_chars": 1, "min_chars": 24, "max_chars": 220},
    {"first_min_chars": 1, "min_chars": 1, "max_chars": 10_000},
    {"first_min_chars": 12, "min_chars": 8, "max_chars": 30},
    {"first_min_chars": 0, "min_chars": 0, "max_chars": 5},
)
SEEDS = range(60)


def _random_text(rng: random.Random) -> tuple[str, list[tuple[int, int]]]:
    """A text of tricky fragments, and the spans of those that must never be cut inside."""
    text = ""
    spans = []
    for _ in range(rng.randint(0, 40)):
        fragment = rng.choice(FRAGMENTS)
        start = len(text) + (1 if fragment.startswith("\n") else 0)
        text += fragment
        if fragment.strip() in PROTECTED:
            spans.append((start, len(text)))
        text += rng.choice((" ", " ", " ", "  ", "\n"))
    return text, spans


def _random_chunks(rng: random.Random, text: str) -> list[str]:
    cuts = sorted(rng.randint(0, len(text)) for _ in range(rng.randint(0, len(text) + 2)))
    bounds = [0, *cuts, len(text)]
    return [text[a:b] for a, b in itertools.pairwise(bounds)]


def _stream(chunks: list[str], config: dict[str, int]) -> list[str]:
    splitter = SentenceSplitter(**config)
    pieces = [piece for chunk in chunks for piece in splitter.feed(chunk)]
    return pieces + splitter.flush()


def _streamed_early(text: str, chunks: list[str], config: dict[str, int]) -> bool:
    """Check a chunked stream against the whole text; True when its first piece ended early.

    Either the pieces are the whole text's, or the first one ended where a delta ended, at a
    plain sentence end, and everything after it is what that first piece and the rest of the
    text give at once (the chunking mattered for the first cut only).
    """
    context = f"text={text!r} chunks={chunks!r}"
    streamed = _stream(chunks, config)
    assert "".join(streamed) == text, context
    if streamed == split_all(text, **config):
        return False
    first = streamed[0]
    assert len(first) in _ends(chunks), context
    assert _may_end_early(first, config["first_min_chars"]), context
    assert _stream([first, text[len(first) :]], config) == streamed, context
    return True


@pytest.mark.parametrize("config", CONFIGS, ids=lambda c: "-".join(map(str, c.values())))
@pytest.mark.parametrize("seed", SEEDS)
def test_pieces_rebuild_the_text_whatever_the_chunking(seed: int, config: dict[str, int]) -> None:
    rng = random.Random(seed)
    text, _ = _random_text(rng)
    whole = split_all(text, **config)
    assert "".join(whole) == text
    assert all(whole), "no empty pieces"
    for _ in range(5):
        _streamed_early(text, _random_chunks(rng, text), config)


def test_the_random_chunkings_do_end_first_pieces_early() -> None:
    """Guards the property above from passing on chunkings that never take the early cut."""
    early = total = 0
    for seed, config in itertools.product(SEEDS, CONFIGS):
        rng = random.Random(seed)
        text, _ = _random_text(rng)
        for _ in range(5):
            early += _streamed_early(text, _random_chunks(rng, text), config)
            total += 1
    assert total // 10 < early < total - total // 10, (early, total)


@pytest.mark.parametrize("seed", SEEDS)
def test_protected_spans_are_never_cut(seed: int) -> None:
    rng = random.Random(1000 + seed)
    text, spans = _random_text(rng)
    pieces = _every_sentence(text)
    cuts = {sum(map(len, pieces[: index + 1])) for index in range(len(pieces))}
    for start, end in spans:
        inside = [cut for cut in cuts if start < cut < end]
        assert not inside, f"cut inside {text[start:end]!r} of {text!r}: {pieces!r}"


def test_the_random_texts_do_get_cut() -> None:
    """Guards the properties above from passing on texts that never split at all."""
    counts = [len(_every_sentence(_random_text(random.Random(1000 + s))[0])) for s in SEEDS]
    assert sum(counts) > 5 * len(SEEDS)


WORDS = ("gin", "rum", "whisky,", "and", "the", "dirty", "Martini.", "Sure!", "then;", "a —",
         "$12.50", "e.g.", "No. 5", "twist?", "[STATE: happy]", "\n", "ice...",
         '"Cheers!"', "(rocks.)")  # fmt: skip


@pytest.mark.parametrize("seed", SEEDS)
def test_pieces_fit_max_chars_when_text_has_spaces(seed: int) -> None:
    rng = random.Random(2000 + seed)
    text = " ".join(rng.choice(WORDS) for _ in range(rng.randint(0, 80)))
    pieces = split_all(text, first_min_chars=1, min_chars=10, max_chars=40)
    assert "".join(pieces) == text
    assert max(map(_weight, pieces), default=0) <= 40, pieces
