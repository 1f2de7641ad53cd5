"""The fake Gemini server, driven by the real langchain-google-genai / google-genai stack.

These tests pin the fake to what the SDK actually sends and parses, so app tests that use
the fake prove something about the real service's wire format.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Generator, Iterator
from typing import cast

import httpx
import pytest
from google import genai
from google.genai import errors as genai_errors
from google.genai.types import HttpOptions
from langchain_core.messages import (
    AIMessage,
    AIMessageChunk,
    BaseMessage,
    HumanMessage,
    SystemMessage,
    ToolMessage,
)
from langchain_core.messages.ai import add_ai_message_chunks
from langchain_google_genai import ChatGoogleGenerativeAI
from langchain_google_genai.chat_models import (
    ChatGoogleGenerativeAIError,
    GoogleAPIError,
    GoogleInvalidRequestError,
    GoogleRateLimitError,
)

from tests.fakes.gemini import (
    DEFAULT_REPLY,
    Call,
    Disconnect,
    ErrorReply,
    FakeGemini,
    Gate,
    GeminiRequest,
    StreamError,
    Text,
)

KEY = "AIza-fake-test-key"
MODEL = "gemini-flash-latest"
PERSONA = "You are Maya, the bartender. Phase: greeting."


@pytest.fixture
def gemini() -> Iterator[FakeGemini]:
    before = set(threading.enumerate())
    with FakeGemini(accepted_keys={KEY}) as fake:
        yield fake
    assert fake.problems == []
    leaked = [t.name for t in set(threading.enumerate()) - before if t.name.startswith("Fake")]
    assert leaked == []


def close(llm: ChatGoogleGenerativeAI) -> None:
    """Close the SDK's HTTP pool now; left to the GC it would leak sockets (a warning)."""
    assert llm.client is not None
    llm.client.close()


def make_llm(fake: FakeGemini, key: str = KEY) -> ChatGoogleGenerativeAI:
    return ChatGoogleGenerativeAI(
        model=MODEL, google_api_key=key, base_url=fake.base_url, max_retries=0, timeout=10
    )


@pytest.fixture
def llm(gemini: FakeGemini) -> Iterator[ChatGoogleGenerativeAI]:
    model = make_llm(gemini)
    yield model
    close(model)


def conversation(text: str = "Hi Maya!") -> list[SystemMessage | HumanMessage]:
    return [SystemMessage(PERSONA), HumanMessage(text)]


def add_to_order(item: str, quantity: int = 1) -> dict[str, object]:
    """Add a drink to the customer's order.

    Args:
        item: Name of the menu item.
        quantity: How many.
    """
    return {"ok": True, "item": item, "quantity": quantity}


def get_menu() -> dict[str, object]:
    """Return the bar's menu."""
    return {"ok": True, "items": []}


# --------------------------------------------------------------------------------------
# Plain calls
# --------------------------------------------------------------------------------------


def test_invoke_returns_the_scripted_reply_and_records_the_request(
    gemini: FakeGemini, llm: ChatGoogleGenerativeAI
) -> None:
    gemini.script(["[STATE: happy] ", "What can I ", "get you?"])

    result = llm.invoke(conversation("Hi Maya!"))

    assert isinstance(result, AIMessage)
    assert result.content == "[STATE: happy] What can I get you?"
    assert result.usage_metadata is not None
    assert result.usage_metadata["output_tokens"] > 0
    assert result.response_metadata["finish_reason"] == "STOP"
    assert result.response_metadata["model_name"] == MODEL
    (request,) = gemini.requests
    assert request.method == "POST"
    assert request.path == f"/v1beta/models/{MODEL}:generateContent"
    assert request.action == "generateContent"
    assert request.headers["x-goog-api-key"] == KEY
    assert request.api_key == KEY
    assert request.system_text == PERSONA
    assert request.contents == [{"role": "user", "parts": [{"text": "Hi Maya!"}]}]
    assert request.last_user_text == "Hi Maya!"
    assert request.status == 200
    assert gemini.pending == 0


def test_default_reply_when_nothing_is_scripted(
    gemini: FakeGemini, llm: ChatGoogleGenerativeAI
) -> None:
    assert llm.invoke(conversation()).content == DEFAULT_REPLY
    gemini.default_reply = "[STATE: thinking] Hmm."
    assert llm.invoke(conversation()).content == "[STATE: thinking] Hmm."


def test_scripted_replies_are_used_in_order_then_the_responder(
    gemini: FakeGemini, llm: ChatGoogleGenerativeAI
) -> None:
    gemini.script("first", "second")

    def echo(request: GeminiRequest) -> str | None:
        return f"you said {request.last_user_text}" if "echo" in request.last_user_text else None

    gemini.responder = echo
    assert [llm.invoke(conversation(t)).content for t in ("a", "b", "echo me", "z")] == [
        "first",
        "second",
        "you said echo me",
        DEFAULT_REPLY,
    ]


def test_history_reaches_the_model_as_contents(
    gemini: FakeGemini, llm: ChatGoogleGenerativeAI
) -> None:
    llm.invoke(
        [
            SystemMessage(PERSONA),
            HumanMessage("A mojito please."),
            AIMessage("[STATE: mixing] Coming up!"),
            HumanMessage("Make it two."),
        ]
    )
    (request,) = gemini.generate_requests
    assert request.texts() == ["A mojito please.", "[STATE: mixing] Coming up!", "Make it two."]
    assert [c["role"] for c in request.contents] == ["user", "model", "user"]


# --------------------------------------------------------------------------------------
# Streaming
# --------------------------------------------------------------------------------------


def test_stream_delivers_each_scripted_chunk_as_its_own_sdk_chunk(
    gemini: FakeGemini, llm: ChatGoogleGenerativeAI
) -> None:
    pieces = ["[STATE: happy] One sentence. ", "Another one. ", "And a third."]
    gemini.script(pieces)

    every = list(llm.stream(conversation()))

    # langchain ends every stream with an empty chunk of its own (chunk_position="last").
    assert every[-1].content == ""
    chunks = every[:-1]
    assert [c.content for c in chunks] == pieces
    assert chunks[-1].response_metadata.get("finish_reason") == "STOP"
    assert all("finish_reason" not in c.response_metadata for c in chunks[:-1])
    (request,) = gemini.requests
    assert request.path == f"/v1beta/models/{MODEL}:streamGenerateContent"
    assert request.query == {"alt": "sse"}
    assert request.streaming
    assert request.sent_texts == pieces
    total = add_ai_message_chunks(chunks[0], *chunks[1:])
    assert total.content == "".join(pieces)
    assert total.usage_metadata is not None
    assert total.usage_metadata["output_tokens"] > 0


def test_gate_holds_the_stream_after_the_first_sentence(
    gemini: FakeGemini, llm: ChatGoogleGenerativeAI
) -> None:
    gate = Gate()
    gemini.script([Text("[STATE: happy] First sentence. "), gate, Text("Second sentence.")])

    stream = llm.stream(conversation())
    first = next(stream)

    assert first.content == "[STATE: happy] First sentence. "
    assert gate.reached.wait(5)
    (request,) = gemini.requests
    # Structural proof: the SDK has the first sentence, the server has not sent the second.
    assert request.sent_texts == ["[STATE: happy] First sentence. "]
    assert not request.finished.is_set()
    gate.open()
    rest = [c.content for c in stream if c.content]
    assert rest == ["Second sentence."]
    assert request.finished.wait(5)
    assert request.sent_texts == ["[STATE: happy] First sentence. ", "Second sentence."]


def test_closing_the_stream_is_seen_by_the_fake_as_a_client_hangup(
    gemini: FakeGemini, llm: ChatGoogleGenerativeAI
) -> None:
    gate = Gate()
    gemini.script([Text("[STATE: happy] First. "), gate, Text("Never sent.")])
    stream = cast(Generator[AIMessageChunk, None, None], llm.stream(conversation()))
    assert next(stream).content == "[STATE: happy] First. "
    assert gate.reached.wait(5)

    stream.close()  # what the app does when the user presses Esc mid-reply

    (request,) = gemini.requests
    assert request.finished.wait(5)
    assert request.client_closed
    assert request.sent_texts == ["[STATE: happy] First. "]


def test_chunk_delay_is_injected_before_that_chunk(
    gemini: FakeGemini, llm: ChatGoogleGenerativeAI
) -> None:
    gemini.script([Text("Quick. "), Text("Slow.", delay=0.3)])
    arrivals: list[tuple[str, float]] = []
    for chunk in llm.stream(conversation()):
        if chunk.content:
            arrivals.append((str(chunk.content), time.monotonic()))
    assert [text for text, _ in arrivals] == ["Quick. ", "Slow."]
    assert arrivals[1][1] - arrivals[0][1] >= 0.25


def test_a_stream_that_fails_midway_raises_after_the_first_chunk(
    gemini: FakeGemini, llm: ChatGoogleGenerativeAI
) -> None:
    gemini.script([Text("[STATE: happy] Sure. "), StreamError(503, "overloaded", "UNAVAILABLE")])
    received: list[str] = []
    with pytest.raises(GoogleAPIError, match="UNAVAILABLE"):
        for chunk in llm.stream(conversation()):
            received.append(str(chunk.content))
    assert received == ["[STATE: happy] Sure. "]


def test_a_dropped_connection_raises(gemini: FakeGemini, llm: ChatGoogleGenerativeAI) -> None:
    gemini.script([Text("[STATE: happy] Sure. "), Disconnect()])
    received: list[str] = []
    # Not wrapped by langchain: the app sees httpx's own transport error.
    with pytest.raises(httpx.RemoteProtocolError, match="incomplete chunked read"):
        for chunk in llm.stream(conversation()):
            received.append(str(chunk.content))
    assert received == ["[STATE: happy] Sure. "]


def test_async_stream_works_against_the_fake(gemini: FakeGemini) -> None:
    gemini.script(["[STATE: happy] Async ", "works."])

    async def run() -> list[str]:
        llm = make_llm(gemini)
        try:
            return [str(c.content) async for c in llm.astream(conversation()) if c.content]
        finally:
            close(llm)
            assert llm.client is not None
            await llm.client.aio.aclose()

    assert asyncio.run(run()) == ["[STATE: happy] Async ", "works."]


# --------------------------------------------------------------------------------------
# Tools
# --------------------------------------------------------------------------------------


def test_function_call_comes_back_as_a_tool_call_and_its_result_goes_out(
    gemini: FakeGemini, llm: ChatGoogleGenerativeAI
) -> None:
    with_tools = llm.bind_tools([get_menu, add_to_order])
    gemini.script(
        [Call("add_to_order", {"item": "Mojito", "quantity": 2})],
        "[STATE: mixing] Two mojitos coming up!",
    )
    messages: list[BaseMessage] = [*conversation("Two mojitos please")]

    first = with_tools.invoke(messages)

    assert isinstance(first, AIMessage)
    assert len(first.tool_calls) == 1
    call = first.tool_calls[0]
    assert call["name"] == "add_to_order"
    assert call["args"] == {"item": "Mojito", "quantity": 2}
    request = gemini.requests[0]
    assert request.tool_names == ["get_menu", "add_to_order"]
    declaration = request.function_declarations[1]
    assert declaration["parameters"]["required"] == ["item"]
    assert set(declaration["parameters"]["properties"]) == {"item", "quantity"}

    result = add_to_order(**call["args"])
    messages += [first, ToolMessage(content=str(result), tool_call_id=call["id"])]
    second = with_tools.invoke(messages)

    assert second.content == "[STATE: mixing] Two mojitos coming up!"
    follow_up = gemini.requests[1]
    assert [fr["name"] for fr in follow_up.function_responses] == ["add_to_order"]
    model_turn = follow_up.contents[1]
    assert model_turn["role"] == "model"
    assert model_turn["parts"][0]["functionCall"]["name"] == "add_to_order"


def test_streamed_text_then_function_call(gemini: FakeGemini, llm: ChatGoogleGenerativeAI) -> None:
    gemini.script([Text("[STATE: thinking] Let me check. "), Call("get_menu", {})])
    streamed = list(llm.bind_tools([get_menu]).stream(conversation("What do you have?")))
    assert all(isinstance(c, AIMessageChunk) for c in streamed)
    chunks = cast(list[AIMessageChunk], streamed)
    total = add_ai_message_chunks(chunks[0], *chunks[1:])
    assert total.content == "[STATE: thinking] Let me check. "
    assert [tc["name"] for tc in total.tool_calls] == ["get_menu"]


# --------------------------------------------------------------------------------------
# Errors and keys
# --------------------------------------------------------------------------------------


def test_quota_error_reply_raises_rate_limit_error(
    gemini: FakeGemini, llm: ChatGoogleGenerativeAI
) -> None:
    gemini.script(ErrorReply.quota())
    with pytest.raises(GoogleRateLimitError, match="RESOURCE_EXHAUSTED") as caught:
        llm.invoke(conversation())
    cause = caught.value.__cause__
    assert isinstance(cause, genai_errors.ClientError)
    assert cause.code == 429
    assert gemini.requests[0].status == 429


def test_error_given_as_a_dict_uses_its_http_status(
    gemini: FakeGemini, llm: ChatGoogleGenerativeAI
) -> None:
    gemini.script({"error": {"code": 503, "message": "busy", "status": "UNAVAILABLE"}})
    with pytest.raises(GoogleAPIError, match="busy"):
        list(llm.stream(conversation()))
    assert gemini.requests[0].status == 503


def test_wrong_key_is_refused_like_gemini_does(gemini: FakeGemini) -> None:
    llm = make_llm(gemini, key="AIza-wrong")
    try:
        with pytest.raises(GoogleInvalidRequestError, match="API key not valid") as caught:
            llm.invoke(conversation())
    finally:
        close(llm)
    cause = caught.value.__cause__
    assert isinstance(cause, genai_errors.ClientError)
    assert cause.code == 400
    assert cause.status == "INVALID_ARGUMENT"
    assert "API_KEY_INVALID" in str(cause.details)
    assert gemini.requests[0].api_key == "AIza-wrong"


def test_any_key_is_accepted_without_a_key_set() -> None:
    with FakeGemini() as fake:
        llm = make_llm(fake, key="anything")
        try:
            assert llm.invoke(conversation()).content == DEFAULT_REPLY
        finally:
            close(llm)


def test_missing_key_is_refused_with_permission_denied(gemini: FakeGemini) -> None:
    # The SDKs always send a key, so a plain HTTP client plays the misconfigured caller.
    response = httpx.post(
        f"{gemini.base_url}/v1beta/models/{MODEL}:generateContent",
        json={"contents": [{"role": "user", "parts": [{"text": "hi"}]}]},
    )
    assert response.status_code == 403
    assert response.json()["error"]["status"] == "PERMISSION_DENIED"
    assert gemini.requests[0].api_key is None


def test_model_list_and_get_serve_as_a_cheap_key_check(gemini: FakeGemini) -> None:
    good = genai.Client(api_key=KEY, http_options=HttpOptions(base_url=gemini.base_url))
    bad = genai.Client(api_key="AIza-wrong", http_options=HttpOptions(base_url=gemini.base_url))
    try:
        names = [m.name for m in good.models.list()]
        model = good.models.get(model=MODEL)
        with pytest.raises(genai_errors.ClientError) as caught:
            list(bad.models.list())
    finally:
        good.close()
        bad.close()
    assert f"models/{MODEL}" in names
    assert model.name == f"models/{MODEL}"
    assert model.supported_actions is not None and "generateContent" in model.supported_actions
    assert caught.value.code == 400
    assert [r.action for r in gemini.requests] == ["models.list", "models.get", "models.list"]
    assert gemini.requests[0].path == "/v1beta/models"


def test_unknown_model_can_be_rejected(gemini: FakeGemini) -> None:
    gemini.reject_unknown_models = True
    llm = ChatGoogleGenerativeAI(
        model="gemini-0-nonexistent",
        google_api_key=KEY,
        base_url=gemini.base_url,
        max_retries=0,
        timeout=10,
    )
    try:
        with pytest.raises(ChatGoogleGenerativeAIError, match="NOT_FOUND"):
            llm.invoke(conversation())
    finally:
        close(llm)


# --------------------------------------------------------------------------------------
# The fake itself
# --------------------------------------------------------------------------------------


def test_a_forgotten_gate_is_reported_not_silently_passed() -> None:
    with FakeGemini() as fake:
        local = make_llm(fake)
        try:
            fake.script([Text("One. "), Gate(timeout=0.2), Text("Two.")])
            with pytest.raises(httpx.RemoteProtocolError):
                list(local.stream(conversation()))
        finally:
            close(local)
        assert any("gate not opened" in p for p in fake.problems)


def test_stop_is_quick_and_cuts_a_held_stream() -> None:
    with FakeGemini() as fake:
        local = make_llm(fake)
        gate = Gate()
        fake.script([Text("One. "), gate, Text("Two.")])
        stream = local.stream(conversation())
        assert next(stream).content == "One. "
        assert gate.reached.wait(5)
        started = time.monotonic()
        fake.stop()
        assert time.monotonic() - started < 2.0
        with pytest.raises(httpx.RemoteProtocolError):
            list(stream)
        close(local)
        assert fake.problems == []


def test_twenty_parallel_conversations_of_five_turns(gemini: FakeGemini) -> None:
    """The load the app's "20 tabs x 5 turns" tests put on the fake."""
    gemini.responder = lambda request: [f"[STATE: happy] Re: {request.last_user_text}", "."]

    def tab(index: int) -> list[str]:
        llm = make_llm(gemini)
        try:
            return [
                "".join(str(c.content) for c in llm.stream(conversation(f"tab {index} turn {t}")))
                for t in range(5)
            ]
        finally:
            close(llm)

    results: dict[int, list[str]] = {}
    threads = [
        threading.Thread(target=lambda i=i: results.__setitem__(i, tab(i))) for i in range(20)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert results == {
        i: [f"[STATE: happy] Re: tab {i} turn {t}." for t in range(5)] for i in range(20)
    }
    assert len(gemini.generate_requests) == 100
