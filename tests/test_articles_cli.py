"""The input side of ``annotator annotate`` and ``annotator eval`` from the command line
(offline backend: no network)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from eval_support import ROOT
from typer.testing import CliRunner

from annotator.cli import app
from annotator.models import ArticleResult

SAMPLES = ROOT / "examples" / "articles"


@pytest.fixture
def run(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("COLUMNS", "240")
    for name in ("OPENAI_API_KEY", "OPENAI_BASE_URL"):
        monkeypatch.delenv(name, raising=False)
    runner = CliRunner()

    def invoke(*args: object, stdin: bytes | None = None):
        return runner.invoke(app, [*map(str, args)], input=stdin, catch_exceptions=False)

    return invoke


def flat(text: str) -> str:
    return " ".join(text.split())


def result(out: Path, article_id: str) -> ArticleResult:
    return ArticleResult.model_validate_json((out / "articles" / f"{article_id}.json").read_text())


def test_annotating_the_current_folder_twice_never_reads_its_own_output(run, tmp_path, monkeypatch):
    for path in sorted(SAMPLES.glob("*.txt"))[:2]:
        shutil.copy(path, tmp_path / path.name)
    monkeypatch.chdir(tmp_path)
    first = run("annotate", ".", "--backend", "offline")
    assert first.exit_code == 0, first.output
    second = run("annotate", ".", "--backend", "offline", "--out", "out2")
    assert second.exit_code == 0, second.output
    text = flat(second.output)
    assert "ignored out: an annotator output folder: not read as input" in text
    assert "2 annotated, 0 unchanged (skipped), 0 failed" in text
    third = run("annotate", ".", "--backend", "offline")
    assert third.exit_code == 0 and "0 annotated, 2 unchanged (skipped), 0 failed" in flat(third.output)
    assert "ignored out: the output of this run (--out): not read as input" in flat(third.output)


def test_a_run_that_finds_no_article_exits_1_and_writes_nothing(run, tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "scan.pdf").write_bytes(b"%PDF")
    (folder / "empty.txt").write_text("")
    out = tmp_path / "out"
    outcome = run("annotate", folder, "--backend", "offline", "--out", out)
    assert outcome.exit_code == 1
    text = flat(outcome.output)
    assert f"ignored {folder}/scan.pdf: unsupported file type .pdf" in text
    assert f"skipped {folder}/empty.txt: file is empty" in text
    assert f"error: no article found in {folder} (1 failed, 1 ignored: see above)" in text
    assert not out.exists()


def test_a_previous_runs_record_survives_a_run_that_found_nothing(run, tmp_path):
    out = tmp_path / "out"
    assert run("annotate", SAMPLES / "000_3d88e5c5ef59938c.txt", "--backend", "offline", "--out", out).exit_code == 0
    before = (out / "run.json").read_text()
    empty = tmp_path / "empty"
    empty.mkdir()
    assert run("annotate", empty, "--backend", "offline", "--out", out).exit_code == 1
    assert (out / "run.json").read_text() == before


def test_stdin_csv_with_mapped_fields_reaches_every_output(run, tmp_path):
    table = ("id,headline,body,link,published\n"
             'bridge,Bridge to open,"The mayor said the bridge would open in May.",https://www.bbc.co.uk/n/1,2025-07-02\n')
    out = tmp_path / "out"
    outcome = run("annotate", "-", "--format", "csv", "--text-field", "body", "--meta-field", "title=headline",
                  "--meta-field", "url=link", "--meta-field", "date=published", "--backend", "offline",
                  "--out", out, stdin=table.encode())
    assert outcome.exit_code == 0, outcome.output
    stored = result(out, "bridge")
    assert (stored.title, stored.url, stored.date, stored.outlet, stored.source) == (
        "Bridge to open", "https://www.bbc.co.uk/n/1", "2025-07-02", "bbc.co.uk", "<stdin>:2")
    assert stored.claims and stored.text == "The mayor said the bridge would open in May."
    assert json.loads((out / "run.json").read_text())["article_ids"] == ["bridge"]


def test_new_metadata_reaches_a_stored_result_without_redoing_it(run, tmp_path):
    feed = tmp_path / "feed.jsonl"
    feed.write_text(json.dumps({"id": "a", "text": "The mayor said the bridge would open.", "headline": "Bridge"}))
    out = tmp_path / "out"
    assert run("annotate", feed, "--backend", "offline", "--out", out).exit_code == 0
    assert result(out, "a").title is None
    again = run("annotate", feed, "--backend", "offline", "--out", out, "--meta-field", "title=headline")
    assert "0 annotated, 1 unchanged" in flat(again.output)
    assert result(out, "a").title == "Bridge"


def test_bad_input_options_exit_2_before_any_work(run, tmp_path):
    outcome = run("annotate", SAMPLES, "--meta-field", "byline=author", "--backend", "offline", "--out", tmp_path / "o")
    assert outcome.exit_code == 2 and "'byline' is not one of title, url, date, outlet" in flat(outcome.output)
    outcome = run("annotate", SAMPLES, "--format", "csv", "--backend", "offline", "--out", tmp_path / "o")
    assert outcome.exit_code == 2 and "--format applies to standard input or a single file" in flat(outcome.output)
    assert not (tmp_path / "o").exists()


def test_eval_warns_about_and_does_not_score_outputs_the_latest_run_did_not_produce(run, tmp_path):
    out = tmp_path / "out"
    assert run("annotate", SAMPLES, "--backend", "offline", "--out", out).exit_code == 0
    subset = tmp_path / "subset"
    subset.mkdir()
    kept = sorted(SAMPLES.glob("*.txt"))[:2]
    for path in kept:
        shutil.copy(path, subset / path.name)
    assert run("annotate", subset, "--backend", "offline", "--out", out).exit_code == 0
    gold = ROOT / "eval" / "gold"
    metrics = tmp_path / "m.json"
    scored = run("eval", out, "--gold", gold, "--articles", SAMPLES, "--quiet", "--resamples", "0", "--json", metrics)
    assert scored.exit_code == 0, scored.output
    text = flat(scored.output)
    assert "warning: 3 article output(s)" in text and "not produced by the latest run" in text
    assert "not scored (--include-stale scores them)" in text
    latest = json.loads(metrics.read_text())
    everything = tmp_path / "all.json"
    run("eval", out, "--gold", gold, "--articles", SAMPLES, "--quiet", "--resamples", "0", "--json", everything,
        "--include-stale")
    full = json.loads(everything.read_text())
    assert latest["claims"]["recall"] < full["claims"]["recall"], "stale outputs count only when asked"
    assert any("3 gold article(s) have no prediction" in note for note in latest["notes"])
