"""The online key check: one cheap, read-only request per provider, only when asked.

Listing models (Gemini) or one voice (Cartesia) needs a valid key and costs nothing, so it
tells "the provider accepts this key" apart from "the key is malformed / revoked / for
another project" without spending quota on generation. Endpoints follow the same
environment overrides as the rest of the app (DESIGN.md "Endpoints and files"), so tests
and proxies see these requests too.

Blocking (network): call it from a worker thread, never the UI thread. Uses plain httpx
rather than the SDKs, so a check costs no SDK import and reads no key from the environment.
"""

from __future__ import annotations

import os

import httpx

from mayadesk.keys.formats import CheckResult
from mayadesk.keys.store import PROVIDER_NAMES, validate_provider

GEMINI_BASE_ENV = "MAYADESK_GEMINI_BASE_URL"
CARTESIA_BASE_ENV = "MAYADESK_CARTESIA_BASE_URL"
GEMINI_DEFAULT_BASE = "https://generativelanguage.googleapis.com"
CARTESIA_DEFAULT_BASE = "https://api.cartesia.ai"
CARTESIA_VERSION = "2026-08-14"  # what the cartesia 4.x SDK sends
TIMEOUT_SECONDS = 10.0


def gemini_base_url() -> str:
    """Gemini's base URL without `/v1beta` (the override's documented form)."""
    return (os.environ.get(GEMINI_BASE_ENV) or GEMINI_DEFAULT_BASE).rstrip("/")


def cartesia_base_url() -> str:
    return (os.environ.get(CARTESIA_BASE_ENV) or CARTESIA_DEFAULT_BASE).rstrip("/")


def _request(provider: str, key: str) -> httpx.Request:
    if provider == "gemini":
        return httpx.Request(
            "GET",
            f"{gemini_base_url()}/v1beta/models",
            params={"pageSize": "1"},
            headers={"x-goog-api-key": key},
        )
    return httpx.Request(
        "GET",
        f"{cartesia_base_url()}/voices",
        params={"limit": "1"},
        headers={"Authorization": f"Bearer {key}", "Cartesia-Version": CARTESIA_VERSION},
    )


def _judge(provider: str, response: httpx.Response) -> CheckResult:
    """Turn the provider's answer into a sentence; never quote the response body.

    The body is the provider's text, not ours, and is not guaranteed to leave a key out.
    """
    name = PROVIDER_NAMES[provider]
    status = response.status_code
    if 200 <= status < 300:
        return CheckResult(True, "ok", f"{name} accepted the key.")
    if status == 429:
        return CheckResult(
            True,
            "rate-limit",
            f"{name} knows the key but is limiting requests right now (rate limit or quota); "
            "the key itself is fine.",
        )
    rejected = status in (401, 403) or (
        provider == "gemini" and status == 400 and "API_KEY_INVALID" in response.text
    )
    if rejected:
        return CheckResult(
            False,
            "auth",
            f"{name} rejected the key (HTTP {status}). Check that it is the whole key, that "
            "it has not been revoked, and replace it.",
        )
    return CheckResult(
        False,
        "bad-response",
        f"{name} answered with an unexpected error (HTTP {status}); try again later.",
    )


def check_online(provider: str, key: str, *, timeout: float = TIMEOUT_SECONDS) -> CheckResult:
    """Ask the provider whether it accepts `key`, with one read-only request."""
    validate_provider(provider)
    request = _request(provider, key)
    host = request.url.host
    try:
        with httpx.Client(timeout=timeout, follow_redirects=False) as client:
            response = client.send(request)
    except httpx.TimeoutException:
        return CheckResult(
            False, "network",
            f"{PROVIDER_NAMES[provider]} did not answer within {timeout:.0f} s ({host}). "
            "Check the network and try again.",
        )
    except httpx.HTTPError as error:
        return CheckResult(
            False, "network",
            f"Could not reach {PROVIDER_NAMES[provider]} at {host} "
            f"({type(error).__name__}). Check the network and try again.",
        )
    return _judge(provider, response)
