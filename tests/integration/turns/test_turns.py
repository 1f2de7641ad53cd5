"""Turns end to end: run_turn → GeminiChat → the real langchain-google-genai → the fake server.

Nothing in the SDK is patched: the fake speaks Gemini's REST protocol and records every
request, so these tests show what really goes over the wire — the history, the tools, the
key — and what the tab would be told. Streaming is proven structurally with the fake's
gates (the server holds the stream open until the test lets it go). Failures, retries and
Stop are in test_turn_failures.py.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from mayadesk.bar.tools import BarTools
from mayadesk.config import Settings
from mayadesk.llm.client import GeminiChat, make_llm_factory
from mayadesk.llm.events import (
    EmotionChanged,
    OrderChanged,
    TokenDelta,
    ToolRan,
    TurnFinished,
    TurnStarted,
)
from mayadesk.llm.turn import TOOL_DECLARATIONS
from mayadesk.sessions.history import Emotion, Message, Role, ToolExchange
from mayadesk.sessions.session import Session
from tests.fakes.gemini import Call, FakeGemini, Gate, Text
from tests.helpers.turns import KEY, KEY_B, Turn, say

# -- streaming and the emotion tag ---------------------------------------------------------


def test_tokens_reach_the_tab_while_the_server_still_holds_the_reply(
    gemini: FakeGemini, llm: GeminiChat, session: Session
) -> None:
    gate = Gate()
    gemini.script([Text("[STATE: mixing] Shaking "), Text("it up, "), gate, Text("nearly there!")])

    turn = Turn(session, llm, "A daiquiri, please")
    assert gate.reached.wait(5)
    (request,) = gemini.wait_for_requests(1)
    # wait for the second token (the first is already on its way), then look: the reply is
    # still open on the server, yet the tab has both pieces, without the tag
    assert turn.recorder.first_token.wait(5)
    gemini.wait_until(lambda: len(turn.recorder.deltas) == 2, 5)
    assert not request.finished.is_set()
    assert turn.recorder.deltas == ["Shaking ", "it up, "]
    gate.open()
    end = turn.join()

    assert end == TurnFinished(1, "Shaking it up, nearly there!", Emotion.MIXING, stopped=False)
    kinds = [type(e) for e in turn.recorder.events]
    assert kinds == [TurnStarted, EmotionChanged, TokenDelta, TokenDelta, TokenDelta, TurnFinished]
    assert turn.recorder.of(EmotionChanged) == [EmotionChanged(1, Emotion.MIXING)]
    last = session.messages()[-1]
    assert (last.role, last.text, last.emotion, last.stopped) == (
        Role.MAYA,
        "Shaking it up, nearly there!",
        Emotion.MIXING,
        False,
    )
    assert (session.emotion, request.streaming, request.api_key) == (Emotion.MIXING, True, KEY)


def test_a_split_tag_is_read_and_a_missing_one_means_neutral(
    gemini: FakeGemini, llm: GeminiChat, session: Session
) -> None:
    gemini.script(["[STA", "TE: think", "ing]", " Hmm, ", "let me see."], "No tag this time.")

    first, rec = say(session, llm, "Something strong?")
    assert first == TurnFinished(1, "Hmm, let me see.", Emotion.THINKING)
    assert "".join(rec.deltas) == "Hmm, let me see."

    second, rec = say(session, llm, "Go on")
    assert second == TurnFinished(1, "No tag this time.", Emotion.NEUTRAL)
    assert rec.of(EmotionChanged) == [EmotionChanged(1, Emotion.NEUTRAL)]
    # the model sees its replies with their tags, which keeps it to the format
    assert gemini.generate_requests[1].texts("model") == ["[STATE: thinking] Hmm, let me see."]


def test_the_request_carries_persona_tools_and_settings(
    gemini: FakeGemini, chats: Callable[..., GeminiChat], session: Session
) -> None:
    settings = Settings(gemini_model="gemini-2.5-flash", temperature=0.3, max_output_tokens=256)
    say(session, chats(settings=settings), "Hi")
    (request,) = gemini.generate_requests
    assert request.model == "gemini-2.5-flash"
    assert request.generation_config["temperature"] == pytest.approx(0.3)
    assert request.generation_config["maxOutputTokens"] == 256
    assert request.tool_names == list(BarTools.names)
    assert "You are Maya, the bartender at MOK 5-ha" in request.system_text
    assert request.contents == [{"role": "user", "parts": [{"text": "Hi"}]}]


# -- tools ---------------------------------------------------------------------------------


def test_a_tool_round_changes_the_order_and_the_reply_follows(
    gemini: FakeGemini, llm: GeminiChat, session: Session
) -> None:
    order = {"item": "Martini", "quantity": 2, "modifiers": ["dry"]}
    gemini.script(
        [Text("[STATE: thinking] Let me ring that up."), Call("add_to_order", order)],
        ["[STATE: mixing] Two dry Martinis ", "on your order!"],
    )

    end, rec = say(session, llm, "Two dry martinis")

    assert end == TurnFinished(
        1, "Let me ring that up. Two dry Martinis on your order!", Emotion.MIXING
    )
    assert [type(e).__name__ for e in rec.events] == [
        "TurnStarted", "EmotionChanged", "TokenDelta", "ToolRan", "OrderChanged",
        "EmotionChanged", "TokenDelta", "TokenDelta", "TurnFinished",
    ]  # fmt: skip
    (ran,) = rec.of(ToolRan)
    assert (ran.name, dict(ran.args), ran.result["ok"]) == ("add_to_order", order, True)
    (changed,) = rec.of(OrderChanged)
    ((line_name, quantity, modifiers),) = [
        (line.name, line.quantity, line.modifiers) for line in changed.snapshot.order
    ]
    assert (line_name, quantity, modifiers) == ("Martini", 2, ("dry",))
    assert changed.snapshot == BarTools(session.bar, session.lock).snapshot()

    _, second = gemini.generate_requests
    assert second.contents[-2]["parts"][0]["functionCall"] == {
        "name": "add_to_order",
        "args": order,
    }
    (response,) = second.function_responses
    assert response["name"] == "add_to_order"
    assert response["response"]["ok"] is True
    assert response["response"]["added"]["item"] == "Martini"
    assert [type(e).__name__ for e in session.entries()] == ["Message", "ToolExchange", "Message"]

    # the next turn still sees the call and its result
    gemini.script("[STATE: happy] Anything else?")
    say(session, llm, "That's all")
    third = gemini.generate_requests[2]
    assert [r["name"] for r in third.function_responses] == ["add_to_order"]
    assert third.texts("user")[-1] == "That's all"


def test_a_refused_tool_call_goes_back_to_the_model_and_changes_nothing(
    gemini: FakeGemini, llm: GeminiChat, session: Session
) -> None:
    gemini.script(
        [Call("add_to_order", {"item": "Unicorn Tears"})],
        "[STATE: flustered] We don't have that one.",
    )
    end, rec = say(session, llm, "Unicorn tears please")
    assert end.emotion is Emotion.FLUSTERED  # type: ignore[union-attr]
    assert rec.of(OrderChanged) == []
    (ran,) = rec.of(ToolRan)
    assert ran.result["ok"] is False
    (response,) = gemini.generate_requests[1].function_responses
    assert response["response"]["ok"] is False
    assert "Unicorn Tears" in response["response"]["error"]
    assert session.bar.order.is_empty


def test_the_tool_loop_stops_at_its_bound_with_a_clear_sentence(
    gemini: FakeGemini, llm: GeminiChat, session: Session
) -> None:
    gemini.responder = lambda request: [Call("show_order")]

    end, rec = say(session, llm, "What's on my order?", max_tool_rounds=2)

    assert len(gemini.generate_requests) == 3
    assert len(rec.of(ToolRan)) == 2
    assert isinstance(end, TurnFinished)
    assert end.emotion is Emotion.FLUSTERED
    assert "could you tell me that once more" in end.text
    assert end.text == "".join(rec.deltas)
    assert sum(isinstance(e, ToolExchange) for e in session.entries()) == 2
    assert session.messages()[-1].text == end.text


def test_thought_signatures_go_back_with_their_calls(
    gemini: FakeGemini, llm: GeminiChat, session: Session
) -> None:
    gemini.script(
        [Call("get_menu", {}, thought_signature="c2lnLTE=")],
        "[STATE: happy] Plenty to choose from.",
        "[STATE: happy] Sure.",
    )
    say(session, llm, "What do you have?")
    say(session, llm, "Thanks")
    for request in gemini.generate_requests[1:]:
        model_parts = [p for c in request.contents if c["role"] == "model" for p in c["parts"]]
        (call_part,) = [p for p in model_parts if "functionCall" in p]
        assert call_part["thoughtSignature"] == "c2lnLTE="


# -- phases, greeting, tips ----------------------------------------------------------------


def test_the_greeting_costs_no_request_and_is_not_replayed_to_the_model(
    gemini: FakeGemini, llm: GeminiChat, session: Session
) -> None:
    from mayadesk.llm.persona import GREETING_EMOTION, greeting_text

    session.add_message(Message(Role.MAYA, greeting_text(), emotion=GREETING_EMOTION))
    assert gemini.requests == []

    say(session, llm, "Hello Maya")
    (request,) = gemini.generate_requests
    assert [c["role"] for c in request.contents] == ["user"]
    assert greeting_text() in request.system_text


def test_phases_shape_the_instruction_and_she_offers_another_drink(
    gemini: FakeGemini, llm: GeminiChat, session: Session
) -> None:
    from mayadesk.llm.persona import Phase, phase_instruction

    gemini.script(
        [Call("add_to_order", {"item": "IPA"}), Call("place_order")],
        "[STATE: mixing] One IPA, placed!",
    )
    say(session, llm, "An IPA, and place it")
    assert session.phase is Phase.SMALL_TALK
    for n in range(5):
        say(session, llm, f"small talk {n}")
    requests = gemini.generate_requests
    phases = [next(p for p in Phase if phase_instruction(p) in r.system_text) for r in requests]
    assert phases == [Phase.GREETING] * 2 + [Phase.SMALL_TALK] * 4 + [Phase.OFFER_ANOTHER]
    assert session.phase is Phase.SMALL_TALK


def test_a_tip_from_the_panel_reaches_the_model_as_a_customer_note(
    gemini: FakeGemini, llm: GeminiChat, session: Session
) -> None:
    tools = BarTools(session.bar, session.lock)
    assert tools.call("add_to_order", {"item": "Stout"})["ok"]
    assert tools.call("place_order")["ok"]
    note = tools.press_tip_preset(15)["note"]
    session.add_message(Message.tip_note(note))

    say(session, llm, "Cheers!")

    (request,) = gemini.generate_requests
    assert request.texts("user")[-1] == "[Order panel] Added a 15% tip.\nCheers!"


# -- isolation, trimming, keys -------------------------------------------------------------


def test_each_request_carries_only_its_own_sessions_history(
    gemini: FakeGemini, chats: Callable[..., GeminiChat]
) -> None:
    gates = {KEY: Gate(), KEY_B: Gate()}
    names = {KEY: ("alpha", "Martini"), KEY_B: ("bravo", "Mojito")}

    def responder(request: Any) -> list[Any]:
        name, drink = names[request.api_key]
        if any("functionResponse" in p for p in request.contents[-1]["parts"]):
            return [f"[STATE: mixing] {name} {drink} coming up."]
        gate = gates.pop(request.api_key, None)
        held = [gate] if gate else []
        return [
            Text(f"[STATE: thinking] {name} one sec. "),
            *held,
            Call("add_to_order", {"item": drink}),
        ]

    gemini.responder = responder
    held = list(gates.values())  # before any request: the responder pops them as they come
    alpha, bravo = Session(), Session()
    llm_a, llm_b = chats(KEY), chats(KEY_B)
    turns = [Turn(alpha, llm_a, "alpha: a Martini"), Turn(bravo, llm_b, "bravo: a Mojito")]
    assert all(g.reached.wait(5) for g in held)  # both streams are open at the same time
    for gate in held:
        gate.open()
    for turn in turns:
        assert isinstance(turn.join(), TurnFinished)
    say(alpha, llm_a, "alpha: and the bill")
    say(bravo, llm_b, "bravo: and the bill")

    for request in gemini.generate_requests:
        name, drink = names[request.api_key]  # type: ignore[index]
        other = "bravo" if name == "alpha" else "alpha"
        texts = " ".join(request.texts())
        assert name in texts and other not in texts
        assert {r["response"]["added"]["item"] for r in request.function_responses} <= {drink}
    assert [line.name for line in alpha.bar.order.lines] == ["Martini"]
    assert [line.name for line in bravo.bar.order.lines] == ["Mojito"]


def test_a_long_history_is_trimmed_oldest_first_without_splitting_tool_rounds(
    gemini: FakeGemini, llm: GeminiChat, session: Session
) -> None:
    from mayadesk.llm.persona import system_instruction

    gemini.script([Call("add_to_order", {"item": "Rum"})], "[STATE: happy] Rum it is.")
    say(session, llm, "turn-1 " + "r" * 293)
    for n in range(2, 5):
        say(session, llm, f"turn-{n} " + "x" * 293)
    budget = len(system_instruction(session.phase, session.bar.menu.bar)) + 800
    say(session, llm, "turn-5 " + "y" * 293, context_budget=budget)
    trimmed = gemini.generate_requests[-1]
    texts = " ".join(trimmed.texts())
    assert "turn-4" in texts and "turn-5" in texts
    assert not any(f"turn-{n}" in texts for n in (1, 2, 3))
    assert trimmed.contents[0]["role"] == "user"
    assert trimmed.function_responses == []
    assert not any("functionCall" in p for c in trimmed.contents for p in c["parts"])

    say(session, llm, "turn-6")  # the default budget holds it all, calls with their results
    full = gemini.generate_requests[-1]
    calls = [p for c in full.contents for p in c["parts"] if "functionCall" in p]
    assert len(calls) == len(full.function_responses) == 1


@pytest.mark.parametrize("variable", ["GOOGLE_API_KEY", "GEMINI_API_KEY"])
def test_a_key_in_the_environment_is_never_used(
    gemini: FakeGemini,
    chats: Callable[..., GeminiChat],
    session: Session,
    monkeypatch: pytest.MonkeyPatch,
    variable: str,
) -> None:
    from mayadesk.llm.errors import GeminiKeyMissing

    sentinel = "AIza-ENVIRONMENT-SENTINEL-never-send"
    monkeypatch.setenv(variable, sentinel)
    factory = make_llm_factory(Settings())
    for missing in ("", "   "):
        with pytest.raises(GeminiKeyMissing):
            factory(missing, TOOL_DECLARATIONS)
    with pytest.raises(GeminiKeyMissing):
        GeminiChat(
            key=None, tools=(), model="gemini-flash-latest", temperature=0.5, max_output_tokens=9
        )
    assert gemini.requests == []

    say(session, chats(KEY), "Hi")
    (request,) = gemini.generate_requests
    assert request.api_key == KEY
    assert all(sentinel not in value for value in request.headers.values())


def test_the_registry_builds_one_chat_per_session_and_closes_it(
    gemini: FakeGemini, session: Session
) -> None:
    from mayadesk.sessions.registry import SessionRegistry

    registry: SessionRegistry[GeminiChat, object] = SessionRegistry(
        make_llm_factory(Settings()), lambda key: object()
    )
    try:
        llm = registry.get_llm(session.id, KEY, TOOL_DECLARATIONS)
        assert registry.get_llm(session.id, KEY, TOOL_DECLARATIONS) is llm
        end, _ = say(session, llm, "Hi")
        assert isinstance(end, TurnFinished)
        assert registry.get_llm(session.id, KEY_B, TOOL_DECLARATIONS) is not llm
    finally:
        registry.clear_all()
    stats = registry.stats()
    assert (stats.creations, stats.closed, stats.close_errors) == (2, 2, 0)
    assert stats.violations() == []
