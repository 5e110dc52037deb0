"""``gold import-brat`` on tiny hand-made brat files (tests/data/brat), round trip to eval."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from eval_support import BRAT_DATA
from typer.testing import CliRunner

from annotator.brat import parse_ann
from annotator.cli import app
from annotator.evaluation.harness import evaluate
from annotator.gold import MANIFEST_NAME, ImportManifest, check_folder, load_texts
from annotator.gold_import import import_brat
from annotator.models import AnnotatedArticle

runner = CliRunner()
ANN, TEXT = BRAT_DATA / "ann", BRAT_DATA / "text"


@pytest.fixture
def imported(tmp_path: Path) -> Path:
    result = import_brat(ANN, TEXT, tmp_path / "gold")
    assert result.errors == []
    return tmp_path / "gold"


def load(folder: Path, article: str) -> AnnotatedArticle:
    return AnnotatedArticle.model_validate_json((folder / f"{article}.json").read_text())


def test_relations_become_claims_with_spans(imported: Path) -> None:
    doc = load(imported, "doc1")
    # E3 has no source: dropped. Four claims, in text order of their content.
    assert [c.content for c in doc.claims] == [
        '"We will win," … "and we will win big."',
        "that the plan would fail",
        "Ms. Lee told reporters she was not worried",
        "she was not worried",
    ]
    senator = doc.claims[0]
    assert (senator.mention, senator.cue) == ("the senator", "said")
    assert senator.spans is not None
    assert [(s.start, s.end) for s in senator.spans.content] == [(0, 14), (33, 55)]
    assert [(s.start, s.end) for s in senator.spans.mention] == [(15, 26)]
    # unlabelled in the corpus: null, hence unscored (via null, not [])
    assert all(c.hedging is None and c.stance is None and c.quote_type is None and c.via is None for c in doc.claims)
    assert {s.id for s in doc.speakers} == {c.speaker for c in doc.claims}


def test_claims_are_sorted_by_content_start(imported: Path) -> None:
    starts = [c.spans.content[0].start for c in load(imported, "doc1").claims if c.spans]
    assert starts == sorted(starts)


def test_content2_is_merged_into_one_discontinuous_content() -> None:
    doc = parse_ann(ANN / "doc1_bb.ann")
    senator = next(r for r in doc.relations if r.source and r.source.id == "T1")
    assert senator.content is not None and senator.content.ranges == ((0, 14), (33, 55))


def test_manifest_records_texts_and_annotators(imported: Path) -> None:
    manifest = ImportManifest.model_validate_json((imported / MANIFEST_NAME).read_text())
    assert manifest.resolve(imported, manifest.text_dir) == TEXT.resolve()
    by_article = {a.article: a for a in manifest.articles}
    assert (by_article["doc1"].annotator, by_article["doc1"].others) == ("aa", ["bb"])
    assert (by_article["doc1"].claims, by_article["doc1"].dropped) == (4, 1)
    assert by_article["doc2"].annotator == ""


def test_imported_gold_passes_check_and_scores_one_against_itself(imported: Path) -> None:
    report = check_folder(imported, load_texts(TEXT))
    assert report.errors == [] and report.claims == 5
    data = evaluate(imported, imported, resamples=20).metrics  # texts found through the manifest
    assert (data.claims.f1, data.attribution.f1) == (1.0, 1.0)
    assert all(v.f1 == 1.0 for v in data.views)
    for field in data.fields:
        expected = 1.0 if field.field.value in {"speaker", "cue"} else None
        assert field.accuracy == expected, field.field


def test_rank_two_gives_inter_annotator_agreement(tmp_path: Path, imported: Path) -> None:
    second = import_brat(ANN, TEXT, tmp_path / "second", rank=2)
    assert second.skipped == 1 and [a.article for a in second.manifest.articles] == ["doc1"]
    assert second.manifest.articles[0].annotator == "bb"
    metrics = evaluate(tmp_path / "second", imported, intersect=True, resamples=0).metrics
    # bb omitted the Critics relation: 3 of aa's 4 claims found, all with their speakers
    assert (metrics.claims.matched, metrics.claims.gold, metrics.claims.predicted) == (3, 4, 3)
    assert metrics.claims.precision == 1.0 and metrics.claims.recall == pytest.approx(0.75)


def test_cli_reports_choice_and_errors(tmp_path: Path) -> None:
    result = runner.invoke(app, ["gold", "import-brat", str(ANN), "--text", str(TEXT), "--out", str(tmp_path / "g")])
    assert result.exit_code == 0, result.output
    assert "doc1: took annotator aa (also: bb)" in result.output
    assert "imported 2 articles, 5 claims" in result.output and "1 relations without source dropped" in result.output
    check = runner.invoke(app, ["gold", "check", str(tmp_path / "g")])  # texts from the manifest
    assert check.exit_code == 0, check.output


def test_bad_annotations_are_named_and_do_not_stop_the_rest(tmp_path: Path) -> None:
    ann = tmp_path / "ann"
    shutil.copytree(ANN, ann)
    (ann / "doc2.ann").write_text("T1\tSource 0 9\tThe mayor\nE1\tAttribution:T9 Source:T1\n")
    (ann / "doc1_aa.ann").write_text(
        "T1\tSource 0 999\tfar beyond\nT2\tContent 0 5\tx\nE1\tAttribution:T1 Source:T1 Content:T2\n"
    )
    result = runner.invoke(app, ["gold", "import-brat", str(ann), "--text", str(TEXT), "--out", str(tmp_path / "g")])
    assert result.exit_code == 1
    assert "doc2.ann:2: E1 refers to undefined span 'T9'" in result.output
    assert "doc1_aa.ann: T1 offsets 0-999 outside the text" in result.output
    nowhere = str(tmp_path / "nowhere")
    missing = runner.invoke(app, ["gold", "import-brat", nowhere, "--text", str(TEXT), "--out", str(tmp_path / "h")])
    assert missing.exit_code == 2 and "not a folder" in missing.output


def test_gold_files_are_plain_gold_format(imported: Path) -> None:
    raw = json.loads((imported / "doc2.json").read_text())
    assert raw["article"] == "doc2" and raw["claims"][0]["content"] == "the budget is balanced"
    assert raw["claims"][0]["via"] is None  # explicit null survives a round trip (unscored)
