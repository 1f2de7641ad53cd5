"""The online key check against a local server standing in for Gemini and Cartesia."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest

from mayadesk.keys.online_check import CARTESIA_VERSION, check_online
from tests.helpers.keycheck_server import KeyCheckServer

GEMINI = "AIza" + "SyD_online-check-test_0123456789ABC"
CARTESIA = "sk_car_" + "OnlineCheckTest01234567"


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> Iterator[KeyCheckServer]:
    with KeyCheckServer(gemini_keys={GEMINI}, cartesia_keys={CARTESIA}) as running:
        monkeypatch.setenv("MAYADESK_GEMINI_BASE_URL", running.url)
        monkeypatch.setenv("MAYADESK_CARTESIA_BASE_URL", running.url + "/")
        yield running


def test_accepted_keys_and_the_one_request_each(server: KeyCheckServer) -> None:
    gemini = check_online("gemini", GEMINI)
    cartesia = check_online("cartesia", CARTESIA)
    assert gemini.ok and gemini.category == "ok" and "Gemini accepted" in gemini.message
    assert cartesia.ok and "Cartesia accepted" in cartesia.message
    assert len(server.requests) == 2
    gemini_request, cartesia_request = server.requests
    assert gemini_request.path == "/v1beta/models?pageSize=1"
    assert gemini_request.headers["x-goog-api-key"] == GEMINI
    assert cartesia_request.path == "/voices?limit=1"
    assert cartesia_request.headers["authorization"] == f"Bearer {CARTESIA}"
    assert cartesia_request.headers["cartesia-version"] == CARTESIA_VERSION


def test_rejected_keys_say_so_without_the_key(server: KeyCheckServer) -> None:
    wrong_gemini, wrong_cartesia = GEMINI[:-1] + "Z", CARTESIA[:-1] + "Z"
    gemini = check_online("gemini", wrong_gemini)
    cartesia = check_online("cartesia", wrong_cartesia)
    assert not gemini.ok and gemini.category == "auth" and "HTTP 400" in gemini.message
    assert not cartesia.ok and cartesia.category == "auth" and "HTTP 401" in cartesia.message
    assert wrong_gemini not in gemini.message and wrong_cartesia not in cartesia.message


def test_rate_limited_means_the_key_is_known(server: KeyCheckServer) -> None:
    server.status_override = 429
    result = check_online("gemini", GEMINI)
    assert result.ok and result.category == "rate-limit"
    server.status_override = 503
    result = check_online("cartesia", CARTESIA)
    assert not result.ok and result.category == "bad-response"


def test_unreachable_service_is_a_network_failure(monkeypatch: pytest.MonkeyPatch) -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.setenv("MAYADESK_GEMINI_BASE_URL", f"http://127.0.0.1:{port}")
    result = check_online("gemini", GEMINI)
    assert not result.ok and result.category == "network"
    assert "Could not reach Gemini at 127.0.0.1" in result.message
    assert GEMINI not in result.message
