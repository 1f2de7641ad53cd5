"""Every kind of Gemini failure becomes one category and one plain sentence, never a key.

The exceptions are the SDK stack's real types, built the way it raises them (langchain wraps
google-genai's ClientError as the cause); the integration tests show the same mapping on
errors the real SDK raised against the fake server.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from google.genai import errors as genai_errors
from langchain_google_genai.chat_models import (
    ChatGoogleGenerativeAIError,
    GoogleAPIError,
    GoogleInvalidRequestError,
    GooglePermissionDeniedError,
    GoogleRateLimitError,
)

from mayadesk.keys import redaction
from mayadesk.llm.errors import (
    EmptyReply,
    ErrorCategory,
    GeminiKeyMissing,
    GeminiSetupError,
    StreamCancelled,
    map_gemini_error,
)

PROFILE = "work"
KEY_SHAPED = "AIza" + "SyB-sentinel_GEMINI_0123456789abcde"


def body(code: int, status: str, message: str, *details: dict[str, Any]) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "status": status, "details": list(details)}}


def wrapped(outer: type[Exception], cause: BaseException) -> Exception:
    """`outer` raised from `cause`, as langchain-google-genai raises its errors."""
    try:
        raise outer(f"Error calling model: {cause}") from cause
    except outer as exc:
        return exc


KEY_INVALID = body(
    400,
    "INVALID_ARGUMENT",
    "API key not valid. Please pass a valid API key.",
    {"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "API_KEY_INVALID"},
)
PER_MINUTE = body(
    429,
    "RESOURCE_EXHAUSTED",
    "You exceeded your current quota.",
    {
        "@type": "type.googleapis.com/google.rpc.QuotaFailure",
        "violations": [{"quotaId": "GenerateRequestsPerMinutePerProjectPerModel-FreeTier"}],
    },
    {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "17s"},
)
PER_DAY = body(
    429,
    "RESOURCE_EXHAUSTED",
    "You exceeded your current quota.",
    {
        "@type": "type.googleapis.com/google.rpc.QuotaFailure",
        "violations": [{"quotaId": "GenerateRequestsPerDayPerProjectPerModel-FreeTier"}],
    },
)


def test_a_rejected_key_names_the_profile_and_where_to_fix_it() -> None:
    exc = wrapped(GoogleInvalidRequestError, genai_errors.ClientError(400, KEY_INVALID))
    error = map_gemini_error(exc, PROFILE)
    assert error.category is ErrorCategory.AUTH
    assert not error.retryable
    assert error.message == (
        "Gemini rejected the key of profile work — update it in Settings → Keys."
    )
    assert error.status == 400


def test_a_forbidden_key_is_an_auth_problem() -> None:
    cause = genai_errors.ClientError(403, body(403, "PERMISSION_DENIED", "denied"))
    error = map_gemini_error(wrapped(GooglePermissionDeniedError, cause), PROFILE)
    assert (error.category, error.retryable) == (ErrorCategory.AUTH, False)


def test_a_per_minute_limit_is_retryable_and_says_how_long_to_wait() -> None:
    exc = wrapped(GoogleRateLimitError, genai_errors.ClientError(429, PER_MINUTE))
    error = map_gemini_error(exc, PROFILE)
    assert (error.category, error.retryable, error.retry_after) == (
        ErrorCategory.RATE_LIMIT,
        True,
        17.0,
    )
    assert "about 17 seconds" in error.message
    assert "profile work" in error.message


def test_a_rate_limit_without_a_hint_asks_for_a_moment() -> None:
    cause = genai_errors.ClientError(429, body(429, "RESOURCE_EXHAUSTED", "slow down"))
    error = map_gemini_error(wrapped(GoogleRateLimitError, cause), PROFILE)
    assert error.retry_after is None
    assert "wait a moment" in error.message


def test_a_daily_quota_is_not_retryable() -> None:
    exc = wrapped(GoogleRateLimitError, genai_errors.ClientError(429, PER_DAY))
    error = map_gemini_error(exc, PROFILE)
    assert (error.category, error.retryable) == (ErrorCategory.QUOTA, False)
    assert "tomorrow" in error.message


@pytest.mark.parametrize(
    ("code", "status", "category", "words"),
    [
        (500, "INTERNAL", ErrorCategory.SERVER, "error 500"),
        (503, "UNAVAILABLE", ErrorCategory.SERVER, "overloaded"),
        (504, "DEADLINE_EXCEEDED", ErrorCategory.TIMEOUT, "too long"),
    ],
)
def test_server_side_failures_are_retryable(
    code: int, status: str, category: ErrorCategory, words: str
) -> None:
    exc = GoogleAPIError(code=code, response_json=body(code, status, "boom"))
    error = map_gemini_error(exc, PROFILE)
    assert (error.category, error.retryable, error.status) == (category, True, code)
    assert words in error.message


def test_an_unknown_model_points_at_the_setting() -> None:
    cause = genai_errors.ClientError(
        404, body(404, "NOT_FOUND", "models/gemini-0-nope is not found for API version v1beta")
    )
    error = map_gemini_error(wrapped(ChatGoogleGenerativeAIError, cause), PROFILE)
    assert (error.category, error.retryable) == (ErrorCategory.BAD_RESPONSE, False)
    assert (
        error.message
        == "Gemini does not offer the model gemini-0-nope — choose another model in Settings."
    )


def test_a_200_that_is_not_a_reply_is_a_bad_response() -> None:
    exc = genai_errors.APIError(200, {"error": {"message": "weird", "status": "OK"}})
    error = map_gemini_error(exc, PROFILE)
    assert (error.category, error.retryable) == (ErrorCategory.BAD_RESPONSE, True)


@pytest.mark.parametrize(
    ("exc", "category", "words"),
    [
        (
            httpx.RemoteProtocolError("peer closed connection (incomplete chunked read)"),
            ErrorCategory.NETWORK,
            "broke off",
        ),
        (httpx.ReadError("connection reset"), ErrorCategory.NETWORK, "broke off"),
        (httpx.ConnectError("[Errno 111] Connection refused"), ErrorCategory.NETWORK, "reach"),
        (httpx.ReadTimeout("timed out"), ErrorCategory.TIMEOUT, "in time"),
        (httpx.ConnectTimeout("timed out"), ErrorCategory.TIMEOUT, "in time"),
        (TimeoutError(), ErrorCategory.TIMEOUT, "in time"),
        (ValueError("Expecting value: line 1 column 1"), ErrorCategory.BAD_RESPONSE, "read"),
    ],
)
def test_transport_failures(exc: Exception, category: ErrorCategory, words: str) -> None:
    error = map_gemini_error(exc, PROFILE)
    assert error.category is category
    assert error.retryable
    assert words in error.message


def test_our_own_errors() -> None:
    missing = map_gemini_error(GeminiKeyMissing(), PROFILE)
    assert (missing.category, missing.retryable) == (ErrorCategory.AUTH, False)
    assert missing.message == "No Gemini key is set for profile work — add one in Settings → Keys."
    setup = map_gemini_error(GeminiSetupError("temperature must be in the range"), PROFILE)
    assert "temperature must be in the range" in setup.message
    assert map_gemini_error(StreamCancelled(), PROFILE).category is ErrorCategory.CANCELLED
    empty = map_gemini_error(EmptyReply("STOP"), PROFILE)
    assert (empty.category, empty.retryable) == (ErrorCategory.BAD_RESPONSE, True)
    blocked = map_gemini_error(EmptyReply("SAFETY"), PROFILE)
    assert (blocked.category, blocked.retryable) == (ErrorCategory.BAD_RESPONSE, False)


def test_something_unexpected_still_gets_a_sentence() -> None:
    error = map_gemini_error(KeyError("candidates"), PROFILE)
    assert (error.category, error.retryable) == (ErrorCategory.BAD_RESPONSE, False)
    assert "KeyError" in error.message
    assert error.message.endswith(".")


@pytest.fixture
def remembered_key() -> Iterator[str]:
    key = "my-odd-test-key-0001"
    redaction.remember(key)
    yield key
    redaction.forget(key)


def test_messages_never_carry_a_key(remembered_key: str) -> None:
    cause = genai_errors.ClientError(404, body(404, "NOT_FOUND", f"models/{KEY_SHAPED} missing"))
    shaped = map_gemini_error(wrapped(ChatGoogleGenerativeAIError, cause), PROFILE)
    assert KEY_SHAPED not in shaped.message
    assert redaction.MASK in shaped.message
    known = map_gemini_error(GeminiSetupError(f"bad key {remembered_key}"), PROFILE)
    assert remembered_key not in known.message
    assert redaction.MASK in known.message


def test_every_message_is_one_sentence_with_an_action() -> None:
    samples: list[BaseException] = [
        wrapped(GoogleInvalidRequestError, genai_errors.ClientError(400, KEY_INVALID)),
        wrapped(GoogleRateLimitError, genai_errors.ClientError(429, PER_MINUTE)),
        wrapped(GoogleRateLimitError, genai_errors.ClientError(429, PER_DAY)),
        GoogleAPIError(code=503, response_json=body(503, "UNAVAILABLE", "x")),
        httpx.RemoteProtocolError("cut"),
        httpx.ConnectError("down"),
        httpx.ReadTimeout("slow"),
        EmptyReply(None),
        GeminiKeyMissing(),
    ]
    for exc in samples:
        message = map_gemini_error(exc, PROFILE).message
        assert message.count(". ") == 0, message
        assert message.endswith("."), message
        assert " — " in message, message
