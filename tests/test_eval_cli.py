"""``annotator eval`` through typer's CliRunner: outputs, floors, suites, baselines, bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from eval_support import ARTICLE_ID, ROOT, TEXT, gold_article, write_articles, write_gold, write_run
from typer.testing import CliRunner

from annotator.cli import app
from annotator.evaluation.thresholds import ThresholdError, load_suite, parse_floors

runner = CliRunner()


@pytest.fixture
def folders(tmp_path: Path) -> dict[str, Path]:
    articles = write_articles(tmp_path / "articles")
    worse = gold_article()
    worse["claims"] = worse["claims"][:4]
    worse["claims"][0]["hedging"] = "high"
    return {
        "articles": articles,
        "gold": write_gold(tmp_path / "gold"),
        "perfect": write_run(tmp_path / "perfect", gold_article(), articles / f"{ARTICLE_ID}.txt"),
        "worse": write_run(tmp_path / "worse", worse, articles / f"{ARTICLE_ID}.txt"),
        "tmp": tmp_path,
    }


def run(*args: str | Path):
    return runner.invoke(app, ["eval", *map(str, args)])


def test_run_folder_writes_json_report_and_details(folders) -> None:
    tmp = folders["tmp"]
    result = run(folders["worse"], "--gold", folders["gold"], "--json", tmp / "m.json",
                 "--report", tmp / "r.md", "--details", tmp / "d.jsonl")
    assert result.exit_code == 0, result.output
    data = json.loads((tmp / "m.json").read_text())
    for group, key in [("claims", "precision"), ("claims", "recall"), ("claims", "f1"), ("speaker", "accuracy"),
                       ("cue", "accuracy"), ("hedging", "accuracy"), ("hedging", "kappa"), ("stance", "accuracy"),
                       ("stance", "macro_f1"), ("attribution", "f1"), ("claims", "gold"), ("claims", "predicted")]:
        assert key in data[group], f"{group}.{key}"
    assert (data["claims"]["gold"], data["claims"]["predicted"]) == (5, 4)
    assert data["claims"]["recall"] == pytest.approx(4 / 5)
    assert data["hedging"]["accuracy"] == pytest.approx(3 / 4)
    records = [json.loads(line) for line in (tmp / "d.jsonl").read_text().splitlines()]
    kinds = sorted(r["kind"] for r in records)
    assert kinds == ["matched"] * 4 + ["missed"]
    assert next(r for r in records if r["differs"])["differs"] == ["hedging"]
    report = (tmp / "r.md").read_text()
    assert "## Summary" in report and "## Matching views" in report
    assert "hedging: none -> high" in report  # the differences table names both values
    assert "claims F1" in result.output  # rich summary table on the terminal


def test_texts_come_from_the_run_source_without_articles_option(folders) -> None:
    # write_run recorded the article's path as ArticleResult.source
    result = run(folders["perfect"], "--gold", folders["gold"], "--fail-under", "claims.f1=1,attribution.f1=1")
    assert result.exit_code == 0, result.output


def test_fail_under_exits_one_when_a_floor_is_missed(folders) -> None:
    result = run(folders["worse"], "--gold", folders["gold"], "--articles", folders["articles"],
                 "--fail-under", "claims.f1=0.8,attribution.f1=0.95", "-q")
    assert result.exit_code == 1
    assert "attribution.f1 >= 0.95" in result.output and "BELOW FLOOR" in result.output


@pytest.mark.parametrize("spec", ["claims.f1", "claims.f1=high", "nosuch.metric=0.5"])
def test_bad_floor_specs_exit_two_with_a_message(folders, spec: str) -> None:
    result = run(folders["perfect"], "--gold", folders["gold"], "--fail-under", spec, "-q")
    assert result.exit_code == 2
    assert "error:" in result.output and "Traceback" not in result.output


def test_suite_floors_from_a_thresholds_file(folders) -> None:
    thresholds = folders["tmp"] / "t.toml"
    thresholds.write_text('[ok]\n"claims.precision" = 1.0\n[strict]\n"claims.recall" = 0.9\n'
                          '[unscorable]\n"hedging.kappa" = 0.5\n')
    base = [folders["worse"], "--gold", folders["gold"], "--thresholds", thresholds, "-q"]
    assert run(*base, "--suite", "ok").exit_code == 0
    assert run(*base, "--suite", "strict").exit_code == 1
    missing = run(*base, "--suite", "nosuch")
    assert missing.exit_code == 2 and "no suite [nosuch]" in missing.output


def test_floor_on_a_null_metric_fails(folders, tmp_path: Path) -> None:
    gold = gold_article()
    for claim in gold["claims"]:
        claim["hedging"] = None
    gold_dir = write_gold(tmp_path / "unlabelled", gold)
    result = run(folders["perfect"], "--gold", gold_dir, "--fail-under", "hedging.accuracy=0.5", "-q")
    assert result.exit_code == 1
    assert "null (nothing scored)" in result.output


def test_baseline_prints_deltas_and_right_to_wrong_items(folders) -> None:
    tmp = folders["tmp"]
    assert run(folders["perfect"], "--gold", folders["gold"], "--json", tmp / "base.json", "-q").exit_code == 0
    result = run(folders["worse"], "--gold", folders["gold"], "--baseline", tmp / "base.json",
                 "--report", tmp / "r.md")
    assert result.exit_code == 0, result.output
    assert "claims.recall: 1.000 -> 0.800 (-0.200)" in result.output
    assert "claims[0] hedging" in result.output  # hedging went from right to wrong
    assert "claims[4] claims" in result.output  # the dropped claim is no longer found
    assert "## Against baseline" in (tmp / "r.md").read_text()


def test_unwritable_output_exits_two(folders) -> None:
    unwritable = folders["tmp"] / "no" / "such" / "m.json"
    result = run(folders["perfect"], "--gold", folders["gold"], "--json", unwritable, "-q")
    assert result.exit_code == 2 and "cannot write" in result.output


def test_bad_baseline_exits_two(folders) -> None:
    bad = folders["tmp"] / "bad.json"
    bad.write_text("{not json")
    result = run(folders["perfect"], "--gold", folders["gold"], "--baseline", bad)
    assert result.exit_code == 2 and "bad.json" in result.output


def test_invalid_gold_names_file_claim_and_field(folders, tmp_path: Path) -> None:
    gold = gold_article()
    gold["claims"][2]["hedging"] = "maybe"
    gold_dir = write_gold(tmp_path / "broken", gold)
    result = run(folders["perfect"], "--gold", gold_dir)
    assert result.exit_code == 2
    assert f"{ARTICLE_ID}.json: claims[2].hedging" in result.output
    assert "Traceback" not in result.output


def test_gold_content_not_in_article_is_an_input_error(folders, tmp_path: Path) -> None:
    gold = gold_article()
    gold["claims"][1]["content"] = "words the article never had"
    result = run(folders["perfect"], "--gold", write_gold(tmp_path / "g2", gold), "--articles", folders["articles"])
    assert result.exit_code == 2
    assert "claims[1].content: not found" in result.output


def test_missing_texts_and_folders_are_reported(folders, tmp_path: Path) -> None:
    pred = write_gold(tmp_path / "pred")  # gold-format predictions carry no source path
    result = run(pred, "--gold", folders["gold"])
    assert result.exit_code == 2 and "no text for article" in result.output
    result = run(tmp_path / "nowhere", "--gold", folders["gold"])
    assert result.exit_code == 2 and "not a folder" in result.output


def test_changed_text_falls_back_to_locating_fields(folders, tmp_path: Path) -> None:
    # The run's offsets refer to another text (hash differs): fields are located afresh.
    shifted = "Breaking. " + TEXT
    articles = write_articles(tmp_path / "shifted", {ARTICLE_ID: shifted})
    result = run(folders["perfect"], "--gold", folders["gold"], "--articles", articles,
                 "--fail-under", "views.strict.f1=1.0", "-q")
    assert result.exit_code == 0, result.output


def test_repository_thresholds_file_has_a_gold_vs_gold_suite() -> None:
    floors = load_suite(ROOT / "eval" / "thresholds.toml", "polnear-dev-gold-vs-gold")
    assert floors and all(f.minimum == 1.0 for f in floors)
    assert {"claims.f1", "attribution.f1"} <= {f.metric for f in floors}


def test_parse_floors() -> None:
    assert [(f.metric, f.minimum) for f in parse_floors("claims.f1=0.8, attribution.f1=0.7")] == [
        ("claims.f1", 0.8), ("attribution.f1", 0.7)]
    with pytest.raises(ThresholdError):
        parse_floors("claims.f1>0.8")
