"""Turns that go wrong: each failure's sentence, retries, and Stop.

Same set-up as test_turns.py (the real SDK against the fake server). The user's message must
survive every failure, a retry must never show the user anything twice, and Stop must end
the turn within 200 ms whatever the server is doing.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable
from typing import Any

import pytest

from mayadesk.bar.tools import BarTools
from mayadesk.config import Settings
from mayadesk.llm.client import GeminiChat
from mayadesk.llm.events import TurnFailed, TurnFinished, TurnRetrying
from mayadesk.llm.turn import RetryPolicy, run_turn
from mayadesk.sessions.history import Emotion, Message, Role
from mayadesk.sessions.session import Session
from tests.fakes.gemini import Disconnect, ErrorReply, FakeGemini, Gate, Reply, StreamError, Text
from tests.helpers.turns import FAST, Recorder, Turn, say

# -- failures ------------------------------------------------------------------------------

PER_DAY = ErrorReply(
    429,
    "You exceeded your current quota, please check your plan and billing details.",
    "RESOURCE_EXHAUSTED",
    (
        {
            "@type": "type.googleapis.com/google.rpc.QuotaFailure",
            "violations": [{"quotaId": "GenerateRequestsPerDayPerProjectPerModel-FreeTier"}],
        },
    ),
)
NOT_A_REPLY = ErrorReply(200, "this is not a reply", "OK")
CUT_MIDWAY: list[Any] = [Text("[STATE: happy] Sure, "), Disconnect()]
FAILS_MIDWAY: list[Any] = [
    Text("[STATE: happy] Sure, "),
    StreamError(503, "overloaded", "UNAVAILABLE"),
]


@pytest.mark.parametrize(
    ("replies", "category", "retryable", "words", "requests", "partial"),
    [
        pytest.param([ErrorReply.quota()], "rate_limit", True, "about 17 seconds", 1, "",
                     id="429-long-hint-not-retried"),
        pytest.param([PER_DAY], "quota", False, "daily quota", 1, "", id="429-per-day"),
        pytest.param([ErrorReply.overloaded()] * 3, "server", True, "overloaded", 3, "",
                     id="503-retried-then-given-up"),
        pytest.param([ErrorReply(500, "Internal error", "INTERNAL")] * 3, "server", True,
                     "error 500", 3, "", id="500"),
        pytest.param([FAILS_MIDWAY], "server", True, "overloaded", 1, "Sure, ",
                     id="stream-error-after-text-not-retried"),
        pytest.param([CUT_MIDWAY], "network", True, "broke off", 1, "Sure, ",
                     id="connection-cut-after-text-not-retried"),
        pytest.param([[Disconnect()]] * 3, "network", True, "broke off", 3, "",
                     id="connection-cut-before-text"),
        pytest.param([Reply.of()] * 3, "bad_response", True, "empty reply", 3, "",
                     id="empty-reply"),
        pytest.param([Reply.of("", finish_reason="SAFETY")], "bad_response", False, "declined",
                     1, "", id="blocked-reply"),
        pytest.param([NOT_A_REPLY] * 3, "bad_response", True, "could not read", 3, "",
                     id="malformed-reply"),
    ],
)  # fmt: skip
def test_each_failure_gives_one_sentence_and_keeps_the_message(
    gemini: FakeGemini,
    llm: GeminiChat,
    session: Session,
    replies: list[Any],
    category: str,
    retryable: bool,
    words: str,
    requests: int,
    partial: str,
) -> None:
    gemini.script(*replies)

    end, rec = say(session, llm, "A Negroni please")

    assert isinstance(end, TurnFailed)
    assert (end.error.category, end.error.retryable) == (category, retryable)
    assert words in end.error.message
    assert end.partial_text == partial == "".join(rec.deltas)
    assert rec.events[-1] == end and rec.of(TurnFinished) == []
    assert len(gemini.generate_requests) == requests
    messages = session.messages()
    assert messages[0] == Message(Role.USER, "A Negroni please", created=messages[0].created)
    if partial:
        assert (messages[-1].text, messages[-1].failed) == (partial, True)
    else:
        assert len(messages) == 1


def test_a_wrong_key_is_reported_for_its_profile(
    gemini: FakeGemini, chats: Callable[..., GeminiChat]
) -> None:
    session = Session(profile="work")
    end, _ = say(session, chats("AIza-wrong-key"), "Hi")
    assert isinstance(end, TurnFailed)
    assert end.error.category == "auth"
    assert end.error.message == (
        "Gemini rejected the key of profile work — update it in Settings → Keys."
    )
    assert len(gemini.generate_requests) == 1  # never retried


def test_an_unknown_model_points_at_the_settings(
    gemini: FakeGemini, chats: Callable[..., GeminiChat], session: Session
) -> None:
    gemini.reject_unknown_models = True
    end, _ = say(session, chats(settings=Settings(gemini_model="gemini-0-nope")), "Hi")
    assert isinstance(end, TurnFailed)
    assert end.error.message == (
        "Gemini does not offer the model gemini-0-nope — choose another model in Settings."
    )


def test_a_silent_server_times_out(
    gemini: FakeGemini, chats: Callable[..., GeminiChat], session: Session
) -> None:
    gate = Gate()
    gemini.script([Text("[STATE: thinking] Let me "), gate, Text("think.")])
    end, _ = say(session, chats(timeout=0.3), "Hmm?", retry=RetryPolicy(attempts=1))
    gate.open()
    assert isinstance(end, TurnFailed)
    assert (end.error.category, end.partial_text) == ("timeout", "Let me ")


def test_an_unreachable_server_is_a_network_error(
    gemini: FakeGemini,
    chats: Callable[..., GeminiChat],
    session: Session,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.setenv("MAYADESK_GEMINI_BASE_URL", f"http://127.0.0.1:{port}")
    end, _ = say(session, chats(), "Hello?")
    assert isinstance(end, TurnFailed)
    assert end.error.category == "network"
    assert "could not reach Gemini" in end.error.message


@pytest.mark.parametrize(
    "failure",
    [
        ErrorReply.overloaded(),
        ErrorReply(429, "Resource has been exhausted (e.g. check quota).", "RESOURCE_EXHAUSTED"),
        [Disconnect()],
    ],
    ids=["503", "429", "dropped"],
)
def test_a_transient_failure_is_retried_and_the_user_sees_one_reply(
    gemini: FakeGemini, llm: GeminiChat, session: Session, failure: Any
) -> None:
    gemini.script(failure, ["[STATE: happy] Here ", "you go."])
    end, rec = say(session, llm, "A Negroni please")
    assert end == TurnFinished(1, "Here you go.", Emotion.HAPPY)
    assert rec.deltas == ["Here ", "you go."]
    assert len(gemini.generate_requests) == 2
    (retrying,) = rec.of(TurnRetrying)
    assert retrying.attempt == 1 and retrying.error.retryable


def test_no_retry_after_partial_output_and_retry_later_starts_clean(
    gemini: FakeGemini, llm: GeminiChat, session: Session
) -> None:
    gemini.script(FAILS_MIDWAY)
    end, _ = say(session, llm, "A Negroni please")
    assert isinstance(end, TurnFailed) and end.partial_text == "Sure, "
    assert len(gemini.generate_requests) == 1

    # Retry: the controller runs the turn again on the history as it is
    gemini.script("[STATE: mixing] One Negroni!")
    rec = Recorder()
    again = run_turn(
        session, llm, BarTools(session.bar, session.lock), turn_id=2,
        cancel=threading.Event(), emit=rec, retry=FAST,
    )  # fmt: skip
    assert again == TurnFinished(2, "One Negroni!", Emotion.MIXING)
    retry_request = gemini.generate_requests[-1]
    assert retry_request.texts() == ["A Negroni please"]
    assert [m.text for m in session.messages()] == ["A Negroni please", "Sure, ", "One Negroni!"]


# -- stopping ------------------------------------------------------------------------------


def test_stop_ends_a_held_stream_within_200_ms_and_closes_the_request(
    gemini: FakeGemini, llm: GeminiChat, session: Session
) -> None:
    gate = Gate()
    gemini.script([Text("[STATE: mixing] Shaking your "), gate, Text("Martini now.")])
    turn = Turn(session, llm, "A Martini")
    assert gate.reached.wait(5) and turn.recorder.first_token.wait(5)

    turn.cancel.set()
    stopped_at = time.perf_counter()
    end = turn.join()

    assert turn.returned_at - stopped_at < 0.2
    assert end == TurnFinished(1, "Shaking your ", Emotion.MIXING, stopped=True)
    (request,) = gemini.generate_requests
    assert request.finished.wait(2)
    assert request.client_closed
    assert request.sent_texts == ["[STATE: mixing] Shaking your "]
    last = session.messages()[-1]
    assert (last.text, last.stopped) == ("Shaking your ", True)

    gemini.script("[STATE: happy] Anything else?")
    after, _ = say(session, llm, "Actually, make it dry")
    assert after == TurnFinished(1, "Anything else?", Emotion.HAPPY)
    assert gemini.generate_requests[-1].texts() == [
        "A Martini",
        "[STATE: mixing] Shaking your ",
        "Actually, make it dry",
    ]


def test_stop_before_any_text_keeps_no_empty_reply(
    gemini: FakeGemini, llm: GeminiChat, session: Session
) -> None:
    gate = Gate()
    gemini.script([gate, Text("[STATE: happy] Too late.")])
    turn = Turn(session, llm, "Hello")
    assert gate.reached.wait(5)
    turn.cancel.set()
    stopped_at = time.perf_counter()
    end = turn.join()
    assert turn.returned_at - stopped_at < 0.2
    assert end == TurnFinished(1, "", Emotion.HAPPY, stopped=True)
    assert [m.text for m in session.messages()] == ["Hello"]
    assert gemini.generate_requests[0].finished.wait(2)
    assert gemini.generate_requests[0].client_closed


def test_stop_ends_the_wait_before_a_retry_and_nothing_is_retried(
    gemini: FakeGemini, llm: GeminiChat, session: Session
) -> None:
    gemini.script(ErrorReply.overloaded(), "[STATE: happy] Never asked for.")
    patient = RetryPolicy(attempts=3, initial_wait=30, max_wait=30, jitter=0)
    turn = Turn(session, llm, "Hello", retry=patient)
    assert turn.recorder.retrying.wait(5)  # the turn is now waiting 30 s before a retry
    (retrying,) = turn.recorder.of(TurnRetrying)
    assert (retrying.attempt, retrying.wait, retrying.error.category) == (1, 30, "server")

    turn.cancel.set()
    stopped_at = time.perf_counter()
    end = turn.join()

    assert turn.returned_at - stopped_at < 0.2
    assert end == TurnFinished(1, "", Emotion.HAPPY, stopped=True)
    assert len(gemini.generate_requests) == 1
    assert gemini.pending == 1
