"""The leak search finds a secret wherever and however it was written (else leak tests
would pass vacuously), and reports without quoting it."""

from __future__ import annotations

import base64
import sqlite3
from pathlib import Path

from tests.helpers.leaks import find_leaks, make_sentinel, searched_files


def test_finds_secrets_in_nested_files_databases_and_outputs(tmp_path: Path) -> None:
    gemini, plain = make_sentinel("gemini"), make_sentinel("cartesia", shaped=False)
    sentinels = {"gemini sentinel": gemini, "plain sentinel": plain}
    (tmp_path / "config" / "deep").mkdir(parents=True)
    (tmp_path / "config" / "deep" / "settings.json").write_text('{"profiles": ["default"]}')
    (tmp_path / "state").mkdir()
    (tmp_path / "state" / "window.ini").write_bytes(("x=" + gemini).encode("utf-16-le"))
    db = sqlite3.connect(tmp_path / "state" / "conv.sqlite")
    with db:
        db.execute("create table t (v text)")
        db.execute("insert into t values (?)", (f"said {plain} here",))
    db.close()
    (tmp_path / "cache").mkdir()
    (tmp_path / "cache" / "auth.txt").write_bytes(base64.b64encode(b"user:" + gemini.encode()))

    leaks = find_leaks(sentinels, [tmp_path], {"stderr": "nothing here", "stdout": f"> {plain}"})
    where = {(leak.where.rsplit("/", 1)[-1], leak.sentinel, leak.encoding) for leak in leaks}
    assert ("window.ini", "gemini sentinel", "utf-16-le") in where
    assert ("conv.sqlite", "plain sentinel", "utf-8") in where
    assert ("auth.txt", "gemini sentinel", "base64") in where
    assert ("stdout", "plain sentinel", "utf-8") in where
    assert not any(leak.where.endswith("settings.json") or leak.where == "stderr"
                   for leak in leaks)
    assert all(gemini not in str(leak) and plain not in str(leak) for leak in leaks)
    assert len(searched_files([tmp_path])) == 4


def test_clean_tree_has_no_leaks(tmp_path: Path) -> None:
    (tmp_path / "a.log").write_text("AIza is not a key by itself")
    assert find_leaks({"key": make_sentinel("gemini")}, [tmp_path], {"out": b"\x00\x01"}) == []
