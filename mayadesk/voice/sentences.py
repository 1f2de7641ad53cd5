"""Cut Maya's streamed reply into pieces a voice can start speaking at once.

Maya is heard while she writes: each piece goes to the voice as soon as it is a complete
sentence, so the first sentence's audio starts while the model is still producing the second.
A cut in the wrong place is heard (a voice that drops its pitch at "$12." of "$12.50" sounds
broken), a cut too late is felt as latency, so the rules below lean towards *not* cutting when
a period is ambiguous: a longer piece costs little, a false sentence end is audible.

Guarantees, proven by property tests:

- The pieces, concatenated, are exactly the input (spaces included): Cartesia joins the
  transcripts of one context exactly as sent, and "what was already spoken" stays computable
  when a voice fails mid-reply and the next one takes over.
- The pieces do not depend on how the text was chunked, with one deliberate exception: the
  reply's first piece may end where a delta ends, when the text so far ends a sentence with a
  plain word ("Sure!", "Coming right up."). Why: waiting for the next character there costs a
  whole streamed chunk before any audio starts, and one chunk of real Gemini is 50-200 ms. The
  rare wrong guess (a quote closing after 'Sure!', an ellipsis growing out of "Hmm.") costs a
  slightly early pitch drop, never lost or repeated text. Everything after the first cut is
  again a function of the text alone: a cut is made only when the text that could still
  arrive can no longer change it. That is why any other sentence end at the very end of the
  buffer waits for the next character: "$12." may become "$12.50", "Mr." is followed by a
  name.

Where a sentence ends: a run of ``.`` ``!`` ``?`` ``…``, then any closing quotes, brackets or
emphasis marks, then whitespace, then a character that is not a lowercase letter — or any line
break. Not a sentence end:

- no whitespace after the mark: "$12.50", "3.5", "e.g.x", the first dots of "...";
- a lowercase word next: '"Cheers!" she said.', "Well... let me think", "etc. and more";
- "Mr.", "Mrs.", "Ms.", "Dr.", "St.", "Prof.", "Jr.", "Sr.", "vs.", "e.g.", "i.e.", "cf.",
  "approx.", "incl." before anything, and "No.", "Nos.", "Vol.", "pp." before a digit ("No. 5");
- a single capital letter other than "I" (an initial: "J. Smith"), and "1." at the start of
  a line (a numbered list);
- anything inside a fenced code block (the whole block stays in one piece for the cleaner).

An ellipsis followed by a capitalised word *does* end a sentence ("Hmm... Let me see."): that
is how it is written when the thought changes, and the voice should drop its pitch there.

The reply's first piece is taken at the end of a delta, before the next character is seen,
when the text so far ends with ``!`` / ``?`` (any run of them, "?!") or a single ``.`` right
after a letter, then at most whitespace (which goes with the piece), and is long enough for
``first_min_chars``. For a ``.`` the word before it must also be a plain word: at least two
letters, or "I", not after another ``.``. Not taken early, so they wait as everywhere else:

- a digit before the mark ("$12." may be "$12.50", "1." may start a list);
- an abbreviation from the lists above ("Mr.", "No.", "e.g.", "a.m."), an initial ("J."), or
  a word usually followed by more of the sentence ("etc.", "et al.", "ca.");
- "..", "...", "…" (an ellipsis is often followed by lowercase), closing quotes, brackets or
  emphasis after the mark ('"Cheers!"' may go on with "she said");
- a mark inside a code block or inside ``[…]``.

Sizes: a sentence shorter than ``min_chars`` (``first_min_chars`` for the first piece, so a
quick "Sure!" starts the audio) is joined with the next one. When no sentence ends within
``max_chars``, the piece is cut at the last clause mark (``,`` ``;`` ``:`` or a dash followed by
whitespace) inside that window, else at the last space, else at the first space after it —
never inside ``[…]`` (the emotion tag) or a code block, never inside a word. The window counts
characters from the piece's start; minimum lengths ignore whitespace and the emotion tag. Such
a forced cut between words may fall after "Mr." or "e.g.": it only happens to a sentence longer
than ``max_chars`` with no clause mark, where any cut is a compromise.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right

from mayadesk.voice.speech_text import STATE_TAG

__all__ = ["SentenceSplitter", "split_all"]

_SENTENCE_MARK = re.compile(r"[.!?…]+|\n")
_CLAUSE_MARK = re.compile(r"[,;:](?=\s)|\s[-–—](?=\s)|[–—]")
_SPACE = re.compile(r"\s+")
_CLOSERS = frozenset("\"'”’»)]}*_")
_FENCES = ("```", "~~~")

_ALWAYS_ABBREVIATIONS = frozenset(
    {"mr", "mrs", "ms", "mx", "dr", "prof", "st", "jr", "sr", "vs", "e.g", "i.e", "cf",
     "approx", "incl", "esp", "viz"}
)  # fmt: skip
_NUMBER_ABBREVIATIONS = frozenset({"no", "nos", "vol", "pp", "nr", "fig"})
# Words whose period is more often mid-sentence than final ("etc. and more", "et al. found"):
# fine to cut after once the next word shows a capital, too risky to guess before it.
_MID_SENTENCE_WORDS = frozenset({"etc", "al", "ca", "approx"})

_UNDECIDED = -1
_NOT_A_CUT = -2


def _weight(piece: str) -> int:
    """Length as heard: the emotion tag and surrounding whitespace say nothing."""
    return len(STATE_TAG.sub("", piece).strip())


def _skip_space(text: str, start: int) -> int:
    end = start
    while end < len(text) and text[end].isspace():
        end += 1
    return end


def _skip_closers(text: str, start: int) -> int:
    end = start
    while end < len(text) and text[end] in _CLOSERS:
        end += 1
    return end


def _ends_plainly(text: str, start: int, end: int) -> bool:
    """Whether the marks ``text[start:end]`` end a sentence in a way rarely continued.

    That is "!", "?" or "?!" after a letter, or one "." after a plain word: the ends the
    reply's first piece may be cut at before the next character shows they really are ends.
    """
    run = text[start:end]
    if not run or not (set(run) <= {"!", "?"} or run == "."):
        return False
    word_start = start
    while word_start > 0 and text[word_start - 1].isalpha():
        word_start -= 1
    word = text[word_start:start]
    if not word:
        return False  # a digit ("$12.", "1."), a closing bracket or quote, or nothing
    if run != ".":
        return True
    if len(word) < 2 and word != "I":
        return False  # "J." is an initial, "m." the end of "a.m."
    if word_start > 0 and text[word_start - 1] == ".":
        return False  # "e.g.", "i.e.", "U.S."
    # The next character is unknown: it may be the digit after "No.".
    return not _listed_abbreviation(word, "0") and word.lower() not in _MID_SENTENCE_WORDS


def _listed_abbreviation(word: str, following: str) -> bool:
    """Whether `word` before a "." is one of the listed abbreviations, given the next
    character ("No." only counts before a number)."""
    lower = word.lower()
    return lower in _ALWAYS_ABBREVIATIONS or (
        lower in _NUMBER_ABBREVIATIONS and following.isdigit()
    )


class _Layout:
    """Where code fences and brackets sit in one buffer, so each lookup is a bisection.

    Counting fences from the start for every candidate made a long code block quadratic per
    delta; this is built once per look at the buffer instead.
    """

    def __init__(self, text: str) -> None:
        self._fences = {fence: _positions(text, fence) for fence in _FENCES}
        self._opens = _positions(text, "[")
        self._closes = _positions(text, "]")

    def in_code(self, index: int) -> bool:
        """True inside a fenced block; a fence counts only once all of it is before ``index``."""
        return any(
            bisect_right(starts, index - len(fence)) % 2 for fence, starts in self._fences.items()
        )

    def code_end(self, index: int) -> int | None:
        """End of the fence closing the block around ``index``; None while it is unclosed."""
        end = index
        for fence, starts in self._fences.items():
            before = bisect_right(starts, index - len(fence))
            if before % 2:
                if before == len(starts):
                    return None
                end = max(end, starts[before] + len(fence))
        return end

    def in_brackets(self, index: int) -> bool:
        """Inside ``[STATE: …]`` or a link's text, where a cut would break the cleaner."""
        opened = bisect_left(self._opens, index)
        closed = bisect_left(self._closes, index)
        last_open = self._opens[opened - 1] if opened else -1
        last_close = self._closes[closed - 1] if closed else -1
        return last_open > last_close


def _positions(text: str, needle: str) -> list[int]:
    """Starts of the non-overlapping occurrences, as ``str.count`` sees them."""
    return [match.start() for match in re.finditer(re.escape(needle), text)]


class SentenceSplitter:
    """Feed it text deltas as they stream in; it hands back pieces ready for a voice.

    One splitter serves one reply. ``flush()`` ends the reply and resets the splitter, so it
    may be reused for the next one.
    """

    def __init__(self, first_min_chars: int = 1, min_chars: int = 24, max_chars: int = 220) -> None:
        if not 0 <= first_min_chars <= max_chars or not 0 <= min_chars <= max_chars:
            raise ValueError("need 0 <= first_min_chars, min_chars <= max_chars")
        if max_chars < 1:
            raise ValueError("max_chars must be positive")
        self._first_min = first_min_chars
        self._min = min_chars
        self._max = max_chars
        self._reset()

    def _reset(self) -> None:
        self._buffer = ""
        self._first = True
        self._at_line_start = True
        # Sentence marks before this index were rejected for good (decisions never change as
        # text arrives), so the next look at the buffer starts here.
        self._resume = 0

    @property
    def pending(self) -> str:
        """Text received but not yet handed out (what a fallback voice must still say)."""
        return self._buffer

    def feed(self, delta: str) -> list[str]:
        """Add streamed text; return the pieces that became complete (often none)."""
        self._buffer += delta
        return self._drain(final=False)

    def flush(self) -> list[str]:
        """The reply is complete: return everything still held, cut by the same rules."""
        pieces = self._drain(final=True)
        self._reset()
        return pieces

    def _drain(self, *, final: bool) -> list[str]:
        pieces: list[str] = []
        while self._buffer:
            cut = self._next_cut(self._buffer, final)
            if cut is None and self._first and not final:
                cut = self._eager_first_cut(self._buffer)
            if cut is None:
                break
            piece, self._buffer = self._buffer[:cut], self._buffer[cut:]
            pieces.append(piece)
            self._first = False  # only the reply's last piece can be blank, so this is exact
            self._resume = 0
            newline = piece.rfind("\n")
            if newline >= 0:
                self._at_line_start = not piece[newline + 1 :].strip()
            elif piece.strip():
                self._at_line_start = False
        return pieces

    def _next_cut(self, text: str, final: bool) -> int | None:
        """End of the next piece, or None while text still to come could move it."""
        minimum = max(1, self._first_min if self._first else self._min)
        layout = _Layout(text)
        for mark in _SENTENCE_MARK.finditer(text, self._resume):
            content_end = mark.start() if mark[0] == "\n" else mark.end()
            if content_end > self._max:
                break
            if layout.in_code(mark.start()):
                self._resume = mark.end()
                continue
            cut = self._sentence_cut(text, mark, final)
            if cut == _UNDECIDED:
                self._resume = mark.start()
                return None
            if cut != _NOT_A_CUT:
                if mark[0] != "\n" and _skip_closers(text, mark.end()) > self._max:
                    break  # '"…!"' whose closing quote falls outside the window
                if _weight(text[:cut]) >= minimum:
                    return cut
            self._resume = mark.end()
        if len(text) <= self._max:
            return len(text) if final else None
        return self._forced_cut(text, layout, final, minimum)

    def _sentence_cut(self, text: str, mark: re.Match[str], final: bool) -> int:
        """Where a piece ending at this mark would end (after its whitespace), if it is one."""
        end = len(text)
        space_start = mark.start()
        if mark[0] != "\n":
            space_start = _skip_closers(text, mark.end())
            if space_start == end:
                return end if final else _UNDECIDED
            if not text[space_start].isspace():
                return _NOT_A_CUT
        cut = _skip_space(text, space_start)
        if cut == end:
            return end if final else _UNDECIDED
        if "\n" in text[space_start:cut]:
            return cut
        following = text[cut]
        if following.islower():
            return _NOT_A_CUT
        if mark[0] == "." and self._is_abbreviation(text, mark.start(), following):
            return _NOT_A_CUT
        return cut

    def _is_abbreviation(self, text: str, dot: int, following: str) -> bool:
        start = dot
        while start > 0 and (text[start - 1].isalnum() or text[start - 1] == "."):
            start -= 1
        token = text[start:dot].lstrip(".")
        if _listed_abbreviation(token, following):
            return True
        if len(token) == 1 and token.isupper() and token != "I":
            return True
        return token.isdigit() and self._starts_line(text, start)

    def _eager_first_cut(self, text: str) -> int | None:
        """The whole buffer, when it plainly ends the reply's first sentence; else None.

        Only asked when the usual rules wait for the next character. Guessing here buys the
        first audio one streamed chunk earlier; the guess is limited to ends that are
        rarely continued, since a wrong one is heard as an early drop of the voice's pitch.
        """
        mark_end = len(text.rstrip())
        mark_start = mark_end
        while mark_start > 0 and text[mark_start - 1] in ".!?…":
            mark_start -= 1
        if not _ends_plainly(text, mark_start, mark_end):
            return None
        layout = _Layout(text)
        if layout.in_code(mark_start) or layout.in_brackets(mark_start):
            return None
        if _weight(text) < max(1, self._first_min):
            return None
        return len(text)

    def _starts_line(self, text: str, index: int) -> bool:
        newline = text.rfind("\n", 0, index)
        if text[newline + 1 : index].strip():
            return False
        return newline >= 0 or self._at_line_start

    def _forced_cut(self, text: str, layout: _Layout, final: bool, minimum: int) -> int | None:
        """No sentence ends within max_chars: cut at a clause, else between words."""
        best: int | None = None
        for mark in _CLAUSE_MARK.finditer(text, 0, self._max + 1):
            if mark.end() - 1 >= self._max:
                break
            if layout.in_code(mark.start()) or layout.in_brackets(mark.start()):
                continue
            cut = _skip_space(text, mark.end())
            if cut == len(text) and not final:
                return None
            if _weight(text[:cut]) >= minimum:
                best = cut
        if best is not None:
            return best
        position = 0
        while space := _SPACE.search(text, position):
            position = space.end()
            if space.start() >= self._max and best is not None:
                return best
            if layout.in_code(space.start()):
                code_end = layout.code_end(space.start())
                if code_end is None:  # every later space is code (a fence closing inside
                    break  # the window would already be in the buffer, which is past it)
                position = max(position, code_end)
                continue
            if layout.in_brackets(space.start()):
                continue
            if space.end() == len(text) and not final:
                return None
            if _weight(text[: space.end()]) < minimum:
                continue
            if space.start() >= self._max:
                return space.end()
            best = space.end()
        if best is not None:
            return best
        return len(text) if final else None


def split_all(
    text: str, first_min_chars: int = 1, min_chars: int = 24, max_chars: int = 220
) -> list[str]:
    """Split a whole text at once, exactly as it would be split when streamed."""
    splitter = SentenceSplitter(first_min_chars, min_chars, max_chars)
    return splitter.feed(text) + splitter.flush()
