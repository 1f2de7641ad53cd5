"""Reading Maya's `[STATE: <emotion>]` tag off the front of a streaming reply.

The tag drives the avatar and must never be shown or spoken, yet the reply streams in
arbitrary pieces: the tag can arrive split ("[STA", "TE: hap", "py] Hi"), late, malformed,
or not at all. The parser withholds only as long as the text could still turn out to be a
tag, then lets everything through unchanged. It never waits for more than a short prefix,
so a reply without a tag streams with no visible delay.
"""

from __future__ import annotations

import re

from mayadesk.sessions.history import Emotion

__all__ = ["Emotion", "EmotionParser", "parse_emotion", "split_tag"]

# "[STATE: happy]", lenient about case, spacing and a forgotten colon.
_TAG = re.compile(r"\[\s*state\s*:?\s*([a-z_\-]*)\s*\]", re.IGNORECASE)
# Anything that could still grow into such a tag.
_PARTIAL = re.compile(
    r"\[\s*(?:s(?:t(?:a(?:t(?:e(?:\s*:?\s*[a-z_\-]*\s*)?)?)?)?)?)?",
    re.IGNORECASE,
)
_MAX_TAG = 48  # longer than any real tag; past this, it is text that merely starts with "["


def parse_emotion(name: str) -> Emotion:
    """The emotion a tag names; anything unknown is neutral."""
    try:
        return Emotion(name.strip().lower())
    except ValueError:
        return Emotion.NEUTRAL


def split_tag(text: str) -> tuple[Emotion | None, str]:
    """Split a whole reply into its tag's emotion (None without a tag) and its visible text."""
    parser = EmotionParser()
    visible = parser.feed(text) + parser.finish()
    return parser.emotion, visible


class EmotionParser:
    """Feed a reply's text deltas in order; get back the visible part of each.

    `emotion` is None until a tag has been read (and stays None for a reply without one;
    the caller decides what "no tag" means, normally neutral). Leading whitespace of the
    reply is dropped, as is whitespace between the tag and the text.
    """

    def __init__(self) -> None:
        self.emotion: Emotion | None = None
        self._pending = ""
        self._decided = False
        self._at_start = True  # still dropping leading whitespace

    @property
    def decided(self) -> bool:
        """Whether the tag question is settled (tag read, or known not to be there)."""
        return self._decided

    def feed(self, delta: str) -> str:
        if self._decided:
            return self._visible(delta)
        self._pending += delta
        head = self._pending.lstrip()
        if not head:
            return ""
        match = _TAG.match(head)
        if match:
            self.emotion = parse_emotion(match.group(1))
            return self._settle(head[match.end() :])
        if len(head) < _MAX_TAG and _PARTIAL.fullmatch(head):
            return ""  # could still be a tag: wait for more
        return self._settle(head)

    def finish(self) -> str:
        """The end of the reply: release whatever was withheld (a tag that never closed)."""
        if self._decided:
            return ""
        return self._settle(self._pending.lstrip())

    def _settle(self, rest: str) -> str:
        self._decided = True
        self._pending = ""
        return self._visible(rest)

    def _visible(self, text: str) -> str:
        if self._at_start:
            text = text.lstrip()
            if text:
                self._at_start = False
        return text
