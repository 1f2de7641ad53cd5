"""The `[STATE: ...]` tag parser: whatever the chunking, the tag never shows, text never waits."""

from __future__ import annotations

import pytest

from mayadesk.llm.emotion import Emotion, EmotionParser, parse_emotion, split_tag


def run(*deltas: str) -> tuple[Emotion | None, list[str]]:
    parser = EmotionParser()
    out = [parser.feed(d) for d in deltas]
    out.append(parser.finish())
    return parser.emotion, out


@pytest.mark.parametrize("emotion", list(Emotion))
def test_every_emotion_is_read_and_the_tag_is_stripped(emotion: Emotion) -> None:
    assert split_tag(f"[STATE: {emotion.value}] Hello there.") == (emotion, "Hello there.")


def test_a_tag_split_into_single_characters_is_still_read() -> None:
    text = "[STATE: mixing] Coming up!"
    emotion, out = run(*text)
    assert emotion is Emotion.MIXING
    assert "".join(out) == "Coming up!"
    assert out[: len("[STATE: mixing] ")] == [""] * len("[STATE: mixing] ")


def test_text_after_the_tag_flows_as_it_arrives() -> None:
    parser = EmotionParser()
    assert parser.feed("[STATE: happy]") == ""
    assert parser.emotion is Emotion.HAPPY
    assert parser.feed("  ") == ""  # whitespace between tag and text is dropped
    assert parser.feed(" Hi") == "Hi"
    assert parser.feed(" there") == " there"


def test_leading_whitespace_before_the_tag_is_tolerated() -> None:
    assert split_tag("\n  [STATE: thinking] Hmm.") == (Emotion.THINKING, "Hmm.")


def test_a_reply_without_a_tag_is_shown_unchanged_and_at_once() -> None:
    parser = EmotionParser()
    assert parser.feed("Hello") == "Hello"  # no withholding: it cannot be a tag
    assert parser.decided
    assert parser.emotion is None
    assert parser.feed(" [STATE: happy]") == " [STATE: happy]"  # only a leading tag counts


def test_an_unknown_emotion_is_neutral_and_its_tag_still_hidden() -> None:
    assert split_tag("[STATE: ecstatic] Wow!") == (Emotion.NEUTRAL, "Wow!")
    assert parse_emotion("  HAPPY ") is Emotion.HAPPY


@pytest.mark.parametrize(
    "text",
    ["[state:happy] Hi", "[STATE happy] Hi", "[ State :  Happy ] Hi", "[STATE: HAPPY]Hi"],
)
def test_harmless_variations_of_the_tag_are_accepted(text: str) -> None:
    assert split_tag(text) == (Emotion.HAPPY, "Hi")


@pytest.mark.parametrize(
    "text",
    ["[STATUS: happy] Hi", "[Note] the bar opens at six", "[STATE: happy", "[STATE: happy!] Hi"],
)
def test_a_malformed_tag_leaves_the_text_unchanged(text: str) -> None:
    assert split_tag(text) == (None, text)


def test_a_bracket_that_never_becomes_a_tag_is_released_before_the_end() -> None:
    parser = EmotionParser()
    assert parser.feed("[") == ""
    assert parser.feed("STATE: ") == ""
    long_word = "x" * 60
    assert parser.feed(long_word) == "[STATE: " + long_word


def test_an_empty_reply_stays_empty() -> None:
    assert run("", "  ") == (None, ["", "", ""])
