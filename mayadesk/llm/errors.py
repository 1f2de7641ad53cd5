"""Gemini's failures, mapped once into our own `TurnError`.

The SDK stack raises a zoo of types: langchain-google-genai wraps 4xx answers (its
`GoogleRateLimitError`, `GoogleInvalidRequestError`, ... with google-genai's `ClientError` as
the cause) and 5xx answers (`GoogleAPIError`, itself a `ServerError`), while transport
failures arrive as raw httpx exceptions — a connection cut mid-stream is a bare
`RemoteProtocolError`. The tab needs none of that: it needs a category, whether trying
again can help, and one sentence saying what happened and what to do. The SDK's exception
types are imported inside the mapping function, so importing this module stays cheap.

A message never quotes the server's own text (which can echo a request) and goes through
`redact` all the same, so a key cannot reach the screen or the log through here.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from mayadesk.keys.redaction import redact


class ErrorCategory(StrEnum):
    AUTH = "auth"
    RATE_LIMIT = "rate_limit"
    QUOTA = "quota"
    NETWORK = "network"
    TIMEOUT = "timeout"
    BAD_RESPONSE = "bad_response"
    SERVER = "server"
    CANCELLED = "cancelled"


@dataclass(frozen=True, slots=True)
class TurnError:
    """What went wrong with a turn, for the tab: a category, whether a retry can help (the
    turn loop retries those itself, and the tab offers Retry), and one plain sentence.

    `retry_after` is the server's own hint in seconds (a rate limit's RetryInfo), if any.
    """

    category: ErrorCategory
    retryable: bool
    message: str
    retry_after: float | None = None
    status: int | None = None


class GeminiKeyMissing(Exception):
    """No Gemini key for the profile: we refuse rather than let the SDK read the environment."""


class GeminiSetupError(Exception):
    """The chat client could not be built from the settings (e.g. a temperature out of range)."""


class EmptyReply(Exception):
    """Gemini answered with neither text nor a tool call; `finish_reason` says why, if known."""

    def __init__(self, finish_reason: str | None) -> None:
        super().__init__(f"empty reply (finish reason {finish_reason})")
        self.finish_reason = finish_reason


class StreamCancelled(Exception):
    """The user stopped the turn while a reply was streaming."""


_BLOCKED_REASONS = {"SAFETY", "RECITATION", "BLOCKLIST", "PROHIBITED_CONTENT", "SPII"}
_RETRY_DELAY = re.compile(r"^\s*(\d+(?:\.\d+)?)s\s*$")
_MODEL_NAME = re.compile(r"models/([A-Za-z0-9._\-]+)")


def map_gemini_error(exc: BaseException, profile: str) -> TurnError:
    """Turn any exception from building a client or streaming a reply into a `TurnError`."""
    error = _map(exc, profile)
    return TurnError(
        error.category, error.retryable, redact(error.message), error.retry_after, error.status
    )


def _map(exc: BaseException, profile: str) -> TurnError:
    if isinstance(exc, StreamCancelled):
        return TurnError(ErrorCategory.CANCELLED, False, "You stopped Maya's reply.")
    if isinstance(exc, GeminiKeyMissing):
        return TurnError(
            ErrorCategory.AUTH,
            False,
            f"No Gemini key is set for profile {profile} — add one in Settings → Keys.",
        )
    if isinstance(exc, GeminiSetupError):
        return TurnError(
            ErrorCategory.BAD_RESPONSE,
            False,
            f"MayaDesk could not set up Gemini ({exc}) — check the model settings.",
        )
    if isinstance(exc, EmptyReply):
        if exc.finish_reason in _BLOCKED_REASONS:
            return TurnError(
                ErrorCategory.BAD_RESPONSE,
                False,
                "Gemini declined to answer that — try putting it another way.",
            )
        return TurnError(
            ErrorCategory.BAD_RESPONSE, True, "Gemini sent back an empty reply — press Retry."
        )
    from google.genai import errors as genai_errors

    for link in _chain(exc):
        if isinstance(link, genai_errors.APIError):
            return _from_api_error(link, profile)
    return _from_transport_error(exc)


def _chain(exc: BaseException) -> Iterator[BaseException]:
    """The exception and its causes: langchain keeps google-genai's error as `__cause__`."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def _from_api_error(error: Any, profile: str) -> TurnError:
    code = error.code if isinstance(error.code, int) else None
    status = str(error.status or "")
    message = str(error.message or "")
    details = _details(error.details)
    if code == 400 and ("API_KEY_INVALID" in _reasons(details) or "API key not valid" in message):
        return _auth(profile, code)
    if code in (401, 403):
        return _auth(profile, code)
    if code == 429:
        return _rate_limited(details, profile)
    if code == 404:
        match = _MODEL_NAME.search(message)
        model = f"the model {match.group(1)}" if match else "the model chosen in Settings"
        return TurnError(
            ErrorCategory.BAD_RESPONSE,
            False,
            f"Gemini does not offer {model} — choose another model in Settings.",
            status=code,
        )
    if code in (408, 504) or status == "DEADLINE_EXCEEDED":
        return TurnError(
            ErrorCategory.TIMEOUT, True, "Gemini took too long to answer — press Retry.", None, code
        )
    if code == 503 or status == "UNAVAILABLE":
        return TurnError(
            ErrorCategory.SERVER,
            True,
            "Gemini is overloaded right now — wait a moment and press Retry.",
            status=code,
        )
    if code is not None and code >= 500:
        return TurnError(
            ErrorCategory.SERVER,
            True,
            f"Gemini had a problem on its side (error {code}) — press Retry.",
            status=code,
        )
    if code is not None and 400 <= code < 500:
        return TurnError(
            ErrorCategory.BAD_RESPONSE,
            False,
            f"Gemini could not take this conversation (error {code}) — "
            "start a new tab if Retry does not help.",
            status=code,
        )
    return TurnError(
        ErrorCategory.BAD_RESPONSE,
        True,
        "Gemini sent a reply MayaDesk could not read — press Retry.",
        status=code,
    )


def _auth(profile: str, code: int) -> TurnError:
    return TurnError(
        ErrorCategory.AUTH,
        False,
        f"Gemini rejected the key of profile {profile} — update it in Settings → Keys.",
        status=code,
    )


def _rate_limited(details: list[Mapping[str, Any]], profile: str) -> TurnError:
    """429 is a per-minute limit (retry soon) unless the quota that ran out is a daily one."""
    quota_ids = [
        str(v.get("quotaId", ""))
        for d in details
        for v in d.get("violations", ()) or ()
        if isinstance(v, Mapping)
    ]
    if any("PerDay" in q for q in quota_ids):
        return TurnError(
            ErrorCategory.QUOTA,
            False,
            f"The Gemini key of profile {profile} has used up its daily quota — try again "
            "tomorrow, or use another key in Settings → Keys.",
            status=429,
        )
    delay = _retry_delay(details)
    wait = f"about {round(delay)} seconds" if delay else "a moment"
    return TurnError(
        ErrorCategory.RATE_LIMIT,
        True,
        f"Gemini's rate limit for profile {profile} was reached — wait {wait} and press Retry.",
        retry_after=delay,
        status=429,
    )


def _details(payload: Any) -> list[Mapping[str, Any]]:
    """The `error.details` list of a Gemini error body (RetryInfo, QuotaFailure, ErrorInfo)."""
    if not isinstance(payload, Mapping):
        return []
    inner = payload.get("error", payload)
    found = inner.get("details") if isinstance(inner, Mapping) else None
    return [d for d in found or () if isinstance(d, Mapping)]


def _reasons(details: list[Mapping[str, Any]]) -> set[str]:
    return {str(d.get("reason")) for d in details if d.get("reason")}


def _retry_delay(details: list[Mapping[str, Any]]) -> float | None:
    for detail in details:
        if str(detail.get("@type", "")).endswith("RetryInfo"):
            match = _RETRY_DELAY.match(str(detail.get("retryDelay", "")))
            if match:
                return float(match.group(1))
    return None


def _from_transport_error(exc: BaseException) -> TurnError:
    import httpx

    if isinstance(exc, httpx.TimeoutException | TimeoutError):
        return TurnError(
            ErrorCategory.TIMEOUT,
            True,
            "Gemini did not answer in time — check your connection and press Retry.",
        )
    if isinstance(exc, httpx.ConnectError | ConnectionRefusedError):
        return TurnError(
            ErrorCategory.NETWORK,
            True,
            "MayaDesk could not reach Gemini — check your internet connection, then press Retry.",
        )
    if isinstance(exc, httpx.TransportError | ConnectionError | OSError):
        return TurnError(
            ErrorCategory.NETWORK,
            True,
            "The connection to Gemini broke off — check your internet connection and press Retry.",
        )
    if isinstance(exc, httpx.DecodingError | ValueError):
        return TurnError(
            ErrorCategory.BAD_RESPONSE,
            True,
            "Gemini sent a reply MayaDesk could not read — press Retry.",
        )
    return TurnError(
        ErrorCategory.BAD_RESPONSE,
        False,
        f"Something unexpected went wrong while talking to Gemini ({type(exc).__name__}) — "
        "press Retry; if it keeps happening, the log has details.",
    )
