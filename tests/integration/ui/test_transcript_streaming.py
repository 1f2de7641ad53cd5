"""A streamed reply looks exactly as if it had been drawn whole, delta after delta.

The transcript appends most deltas as plain text instead of redrawing the reply (see
`TranscriptView.append_reply`); these tests hold that shortcut to the full drawing.
"""

from __future__ import annotations

from collections.abc import Callable
from itertools import accumulate

import pytest
from pytestqt.qtbot import QtBot

from mayadesk.ui.transcript_view import TranscriptView

# Markdown that opens in one delta and closes in another, a closed italic that a following
# letter un-italicises, entities, a line break, a lone asterisk and a code span.
DELTAS = [
    "Oh, ", "you ", "came ", "to ", "the ", "**Ne", "groni**", " is ", "*fruity*", "s ",
    "and ", "*fresh*", ", ", "don't ", "say ", "<no> ", "& ", "worry\nnew ", "line, ",
    "2 * 3 ", "is ", "`six", "` ", "**x**", "!",
]

Run = tuple[str, int, bool, tuple[str, ...]]


def runs(view: TranscriptView) -> list[Run]:
    """The document's text in runs of one look: (text, weight, italic, font families)."""
    found: list[Run] = []
    block = view.document().begin()
    while block.isValid():
        fragments = block.begin()
        while not fragments.atEnd():
            fragment = fragments.fragment()
            fmt = fragment.charFormat()
            look = (fmt.fontWeight(), fmt.fontItalic(), tuple(fmt.fontFamilies() or ()))
            if found and found[-1][1:] == look:
                found[-1] = (found[-1][0] + fragment.text(), *look)
            else:
                found.append((fragment.text(), *look))
            fragments += 1
        found.append(("¶", 0, False, ()))
        block = block.next()
    return found


ViewMaker = Callable[..., TranscriptView]


@pytest.fixture
def make_view(qtbot: QtBot) -> ViewMaker:
    def make(*, shown: bool = True) -> TranscriptView:
        view = TranscriptView()
        qtbot.addWidget(view)
        if shown:
            view.show()
        return view

    return make


def test_every_prefix_of_a_stream_looks_as_if_drawn_whole(make_view: ViewMaker) -> None:
    streamed = make_view()
    streamed.begin_reply()
    for delta, so_far in zip(DELTAS, accumulate(DELTAS), strict=True):
        streamed.append_reply(delta)
        whole = make_view()
        whole.begin_reply()
        whole.append_reply(so_far)
        assert streamed.toPlainText() == whole.toPlainText(), so_far
        assert runs(streamed) == runs(whole), so_far
    assert "Negroni is *fruity*s and fresh, don't say <no> & worry" in streamed.toPlainText()


def test_plain_deltas_are_appended_not_redrawn(
    make_view: ViewMaker, monkeypatch: pytest.MonkeyPatch
) -> None:
    view = make_view()
    redraws = 0
    render = view._render_live

    def counting_render() -> None:
        nonlocal redraws
        redraws += 1
        render()

    monkeypatch.setattr(view, "_render_live", counting_render)
    view.begin_reply()
    for word in ["Well, "] + ["what a lovely evening for a drink "] * 50:
        view.append_reply(word)

    assert redraws == 2, "the typing line, then the first words; the rest is appended"
    view.finish_reply(view.live_text)
    assert view.toPlainText().count("lovely evening") == 50
    assert "typing" not in view.toPlainText()


def test_a_hidden_view_draws_its_stream_a_moment_later_or_when_shown(
    make_view: ViewMaker, qtbot: QtBot
) -> None:
    view = make_view(shown=False)
    view.begin_reply()
    view.append_reply("Hello ")
    view.append_reply("there")

    assert view.live_text == "Hello there"
    assert "Hello" not in view.toPlainText(), "gathered while hidden, not drawn per token"
    qtbot.waitUntil(lambda: "Maya: Hello there" in view.toPlainText(), timeout=2000)

    view.append_reply(", **friend**")
    view.show()
    assert "Maya: Hello there, friend" in view.toPlainText(), "drawn as soon as shown"

    view.hide()
    view.append_reply(" and welcome")
    view.finish_reply(view.live_text)
    assert "Maya: Hello there, friend and welcome" in view.toPlainText()
    assert view.toPlainText().count("Hello") == 1
