"""The public Python API: the same run as the command line, typed, usable from a notebook."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

import annotator
from annotator.cli import app

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "examples" / "articles"
GOLD = ROOT / "eval" / "gold"
SENTENCE = "The mayor said the bridge would open."


def test_annotate_texts_returns_typed_grounded_results():
    (result,) = annotator.annotate([SENTENCE], backend="offline")
    assert isinstance(result, annotator.ArticleResult)
    assert result.ok and result.backend == "offline" and result.text == SENTENCE
    (claim,) = result.claims
    assert isinstance(claim, annotator.Claim)
    span = claim.spans.content[0]
    assert SENTENCE[span.start : span.end] == claim.content == "the bridge would open"
    assert claim.hedging is annotator.Hedging.low and claim.restatement


def test_annotate_works_inside_a_running_event_loop():
    """Jupyter runs cells inside a loop, where asyncio.run is refused."""

    async def cell() -> list[annotator.ArticleResult]:
        return annotator.annotate(SENTENCE, backend="offline")

    (result,) = asyncio.run(cell())
    assert [c.content for c in result.claims] == ["the bridge would open"]


async def test_annotate_async_matches_annotate():
    (awaited,) = await annotator.annotate_async([SENTENCE], backend="offline")
    (called,) = annotator.annotate([SENTENCE], backend="offline")
    assert awaited.claims == called.claims


def test_articles_keep_their_metadata_into_the_result():
    article = annotator.Article(
        id="a1", text=SENTENCE, path="a1.txt", title="Bridge", url="https://x.test/a", date="2025-07-01"
    )
    (result,) = annotator.annotate([article], backend="offline")
    assert (result.article, result.title, result.url, result.date) == ("a1", "Bridge", "https://x.test/a", "2025-07-01")


def test_a_folder_run_writes_resumes_and_reads_back(tmp_path: Path):
    out = tmp_path / "out"
    first = annotator.annotate(SAMPLES, backend="offline", out=out)
    assert len(first) == 5 and all(r.ok for r in first)
    loaded = annotator.load_run(out)
    assert loaded.record is not None and loaded.record.annotated == 5 and loaded.record.schema_version == 2
    assert [r.article for r in loaded.results] == [r.article for r in first]
    assert all(r.text and r.schema_version == 2 for r in loaded.results)
    annotator.annotate(SAMPLES, backend="offline", out=out)
    again = annotator.load_run(out).record
    assert again is not None and (again.skipped, again.annotated) == (5, 0), "a rerun redoes nothing"


def test_evaluate_scores_a_run_without_the_input_folder(tmp_path: Path, monkeypatch):
    """Outputs carry their text, so eval needs neither --articles nor the original cwd."""
    out = tmp_path / "out"
    annotator.annotate(SAMPLES, backend="offline", out=out)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    evaluation = annotator.evaluate(out, GOLD)
    assert evaluation.metrics.claims.gold == 59 and evaluation.metrics.claims.f1 > 0.5


def test_eval_command_from_another_folder_with_moved_inputs(tmp_path: Path, monkeypatch):
    inputs = tmp_path / "inputs"
    shutil.copytree(SAMPLES, inputs)
    out = tmp_path / "out"
    annotator.annotate(inputs, backend="offline", out=out)
    shutil.rmtree(inputs)  # the run's recorded sources no longer exist
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(app, ["eval", str(out), "--gold", str(GOLD), "-q", "--json", "m.json"])
    assert result.exit_code == 0, result.output
    assert json.loads((tmp_path / "m.json").read_text())["claims"]["gold"] == 59


def test_bad_input_types_are_named():
    with pytest.raises(TypeError, match=r"inputs\[1\]: expected str or Article, got int"):
        annotator.annotate([SENTENCE, 3], backend="offline")  # type: ignore[list-item]


def test_the_public_face_is_flat_and_listed():
    assert set(annotator.__all__) >= {"annotate", "annotate_async", "load_run", "evaluate", "ArticleResult"}
    for name in annotator.__all__:
        assert getattr(annotator, name) is not None
    with pytest.raises(AttributeError):
        annotator.no_such_name  # noqa: B018


def test_help_and_import_load_neither_openai_nor_instructor():
    probe = (
        "import sys, annotator, annotator.cli; "
        "print(sorted(m for m in ('openai', 'instructor', 'scipy', 'sklearn', 'trafilatura') if m in sys.modules))"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    found = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True, env=env)
    assert found.stdout.strip() == "[]"


def test_version_option():
    result = CliRunner().invoke(app, ["--version"])
    assert result.exit_code == 0 and result.output.strip() == f"annotator {annotator.__version__}"
