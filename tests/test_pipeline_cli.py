"""``annotator annotate`` end to end through the CLI, with the endpoint replayed.

Cassettes: ``cassettes/test_pipeline_cli/``. A request a cassette does not hold is refused
by VCR (record mode ``none``) and would fail the article, so a test that sees exit code 0
and N requests in ``http_log`` proves the run needed exactly those N.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from annotator.articles import load_file
from annotator.cli import app
from annotator.models import ArticleResult

pytestmark = pytest.mark.vcr

DATA = Path(__file__).parent / "data" / "llm"
OPENAI = ("--base-url", "https://api.openai.com/v1", "--model", "gpt-4o-mini")


@pytest.fixture
def cli(monkeypatch, llm_env, http_log):
    """``cli(*args)`` runs ``annotator annotate *args`` in-process, as a user would."""
    monkeypatch.setenv("COLUMNS", "240")  # keep paths and reasons on one line
    runner = CliRunner()

    def invoke(*args: object):
        return runner.invoke(app, ["annotate", *map(str, args)], catch_exceptions=False)

    return invoke


@pytest.fixture
def folder(tmp_path) -> Path:
    """Two good articles: ferry.txt (plain text) and clinic.json (id, title, text)."""
    root = tmp_path / "articles"
    root.mkdir()
    for name in ("ferry.txt", "clinic.json"):
        shutil.copy(DATA / name, root / name)
    return root


def stored(out: Path, article_id: str) -> ArticleResult:
    return ArticleResult.model_validate_json((out / "articles" / f"{article_id}.json").read_text())


def run_record(out: Path) -> dict:
    return json.loads((out / "run.json").read_text())


def flat(text: str) -> str:
    return " ".join(text.split())


def test_local_server_json_schema_mode(cli, tmp_path, http_log, llm_env, key_leaks, ungrounded):
    articles = tmp_path / "one"
    articles.mkdir()
    shutil.copy(DATA / "ferry.txt", articles / "ferry.txt")
    out = tmp_path / "out"
    model = "Qwen/Qwen2.5-7B-Instruct"
    local = ("--base-url", "http://127.0.0.1:8000/v1", "--mode", "json_schema", "--model", model)
    result = cli(articles, "--out", out, *local)

    assert result.exit_code == 0, result.output
    assert f"LLM backend, model {model} at 127.0.0.1" in flat(result.output)
    (sent,) = http_log
    assert sent.url == "http://127.0.0.1:8000/v1/chat/completions"
    assert sent.body["response_format"]["type"] == "json_schema"
    assert "tools" not in sent.body
    message = sent.response.json()["choices"][0]["message"]
    assert message["tool_calls"] == [] and message["content"].startswith("```json\n")
    assert sent.response.headers["server"] == "uvicorn"

    ferry = stored(out, "ferry")
    text = (DATA / "ferry.txt").read_text()
    assert ferry.ok and len(ferry.claims) == 2 and ungrounded(text, ferry.claims) == []
    record = run_record(out)
    assert (record["endpoint"], record["mode"], record["model"]) == ("127.0.0.1", "json_schema", model)
    assert record["annotated"] == 1 and record["usage"]["requests"] == 1
    assert key_leaks(out, llm_env) == []


def test_folder_with_broken_files(cli, folder, tmp_path, http_log, llm_env, key_leaks, ungrounded):
    (folder / "empty.txt").write_bytes(b"")
    (folder / "binary.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    (folder / "latin1.txt").write_bytes("Caf\u00e9 owners said prices would rise.".encode("latin-1"))
    (folder / "bad.json").write_text('{"id": "bad", "text": "unterminated')
    out = tmp_path / "out"
    result = cli(folder, "--out", out, *OPENAI)

    assert result.exit_code == 1, "broken inputs make the run fail"
    record = run_record(out)
    reasons = {Path(f["path"]).name: f["reason"] for f in record["load_failures"]}
    assert set(reasons) == {"empty.txt", "binary.txt", "latin1.txt", "bad.json"}
    assert reasons["empty.txt"] == "file is empty"
    assert reasons["binary.txt"] == "file is binary (contains NUL bytes)"
    assert reasons["latin1.txt"].startswith("not valid UTF-8 (byte 3)")
    assert reasons["bad.json"].startswith("invalid JSON at line 1")
    output = flat(result.output)
    for name, reason in reasons.items():
        assert f"{name}: {reason}" in output

    assert len(http_log) == 2, "only the good articles reach the endpoint"
    assert (record["articles"], record["annotated"], record["failed"]) == (2, 2, 4)
    for article_id, count in (("ferry", 2), ("clinic", 3)):
        result_ = stored(out, article_id)
        (article,) = load_file(folder / ("ferry.txt" if article_id == "ferry" else "clinic.json")).articles
        assert result_.ok and len(result_.claims) == count
        assert ungrounded(article.text, result_.claims) == []
    assert sorted(p.name for p in (out / "articles").iterdir()) == ["clinic.json", "ferry.json"]
    assert len((out / "claims.jsonl").read_text().splitlines()) == 5
    clinic_request = next(s for s in http_log if "Vedra" in s.messages[1]["content"])
    prompt = clinic_request.messages[1]["content"]
    assert "Title: New clinic opens in Vedra" in prompt, "JSON title reaches the prompt"
    assert prompt.index("<<<ARTICLE ") < prompt.index("New clinic") < prompt.index("<<<END ARTICLE "), \
        "inside the data markers, as untrusted input"
    assert key_leaks(out, llm_env) == []


def test_rerun_skips_finished_articles(cli, folder, tmp_path, http_log, llm_env, key_leaks):
    out = tmp_path / "out"
    first = cli(folder, "--out", out, *OPENAI)
    assert first.exit_code == 0, first.output
    assert len(http_log) == 2
    before = {p.name: p.read_bytes() for p in (out / "articles").iterdir()}
    claims_before = (out / "claims.jsonl").read_text()

    second = cli(folder, "--out", out, *OPENAI)
    assert second.exit_code == 0, second.output
    assert len(http_log) == 2, "the second run sends nothing"
    assert {p.name: p.read_bytes() for p in (out / "articles").iterdir()} == before
    assert (out / "claims.jsonl").read_text() == claims_before
    record = run_record(out)
    assert (record["annotated"], record["skipped"], record["usage"]["requests"]) == (0, 2, 0)
    assert "0 annotated, 2 unchanged (skipped)" in flat(second.output)
    assert key_leaks(out, llm_env) == []


def test_force_redoes_finished_articles(cli, folder, tmp_path, http_log, llm_env, key_leaks):
    out = tmp_path / "out"
    assert cli(folder, "--out", out, *OPENAI).exit_code == 0
    assert len(http_log) == 2
    again = cli(folder, "--out", out, "--force", *OPENAI)
    assert again.exit_code == 0, again.output
    assert len(http_log) == 4
    assert [s.body for s in http_log[2:]] in ([s.body for s in http_log[:2]], [s.body for s in http_log[1::-1]])
    record = run_record(out)
    assert (record["annotated"], record["skipped"], record["usage"]["requests"]) == (2, 0, 2)
    assert key_leaks(out, llm_env) == []


def test_changed_article_is_redone(cli, folder, tmp_path, http_log, llm_env, key_leaks, ungrounded):
    out = tmp_path / "out"
    assert cli(folder, "--out", out, *OPENAI).exit_code == 0
    old_hash = stored(out, "ferry").text_sha256
    ferry = folder / "ferry.txt"
    ferry.write_text(ferry.read_text() + "\nBaltline said crossings would resume on Saturday.\n")

    again = cli(folder, "--out", out, *OPENAI)
    assert again.exit_code == 0, again.output
    assert len(http_log) == 3, "only the changed article is sent again"
    assert "crossings would resume on Saturday" in http_log[2].messages[1]["content"]
    record = run_record(out)
    assert (record["annotated"], record["skipped"]) == (1, 1)
    redone = stored(out, "ferry")
    assert redone.text_sha256 != old_hash and len(redone.claims) == 3
    assert ungrounded(ferry.read_text(), redone.claims) == []
    assert stored(out, "clinic").ok
    assert key_leaks(out, llm_env) == []
