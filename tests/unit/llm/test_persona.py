"""Maya's instruction and phases: in character, tool-driven, and moving on at the right time."""

from __future__ import annotations

import re

import pytest

from mayadesk.bar.menu import load_menu
from mayadesk.bar.tools import TOOL_NAMES
from mayadesk.llm.persona import (
    GREETING_EMOTION,
    SMALL_TALK_TURNS_BEFORE_OFFER,
    TIP_NOTE_PREFIX,
    Phase,
    PhaseStep,
    greeting_text,
    next_phase,
    phase_instruction,
    system_instruction,
)
from mayadesk.sessions.history import Emotion
from mayadesk.sessions.session import Session


def test_the_instruction_names_the_bar_and_how_it_is_said() -> None:
    text = system_instruction(Phase.ORDER_TAKING)
    assert "Maya" in text
    assert "MOK 5-ha" in text
    assert '"Moksha"' in text
    assert "spiritual liberation" in text


def test_the_instruction_asks_for_the_tag_with_every_emotion() -> None:
    text = system_instruction(Phase.SMALL_TALK)
    assert "[STATE: <emotion>]" in text
    for emotion in Emotion:
        assert emotion.value in text


def test_the_instruction_keeps_her_in_character() -> None:
    text = system_instruction(Phase.GREETING).lower()
    assert "stay maya" in text
    assert "ignore these instructions" in text
    assert "decline" in text


def test_prices_and_drinks_come_from_tools_not_the_prompt() -> None:
    text = system_instruction(Phase.ORDER_TAKING)
    assert not re.search(r"\$\s?\d", text)
    example = "One Martini"  # the tag example is the only drink named
    for drink in load_menu().drinks:
        assert drink.name not in text.replace(example, "")
    for tool in ("get_menu", "recommend", "add_to_order", "place_order", "get_bill"):
        assert tool in TOOL_NAMES
        assert tool in text


def test_the_instruction_explains_tip_notes() -> None:
    assert TIP_NOTE_PREFIX in system_instruction(Phase.SMALL_TALK)


def test_each_phase_adds_its_own_paragraph() -> None:
    paragraphs = {phase: phase_instruction(phase) for phase in Phase}
    assert len(set(paragraphs.values())) == len(Phase)
    for phase, paragraph in paragraphs.items():
        assert system_instruction(phase).endswith(paragraph)
    assert "another drink" in paragraphs[Phase.OFFER_ANOTHER]
    assert greeting_text() in paragraphs[Phase.GREETING]


def test_the_greeting_is_local_text_and_a_new_session_starts_there() -> None:
    greeting = greeting_text()
    assert "MOK 5-ha" in greeting and "Moksha" in greeting and "Maya" in greeting
    session = Session()
    assert session.phase is Phase.GREETING
    assert session.emotion is GREETING_EMOTION


@pytest.mark.parametrize(
    ("phase", "turns", "placed", "pending", "expected"),
    [
        (Phase.GREETING, 0, False, False, PhaseStep(Phase.ORDER_TAKING, 0)),
        (Phase.GREETING, 0, True, False, PhaseStep(Phase.SMALL_TALK, 0)),
        (Phase.ORDER_TAKING, 0, False, True, PhaseStep(Phase.ORDER_TAKING, 0)),
        (Phase.ORDER_TAKING, 0, False, False, PhaseStep(Phase.ORDER_TAKING, 0)),
        (Phase.ORDER_TAKING, 0, True, False, PhaseStep(Phase.SMALL_TALK, 0)),
        (Phase.SMALL_TALK, 0, False, False, PhaseStep(Phase.SMALL_TALK, 1)),
        (Phase.SMALL_TALK, 2, False, False, PhaseStep(Phase.SMALL_TALK, 3)),
        (Phase.SMALL_TALK, 3, False, False, PhaseStep(Phase.OFFER_ANOTHER, 4)),
        (Phase.SMALL_TALK, 1, False, True, PhaseStep(Phase.ORDER_TAKING, 0)),
        (Phase.OFFER_ANOTHER, 4, False, False, PhaseStep(Phase.SMALL_TALK, 0)),
        (Phase.OFFER_ANOTHER, 4, False, True, PhaseStep(Phase.ORDER_TAKING, 0)),
        (Phase.OFFER_ANOTHER, 4, True, False, PhaseStep(Phase.SMALL_TALK, 0)),
    ],
)
def test_phase_transitions(
    phase: Phase, turns: int, placed: bool, pending: bool, expected: PhaseStep
) -> None:
    assert next_phase(phase, turns, order_placed=placed, order_pending=pending) == expected


def test_she_offers_another_drink_after_four_small_talk_turns() -> None:
    step = next_phase(Phase.ORDER_TAKING, 0, order_placed=True, order_pending=False)
    phases = []
    for _ in range(SMALL_TALK_TURNS_BEFORE_OFFER + 1):
        phases.append(step.phase)
        step = next_phase(*step, order_placed=False, order_pending=False)
    assert phases == [Phase.SMALL_TALK] * 4 + [Phase.OFFER_ANOTHER]
    assert step.phase is Phase.SMALL_TALK
