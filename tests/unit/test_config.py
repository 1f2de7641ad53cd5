"""Settings: declared defaults, a broken file kept aside, the starting balance reaching tabs."""

from __future__ import annotations

import json
from pathlib import Path

from mayadesk.app import new_customer
from mayadesk.config import Settings, load_settings, save_settings


def test_defaults_and_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    assert load_settings(path) == Settings()
    settings = Settings(starting_balance_cents=2_500, profiles=["default", "work"])
    save_settings(path, settings)
    assert load_settings(path) == settings
    assert "AIza" not in path.read_text()


def test_a_broken_file_is_moved_aside(tmp_path: Path, expected_logs: list[str]) -> None:
    expected_logs.append("Settings file was unreadable")
    path = tmp_path / "settings.json"
    path.write_text("{not json")
    assert load_settings(path) == Settings()
    assert (tmp_path / "settings.broken.json").read_text() == "{not json"


def test_a_mistyped_value_keeps_its_default(tmp_path: Path, expected_logs: list[str]) -> None:
    expected_logs.append("Ignoring setting starting_balance_cents")
    path = tmp_path / "settings.json"
    path.write_text(json.dumps({"starting_balance_cents": "lots", "temperature": 1}))
    settings = load_settings(path)
    assert settings.starting_balance_cents == 100_000
    assert settings.temperature == 1.0


def test_new_tabs_start_with_the_configured_balance() -> None:
    session = new_customer("work", Settings(starting_balance_cents=2_500))
    assert session.profile == "work"
    assert session.bar.snapshot().balance_cents == 2_500
