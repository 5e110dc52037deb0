"""Untrusted text on the terminal (issue 8): rich markup in paths, ids and messages prints
literally instead of crashing the run; control characters never reach the terminal raw."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from annotator.cli import app
from annotator.terminal import plain, visible

TEXT = "The mayor said the bridge would open in May."


@pytest.mark.parametrize("markup", ["[/INST]", "[/b]", "[bold red]", "[link=x]"])
def test_markup_in_paths_and_ids_prints_literally_and_the_run_completes(tmp_path, markup):
    folder = tmp_path / f"in{markup}"
    folder.mkdir(parents=True)
    (folder / "a.txt").write_text(TEXT)
    (folder / "b.json").write_text(json.dumps({"id": f"id{markup}", "text": TEXT}))
    (folder / "c.txt").write_bytes(b"\x00\x01binary")  # a skipped file, printed with its path
    out = tmp_path / f"out{markup}"
    result = CliRunner().invoke(app, ["annotate", str(folder), "--backend", "offline", "--out", str(out)])
    assert result.exit_code == 1, result.output  # the binary file failed; nothing crashed
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert (out / "claims.jsonl").exists() and (out / "run.json").exists()
    assert f"id{markup}" in result.output and f"{folder / 'c.txt'}" in " ".join(result.output.split())


def test_escape_sequences_in_ids_never_reach_the_terminal_raw(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    hostile = "x\x1b]0;pwned\x07\x1b[2J\u202eevil\x9b31m"
    (folder / "a.json").write_text(json.dumps({"id": hostile, "text": TEXT}))
    result = CliRunner().invoke(
        app, ["annotate", str(folder), "--backend", "offline", "--out", str(tmp_path / "o")], env={"COLUMNS": "200"}
    )
    assert result.exit_code == 0, result.output
    for raw in ("\x1b", "\x07", "\u202e", "\x9b"):
        assert raw not in result.output
    assert "x\\x1b]0;pwned\\x07\\x1b[2J\\u202eevil\\x9b31m" in result.output


def test_plain_and_visible():
    assert plain("[/INST] done [b]") == "\\[/INST] done \\[b]"
    assert visible("a\tb\nc\x1b[0m") == "a\tb\nc\\x1b[0m"
    assert "sk-" not in visible("key sk-abcdefghijklmnopqrstuvwxyz0123")
