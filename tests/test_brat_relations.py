"""brat projects that attribute with binary ``R`` relations (not ``E`` events) import their claims."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from annotator.brat import BratError, parse_ann, to_annotated
from annotator.cli import app

DATA = Path(__file__).resolve().parent / "data" / "brat_relations"


def _gold(name: str, ann: Path | None = None) -> dict:
    text = (DATA / "text" / f"{name}.txt").read_text(encoding="utf-8")
    doc = parse_ann(ann or DATA / "ann" / f"{name}.ann")
    return json.loads(to_annotated(doc, text, name).model_dump_json(by_alias=True))


def test_cue_anchored_and_content_anchored_links_become_claims():
    gold = _gold("rel1")
    got = [(c["mention"], c["cue"], c["content"]) for c in gold["claims"]]
    assert got == [
        ("The senator", "said", "the plan would fail"),
        ("Critics", "argued", "that taxes would rise"),
        ("aides", "According to", "she was not worried"),
        ("the mayor", "insisted", "It works … and it will last"),
    ], "the relation without a source is dropped, as the scheme says"
    interrupted = gold["claims"][3]["spans"]["content"]
    assert [(s["start"], s["end"]) for s in interrupted] == [(118, 126), (150, 166)]
    assert gold["claims"][0]["hedging"] == "low" and gold["claims"][1]["hedging"] is None


def test_roles_can_come_from_the_argument_names():
    gold = _gold("rel2")
    assert [(c["mention"], c["cue"], c["content"]) for c in gold["claims"]] == [
        ("Ms. Lee", "told", "the vote was rigged")
    ]


def test_a_content_linked_only_to_its_source_has_no_cue(tmp_path: Path):
    ann = tmp_path / "rel2.ann"
    ann.write_text("T1\tSource 0 7\tMs. Lee\nT3\tContent 23 42\tthe vote was rigged\nR1\tSaid Arg1:T3 Arg2:T1\n")
    (claim,) = _gold("rel2", ann)["claims"]
    assert (claim["mention"], claim["cue"], claim["content"]) == ("Ms. Lee", None, "the vote was rigged")


def test_a_link_to_an_undefined_span_names_the_file(tmp_path: Path):
    ann = tmp_path / "bad.ann"
    ann.write_text("T1\tSource 0 7\tMs. Lee\nR1\tSaid Arg1:T1 Arg2:T9\n")
    with pytest.raises(BratError, match="R1 refers to undefined span 'T9'"):
        parse_ann(ann)


def test_a_bad_label_attribute_names_the_relation(tmp_path: Path):
    ann = tmp_path / "bad.ann"
    ann.write_text(
        "T1\tSource 0 7\tMs. Lee\nT2\tCue 8 12\ttold\nT3\tContent 23 42\tthe vote was rigged\n"
        "E1\tAttribution:T2 Source:T1 Cue:T2 Content:T3\nA1\tStance E1 sceptical\n"
    )
    doc = parse_ann(ann)
    with pytest.raises(BratError, match="E1: Stance is 'sceptical'"):
        to_annotated(doc, (DATA / "text" / "rel2.txt").read_text(), "rel2")


def test_import_brat_of_an_r_project_imports_claims(tmp_path: Path):
    result = CliRunner().invoke(
        app, ["gold", "import-brat", str(DATA / "ann"), "--text", str(DATA / "text"), "--out", str(tmp_path / "g")]
    )
    assert result.exit_code == 0, result.output
    assert "imported 2 articles, 5 claims" in result.output
    check = CliRunner().invoke(app, ["gold", "check", str(tmp_path / "g")])
    assert check.exit_code == 0, check.output


def test_an_import_that_finds_no_claim_fails_and_says_why(tmp_path: Path):
    ann, text = tmp_path / "ann", tmp_path / "text"
    ann.mkdir(), text.mkdir()
    (text / "d.txt").write_text("Ms. Lee told reporters the vote was rigged.\n")
    (ann / "d.ann").write_text("T1\tSource 0 7\tMs. Lee\nT3\tContent 23 42\tthe vote was rigged\n")
    command = ["gold", "import-brat", str(ann), "--text", str(text), "--out", str(tmp_path / "g")]
    result = CliRunner().invoke(app, command)
    assert result.exit_code == 1
    assert "1 Content span(s) that no E or R line ties to a source or cue" in result.output
    assert "no claim was imported" in result.output
