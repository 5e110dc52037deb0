"""Exports and imports: Label Studio and brat round trips, the labeling config, claim tables."""

from __future__ import annotations

import csv
import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from typer.testing import CliRunner
from view_support import GOLD, SAMPLES, hostile_run, sample_run

import annotator
from annotator.cli import app
from annotator.formats.labelstudio import CONFIG_FILE, TASKS_FILE, import_export, labeling_config
from annotator.formats.tables import COLUMNS
from annotator.models import AnnotatedArticle, ArticleResult, Claim, SpeakerType


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return sample_run(tmp_path_factory.mktemp("formats") / "out")


def _invoke(*args: str) -> str:
    result = CliRunner().invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def _attributed(result: AnnotatedArticle) -> list[Claim]:
    types = {s.id: s.type for s in result.speakers}
    return [c for c in result.claims if types[c.speaker] is not SpeakerType.author]


def _covered(text: str, spans) -> set[int]:
    """Non-space characters covered: brat writes a span across a line break as one piece per line."""
    return {i for s in spans for i in range(s.start, s.end) if not text[i].isspace()}


def _as_labelstudio_export(tasks: list[dict]) -> list[dict]:
    """What Label Studio's JSON export holds after an annotator accepted every prediction."""
    exported = []
    for number, task in enumerate(tasks, 1):
        (prediction,) = task["predictions"]
        annotation = {"id": number, "completed_by": 7, "result": prediction["result"], "was_cancelled": False,
                      "ground_truth": False, "created_at": "2026-01-02T10:00:00Z"}
        exported.append({"id": number, "data": task["data"], "annotations": [annotation], "predictions": []})
    return exported


# ------------------------------------------------------------------ Label Studio


def test_labelstudio_tasks_use_only_names_and_values_of_the_labeling_config(run: Path, tmp_path: Path):
    _invoke("export", str(run), "--format", "labelstudio", "--out", str(tmp_path / "ls"))
    config = ET.fromstring((tmp_path / "ls" / CONFIG_FILE).read_text())
    assert (tmp_path / "ls" / CONFIG_FILE).read_text() == labeling_config()
    tags = {element.get("name"): element for element in config.iter() if element.get("name")}
    values = {name: {c.get("value") for c in element} for name, element in tags.items()}
    relations = {r.get("value") for r in config.iter("Relation")}
    tasks = json.loads((tmp_path / "ls" / TASKS_FILE).read_text())
    results = annotator.load_run(run).results
    assert [t["data"]["article"] for t in tasks] == [r.article for r in results]
    for task, result in zip(tasks, results, strict=True):
        assert task["data"]["text"] == result.text
        ids: set[str] = set()
        for item in task["predictions"][0]["result"]:
            if item["type"] == "relation":
                assert set(item["labels"]) <= relations and item["direction"] == "right"
                continue
            ids.add(item["id"])
            control = tags[item["from_name"]]
            assert item["to_name"] == "text" and control.get("toName") == "text"
            assert item["type"] == control.tag.lower(), f"{item['from_name']} is a {control.tag}"
            value = item["value"]
            if item["type"] == "labels":
                assert set(value["labels"]) <= values["span"]
                assert result.text[value["start"] : value["end"]] == value["text"]
            elif item["type"] == "choices":
                assert control.get("perRegion") == "true" and set(value["choices"]) <= values[item["from_name"]]
        relation_ends = {e for i in task["predictions"][0]["result"] if i["type"] == "relation"
                         for e in (i["from_id"], i["to_id"])}
        assert relation_ends <= ids, "every relation joins regions of the task"


def test_labelstudio_round_trip_gives_back_every_claim(run: Path, tmp_path: Path):
    _invoke("export", str(run), "--format", "labelstudio", "--out", str(tmp_path / "ls"))
    tasks = json.loads((tmp_path / "ls" / TASKS_FILE).read_text())
    export = tmp_path / "project.json"
    export.write_text(json.dumps(_as_labelstudio_export(tasks)))
    output = _invoke("gold", "import-labelstudio", str(export), "--out", str(tmp_path / "gold"))
    assert "0 errors" in output
    _invoke("gold", "check", str(tmp_path / "gold"))
    for result in annotator.load_run(run).results:
        gold = AnnotatedArticle.model_validate_json((tmp_path / "gold" / f"{result.article}.json").read_text())
        names = {s.id: s.name for s in gold.speakers}
        expected = sorted(_attributed(result), key=lambda c: c.spans.content[0].start)
        assert len(gold.claims) == len(expected)
        by_id = {s.id: s for s in result.speakers}
        for mine, back in zip(expected, gold.claims, strict=True):
            for name in ("content", "mention", "cue"):
                assert [(s.start, s.end) for s in getattr(back.spans, name)] == [
                    (s.start, s.end) for s in getattr(mine.spans, name)
                ], name
            assert (back.quote_type, back.hedging, back.stance) == (mine.quote_type, mine.hedging, mine.stance)
            assert (back.via, back.restatement) == (mine.via, mine.restatement)
            assert [c.lower() for c in back.hedge_cues] == [c.lower() for c in mine.hedge_cues]
            assert names[back.speaker] == by_id[mine.speaker].name
    evaluation = annotator.evaluate(run, tmp_path / "gold", resamples=0)
    assert evaluation.metrics.claims.f1 == 1.0


def test_labelstudio_import_takes_the_ground_truth_and_realigns_utf16_offsets(tmp_path: Path):
    text = "🙂 Ann said the 🌉 bridge would open."
    content_at = text.index("the")
    utf16 = len(text[:content_at].encode("utf-16-le")) // 2

    def region(rid, label, start, end, value):
        return {"id": rid, "from_name": "span", "to_name": "text", "type": "labels",
                "value": {"start": start, "end": end, "text": value, "labels": [label]}}

    good = [
        region("c", "Content", utf16, utf16 + len("the 🌉 bridge would open") + 1, "the 🌉 bridge would open"),
        region("s", "Source", 2 + 1, 5 + 1, "Ann"),
        region("k", "Cue", text.index("said") + 1, text.index("said") + 5, "said"),
        {"type": "relation", "from_id": "s", "to_id": "c", "direction": "right", "labels": []},
        {"type": "relation", "from_id": "k", "to_id": "c", "direction": "left", "labels": []},
        {"id": "c", "from_name": "hedging", "to_name": "text", "type": "choices", "value": {"choices": ["low"]}},
    ]
    task = {"id": 3, "data": {"text": text, "article": "bridge"}, "annotations": [
        {"id": 1, "result": good, "ground_truth": True, "created_at": "2026-01-01"},
        {"id": 2, "result": [], "created_at": "2026-02-01"},
        {"id": 3, "result": [], "was_cancelled": True, "created_at": "2026-03-01"},
    ]}
    path = tmp_path / "export.json"
    path.write_text(json.dumps([task, {"id": 4, "data": {"text": "x"}, "annotations": []}]))
    result = import_export(path, tmp_path / "gold")
    assert result.errors == [] and len(result.skipped) == 1 and result.realigned == 3
    gold = AnnotatedArticle.model_validate_json((tmp_path / "gold" / "bridge.json").read_text())
    (claim,) = gold.claims
    assert (claim.mention, claim.cue, claim.content) == ("Ann", "said", "the 🌉 bridge would open")
    assert claim.hedging.value == "low" and claim.quote_type is None, "unset choices stay unlabelled"
    assert (tmp_path / "gold" / "_texts" / "bridge.txt").read_text() == text


def test_labelstudio_import_reports_bad_tasks_by_name(tmp_path: Path):
    tasks = [
        {"id": 1, "data": {"text": "Ann said it."}, "annotations": [{"id": 1, "result": [
            {"id": "c", "from_name": "span", "to_name": "text", "type": "labels",
             "value": {"start": 0, "end": 3, "text": "Bob", "labels": ["Content"]}}]}]},
        {"id": 2, "data": {"body": "no text field"}, "annotations": []},
    ]
    path = tmp_path / "export.json"
    path.write_text(json.dumps(tasks))
    result = CliRunner().invoke(app, ["gold", "import-labelstudio", str(path), "--out", str(tmp_path / "g")])
    assert result.exit_code == 1
    assert "task 1, region c: 'Bob' is not at 0-3 nor anywhere in the text" in result.output
    assert "task 2: no text in data.text" in result.output
    broken = tmp_path / "broken.json"
    broken.write_text("[{")
    result = CliRunner().invoke(app, ["gold", "import-labelstudio", str(broken), "--out", str(tmp_path / "g")])
    assert result.exit_code == 2 and "broken.json: cannot read a Label Studio export" in result.output


def test_gold_exports_as_annotations(tmp_path: Path):
    _invoke("export", str(GOLD), "--format", "labelstudio", "--articles", str(SAMPLES), "--out", str(tmp_path / "ls"))
    tasks = json.loads((tmp_path / "ls" / TASKS_FILE).read_text())
    assert all("annotations" in t and "predictions" not in t for t in tasks)
    export = tmp_path / "project.json"
    export.write_text(json.dumps(tasks))
    _invoke("gold", "import-labelstudio", str(export), "--out", str(tmp_path / "again"))
    evaluation = annotator.evaluate(tmp_path / "again", GOLD, articles=SAMPLES, resamples=0)
    assert evaluation.metrics.claims.f1 == 1.0 and evaluation.metrics.attribution.f1 == 1.0
    scored = {f.field.value: f.accuracy for f in evaluation.metrics.fields}
    assert all(scored[name] == 1.0 for name in ("speaker", "cue", "quote_type", "via", "hedging", "stance"))


# ------------------------------------------------------------------ brat


def test_brat_round_trip_through_import_brat(run: Path, tmp_path: Path):
    _invoke("export", str(run), "--format", "brat", "--out", str(tmp_path / "brat"))
    assert (tmp_path / "brat" / "annotation.conf").exists()
    output = _invoke("gold", "import-brat", str(tmp_path / "brat"), "--text", str(tmp_path / "brat"),
                     "--out", str(tmp_path / "gold"))
    assert "0 errors" in output
    _invoke("gold", "check", str(tmp_path / "gold"))
    for result in annotator.load_run(run).results:
        assert (tmp_path / "brat" / f"{result.article}.txt").read_bytes() == result.text.encode("utf-8")
        gold = AnnotatedArticle.model_validate_json((tmp_path / "gold" / f"{result.article}.json").read_text())
        expected = sorted(_attributed(result), key=lambda c: c.spans.content[0].start)
        assert len(gold.claims) == len(expected)
        text = result.text
        for mine, back in zip(expected, gold.claims, strict=True):
            for name in ("content", "mention", "cue"):
                assert _covered(text, getattr(back.spans, name)) == _covered(text, getattr(mine.spans, name)), name
            assert (back.quote_type, back.hedging, back.stance) == (mine.quote_type, mine.hedging, mine.stance)
    evaluation = annotator.evaluate(run, tmp_path / "gold", resamples=0)
    assert evaluation.metrics.claims.f1 == 1.0


def test_brat_ann_lines_quote_their_text(run: Path, tmp_path: Path):
    _invoke("export", str(run), "--format", "brat", "--out", str(tmp_path / "brat"))
    for ann in (tmp_path / "brat").glob("*.ann"):
        text = ann.with_suffix(".txt").read_text(encoding="utf-8")
        for line in ann.read_text(encoding="utf-8").splitlines():
            if line.startswith("T"):
                _, body, covered = line.split("\t")
                pieces = [tuple(map(int, p.split())) for p in body.split(" ", 1)[1].split(";")]
                assert covered == " ".join(text[a:b] for a, b in pieces)
                assert all("\n" not in text[a:b] for a, b in pieces), "brat spans do not cross line breaks"


# ------------------------------------------------------------------ tables


def test_csv_table_has_metadata_and_offsets(run: Path, tmp_path: Path):
    _invoke("export", str(run), "--format", "csv", "--out", str(tmp_path / "claims.csv"))
    with (tmp_path / "claims.csv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    results = {r.article: r for r in annotator.load_run(run).results}
    assert tuple(rows[0]) == COLUMNS and len(rows) == sum(len(r.claims) for r in results.values())
    for row in rows:
        result: ArticleResult = results[row["article"]]
        claim = result.claims[int(row["claim_index"])]
        assert result.text[int(row["content_start"]):int(row["content_end"])].startswith(claim.content[:10])
        if row["mention_start"]:
            assert result.text[int(row["mention_start"]):int(row["mention_end"])] == claim.mention
        if row["cue_start"]:
            assert result.text[int(row["cue_start"]):int(row["cue_end"])] == claim.cue
        assert row["backend"] == "offline" and row["prompt_version"] == result.prompt_version
        assert row["via"] == "; ".join(claim.via or [])


def test_parquet_table_keeps_types_and_metadata(tmp_path: Path):
    pq = pytest.importorskip("pyarrow.parquet", reason="Parquet needs the tables extra (pyarrow)")
    article = annotator.Article(id="a1", text="The mayor said the bridge would open.", path="a1.txt",
                                title="Bridge", url="https://x.test/a", date="2025-07-01", outlet="x.test")
    annotator.annotate([article], backend="offline", out=tmp_path / "out")
    _invoke("export", str(tmp_path / "out"), "--format", "parquet")
    table = pq.read_table(tmp_path / "out" / "exports" / "claims.parquet")
    assert table.column_names == list(COLUMNS)
    assert str(table.schema.field("via").type) == "list<element: string>"
    assert str(table.schema.field("content_start").type) == "int64"
    (row,) = table.to_pylist()
    metadata = (row["title"], row["url"], row["date"], row["outlet"])
    assert metadata == ("Bridge", "https://x.test/a", "2025-07-01", "x.test")
    assert (row["content"], row["content_start"], row["mention_start"], row["cue"]) == (
        "the bridge would open", 15, 0, "said"
    )


def test_tables_escape_nothing_and_lose_nothing(tmp_path: Path):
    run = hostile_run(tmp_path / "out")
    _invoke("export", str(run), "--format", "csv")
    with (run / "exports" / "claims.csv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert rows and all(row["title"] == "<script>window.__pwned = 3</script>" for row in rows)


def test_export_of_a_gold_folder_without_texts_names_the_articles(tmp_path: Path):
    result = CliRunner().invoke(app, ["export", str(GOLD), "--format", "brat", "--out", str(tmp_path / "b")])
    assert result.exit_code == 1 and "5 article(s) without text not exported (pass --articles)" in result.output
