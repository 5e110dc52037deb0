"""``gold check``: every error class is caught and named by file, claim and field."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from eval_support import ARTICLE_ID, ROOT, TEXT, gold_article, write_articles, write_gold
from typer.testing import CliRunner

from annotator.cli import app
from annotator.gold import Severity, check_folder, gold_files

runner = CliRunner()


def issues_of(tmp_path: Path, article: dict, text: str = TEXT) -> list[str]:
    gold_dir = write_gold(tmp_path / "gold", article)
    report = check_folder(gold_dir, {ARTICLE_ID: text})
    return [f"{i.location}: {i.message}" for i in report.errors]


def test_clean_gold_passes(tmp_path: Path) -> None:
    report = check_folder(write_gold(tmp_path / "gold"), {ARTICLE_ID: TEXT})
    assert report.issues == [] and report.files == 1 and report.claims == 5


def _set(claim: int, **fields) -> Callable[[dict], None]:
    def edit(article: dict) -> None:
        article["claims"][claim].update(fields)
    return edit


def _speaker(index: int, **fields) -> Callable[[dict], None]:
    def edit(article: dict) -> None:
        article["speakers"][index].update(fields)
    return edit


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (_set(2, hedging="maybe"), "claims[2].hedging: Input should be"),
        (_set(0, stance="sceptical"), "claims[0].stance: Input should be"),
        (_set(1, quote_type="quoted"), "claims[1].quote_type: Input should be"),
        (_set(3, speaker="nobody"), "claims[3].speaker: speaker 'nobody' is not an id"),
        (_set(1, content="We shall never stop"), "claims[1].content: not found verbatim"),
        (_set(1, occurrence=2), "claims[1].content: occurrence 2 of 'We will not stop' does not exist"),
        (_set(0, mention="The Malian army"), "claims[0].mention: not found in the article"),
        (_set(0, cue="announced"), "claims[0].cue: not found in the article"),
        (_set(0, hedge_cues=["may"]), "claims[0].hedge_cues: hedging is 'none' but"),
        (_speaker(1, id="army"), "speakers[1].id: duplicate speaker id 'army'"),
        (_speaker(0, type="author"), "speakers[0].type: type 'author' is for system output only"),
        (_speaker(2, type="robot"), "speakers[2].type: Input should be"),
    ],
)
def test_each_error_class_is_located(tmp_path: Path, edit, expected: str) -> None:
    article = gold_article()
    edit(article)
    found = issues_of(tmp_path, article)
    assert any(line.startswith(expected) for line in found), found


def test_whitespace_and_quote_characters_are_tolerated(tmp_path: Path) -> None:
    article = gold_article()
    article["claims"][0]["content"] = "it repelled  Tuesday morning\u2019s attacks"
    assert issues_of(tmp_path, article) == []


def test_occurrence_picks_a_repeated_passage(tmp_path: Path) -> None:
    doubled = TEXT + " A resident said the town was quiet."
    article = gold_article()
    article["claims"].append({**article["claims"][3], "occurrence": 2})
    assert issues_of(tmp_path, article, doubled) == []


def test_file_level_problems(tmp_path: Path) -> None:
    gold_dir = tmp_path / "gold"
    gold_dir.mkdir()
    (gold_dir / "mali.json").write_text(json.dumps({**gold_article(), "article": "elsewhere"}))
    (gold_dir / "broken.json").write_text("{\"article\": ")
    report = check_folder(gold_dir, {ARTICLE_ID: TEXT})
    messages = [str(i) for i in report.errors]
    assert any("broken.json: invalid JSON" in m for m in messages)
    assert any("article: article id 'elsewhere' differs from the file name 'mali'" in m for m in messages)
    assert any("no article text for 'elsewhere'" in m for m in messages)


def test_empty_folder_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    assert check_folder(tmp_path / "empty", {}).errors


def test_warnings_do_not_fail(tmp_path: Path) -> None:
    article = gold_article()
    article["speakers"].append({"id": "idle", "name": "Nobody", "type": "person", "aliases": ["he"]})
    article["claims"][4]["hedge_cues"] = ["might"]
    report = check_folder(write_gold(tmp_path / "gold", article), {ARTICLE_ID: TEXT})
    assert report.errors == []
    warnings = {i.location for i in report.issues if i.severity is Severity.warning}
    assert warnings == {"speakers[5]", "speakers[5].aliases[0]", "claims[4].hedge_cues[0]"}


def test_cli_exit_codes_and_messages(tmp_path: Path) -> None:
    articles = write_articles(tmp_path / "articles")
    good = write_gold(tmp_path / "good")
    ok = runner.invoke(app, ["gold", "check", str(good), "--articles", str(articles)])
    assert ok.exit_code == 0 and "gold check ok: 1 files, 5 claims, 0 errors" in ok.output
    bad_article = gold_article()
    bad_article["claims"][1]["content"] = "nothing like it"
    bad = write_gold(tmp_path / "bad", bad_article)
    failed = runner.invoke(app, ["gold", "check", str(bad), "--articles", str(articles)])
    assert failed.exit_code == 1
    assert f"{bad / 'mali.json'}: claims[1].content: not found verbatim" in failed.output
    no_texts = runner.invoke(app, ["gold", "check", str(good)])
    assert no_texts.exit_code == 2 and "pass --articles" in no_texts.output
    missing = runner.invoke(app, ["gold", "check", str(tmp_path / "nowhere"), "--articles", str(articles)])
    assert missing.exit_code == 2 and "not a folder" in missing.output


def test_repository_gold_passes_check() -> None:
    gold_dir, articles = ROOT / "eval" / "gold", ROOT / "examples" / "articles"
    if not gold_files(gold_dir):
        pytest.skip("no sample gold yet")
    result = runner.invoke(app, ["gold", "check", str(gold_dir), "--articles", str(articles)])
    assert result.exit_code == 0, result.output


def test_manifest_is_not_a_gold_file(tmp_path: Path) -> None:
    gold_dir = write_gold(tmp_path / "gold")
    (gold_dir / "_import.json").write_text(json.dumps({"ann_dir": "a", "text_dir": "t"}))
    assert [p.name for p in gold_files(gold_dir)] == [f"{ARTICLE_ID}.json"]
