"""The test services are the real thing: a Secret Service keyring and a PulseAudio sink."""

from __future__ import annotations

import subprocess

import keyring


def test_secret_written_through_keyring_is_read_back_by_secret_tool() -> None:
    keyring.set_password("mayadesk", "default/gemini", "fixture-check-value")
    try:
        found = subprocess.run(
            ["secret-tool", "lookup", "service", "mayadesk", "username", "default/gemini"],
            capture_output=True, text=True, check=True, timeout=10,
        ).stdout
        assert found == "fixture-check-value"
    finally:
        keyring.delete_password("mayadesk", "default/gemini")
