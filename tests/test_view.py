"""The HTML view: segments, pages, escaping, gold folders, schema 1, comparisons, CLI and API."""

from __future__ import annotations

import html
import json
import re
import subprocess
import sys
from itertools import pairwise
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner
from view_support import GOLD, HOSTILE_TEXT, ROOT, SAMPLES, flawed_run, hostile_run, sample_run

import annotator
from annotator.cli import app
from annotator.models import CharSpan
from annotator.store import read_result
from annotator.viewer.comparison import DetailsError, Side
from annotator.viewer.pages import hedge_spans
from annotator.viewer.render import safe_url, write_site
from annotator.viewer.segments import Mark, segment


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return sample_run(tmp_path_factory.mktemp("view") / "out")


@pytest.fixture(scope="module")
def flawed(run: Path) -> Path:
    return flawed_run(run, run.parent / "flawed")


@pytest.fixture(scope="module")
def details(flawed: Path) -> Path:
    path = flawed.parent / "details.jsonl"
    result = CliRunner().invoke(app, ["eval", str(flawed), "--gold", str(GOLD), "--details", str(path), "--quiet"])
    assert result.exit_code == 0, result.output
    return path


# ------------------------------------------------------------------ segments


def test_nested_and_touching_marks_cut_into_flat_segments():
    marks = [Mark(0, 10, "content"), Mark(2, 4, "hedge"), Mark(10, 14, "cue"), Mark(12, 20, "other")]
    got = [(s.start, s.end, s.tags) for s in segment(22, marks)]
    assert got == [
        (0, 2, ("content",)),
        (2, 4, ("content", "hedge")),
        (4, 10, ("content",)),
        (10, 12, ("cue",)),
        (12, 14, ("cue", "other")),
        (14, 20, ("other",)),
        (20, 22, ()),
    ]


def test_empty_and_out_of_range_marks_are_ignored_or_clipped():
    got = [(s.start, s.end, s.tags) for s in segment(5, [Mark(3, 3, "empty"), Mark(-2, 2, "a"), Mark(4, 99, "b")])]
    assert got == [(0, 2, ("a",)), (2, 4, ()), (4, 5, ("b",))]


@given(
    st.integers(min_value=1, max_value=40).flatmap(
        lambda n: st.tuples(
            st.just(n),
            st.lists(st.tuples(st.integers(0, n), st.integers(0, n)).map(sorted), max_size=12),
        )
    )
)
def test_segments_partition_the_text_and_carry_exactly_the_covering_marks(case):
    length, ranges = case
    marks = [Mark(a, b, i) for i, (a, b) in enumerate(ranges)]
    segments = segment(length, marks)
    assert segments[0].start == 0 and segments[-1].end == length
    assert all(a.end == b.start for a, b in pairwise(segments))
    for piece in segments:
        for offset in range(piece.start, piece.end):
            covering = tuple(m.tag for m in marks if m.start <= offset < m.end)
            assert piece.tags == covering


def test_hedge_cues_are_found_as_whole_words_inside_the_content():
    text = "He said the couldron could overflow."
    content = [CharSpan(start=8, end=35)]
    assert [text[a:b] for a, b in hedge_spans(text, content, ["could"])] == ["could"]
    assert hedge_spans(text, [CharSpan(start=0, end=7)], ["could"]) == []


def test_only_http_links_are_followed():
    assert safe_url("https://example.org/a") == "https://example.org/a"
    assert safe_url("javascript:alert(1)") is None
    assert safe_url(" JaVaScRiPt:alert(1)") is None
    assert safe_url("data:text/html,<b>") is None


# ------------------------------------------------------------------ pages


def _page(site: Path, article: str) -> str:
    return (site / "articles" / f"{article}.html").read_text(encoding="utf-8")


def test_every_claim_is_highlighted_and_its_labels_are_embedded(run: Path, tmp_path: Path):
    report = write_site(run, tmp_path / "site")
    results = annotator.load_run(run).results
    assert report.pages == 5 and report.claims == sum(len(r.claims) for r in results)
    for result in results:
        page = _page(tmp_path / "site", result.article)
        highlighted = {int(i) for v in re.findall(r'data-content="([^"]+)"', page) for i in v.split()}
        assert highlighted == set(range(len(result.claims)))
        data = json.loads(re.search(r'<script type="application/json" id="claims-data">(.*?)</script>', page, re.S)[1])
        assert [c["content"] for c in data["claims"]] == [c.content for c in result.claims]
        assert f"<b>prompt version</b> {result.prompt_version}" in page and result.model in page
        assert "<link" not in page and "src=\"http" not in page, "self-contained: nothing to fetch"


def test_the_text_is_reproduced_exactly_around_the_highlights(run: Path, tmp_path: Path):
    write_site(run, tmp_path / "site")
    result = annotator.load_run(run).results[1]
    page = _page(tmp_path / "site", result.article)
    body = re.search(r'<div id="text" class="text" lang="en">(.*?)</div>', page, re.S)[1]
    assert html.unescape(re.sub(r"<[^>]+>", "", body)) == result.text


def test_article_text_cannot_inject_markup(tmp_path: Path):
    run = hostile_run(tmp_path / "out")
    write_site(run, tmp_path / "site")
    page = _page(tmp_path / "site", "hostile")
    assert "<script>window.__pwned" not in page and "<img src=x" not in page and "<b>bold</b>" not in page
    assert "&lt;script&gt;window.__pwned = 1&lt;/script&gt;" in page
    assert 'href="javascript' not in page and "<span>javascript:window.__pwned = 4</span>" in page, (
        "a url a browser must not follow is shown as text, never as a link"
    )
    assert "</script><b>" not in page.split('id="claims-data">')[1].split("</script>")[0]


def test_index_lists_articles_counts_failures_and_speakers(run: Path, tmp_path: Path):
    broken = tmp_path / "run"
    subprocess.run(["cp", "-r", str(run), str(broken)], check=True)
    (broken / "articles" / "zzz.json").write_text("{not json", encoding="utf-8")
    result = CliRunner().invoke(app, ["view", str(broken), "--out", str(tmp_path / "site")])
    assert result.exit_code == 1, "an unreadable output is reported by exit code"
    index = (tmp_path / "site" / "index.html").read_text(encoding="utf-8")
    assert index.count('href="articles/') >= 5 and "zzz.json" in index and "not an article output" in index
    assert "Speakers across the run" in index and "Souleymane Dembele" in index
    total = sum(len(r.claims) for r in annotator.load_run(run).results)
    assert re.search(r'id="claim-total">(\d+)<', index)[1] == str(total)


def test_gold_folder_needs_its_texts_and_shows_them_when_given(tmp_path: Path):
    runner = CliRunner()
    without = runner.invoke(app, ["view", str(GOLD), "--out", str(tmp_path / "a")])
    assert without.exit_code == 0 and "no text to show" in without.output
    assert "text was not found" in _page(tmp_path / "a", "000_3d88e5c5ef59938c")
    with_text = runner.invoke(app, ["view", str(GOLD), "--articles", str(SAMPLES), "--out", str(tmp_path / "b")])
    assert with_text.exit_code == 0
    page = _page(tmp_path / "b", "000_3d88e5c5ef59938c")
    gold = json.loads((GOLD / "000_3d88e5c5ef59938c.json").read_text())
    highlighted = {int(i) for v in re.findall(r'data-content="([^"]+)"', page) for i in v.split()}
    assert highlighted == set(range(len(gold["claims"])))
    assert "<b>gold</b> hand-labelled" in page


def test_schema_1_outputs_find_their_text_at_the_input_or_say_why_not(run: Path, tmp_path: Path):
    old = tmp_path / "old"
    (old / "articles").mkdir(parents=True)
    current = read_result((run / "articles" / "000_3d88e5c5ef59938c.json").read_text())
    stored = current.model_dump(mode="json", by_alias=True, exclude={"schema_version", "text", "title", "url", "date"})
    stored["source"] = str(SAMPLES / "000_3d88e5c5ef59938c.txt")
    (old / "articles" / "000_3d88e5c5ef59938c.json").write_text(json.dumps(stored))
    write_site(old, tmp_path / "found")
    assert 'id="text"' in _page(tmp_path / "found", "000_3d88e5c5ef59938c")
    stored["source"] = str(tmp_path / "gone.txt")
    (old / "articles" / "000_3d88e5c5ef59938c.json").write_text(json.dumps(stored))
    report = write_site(old, tmp_path / "lost")
    page = _page(tmp_path / "lost", "000_3d88e5c5ef59938c")
    assert report.without_text == 1 and "schema 1, which stored no article text" in page
    assert current.claims[0].content[:40] in html.unescape(page), "claims are still listed"


def test_dropped_claims_and_errors_are_shown(run: Path, tmp_path: Path):
    path = run / "articles" / "004_b73952fc860debfb.json"
    edited = tmp_path / "run"
    subprocess.run(["cp", "-r", str(run), str(edited)], check=True)
    result = read_result(path.read_text())
    result.dropped = [annotator.models.DroppedClaim(content="an invented <quote>", reason="content not found")]
    result.dropped_claims = 1
    result.errors = ["timeout after 3 attempts"]
    (edited / "articles" / path.name).write_text(result.model_dump_json())
    write_site(edited, tmp_path / "site")
    page = _page(tmp_path / "site", "004_b73952fc860debfb")
    assert "an invented &lt;quote&gt;" in page and "content not found" in page and "timeout after 3 attempts" in page
    index = (tmp_path / "site" / "index.html").read_text()
    assert "timeout after 3 attempts" in index


# ------------------------------------------------------------------ comparison


def test_details_draw_missed_gold_into_the_prediction(flawed: Path, details: Path, tmp_path: Path):
    report = write_site(flawed, tmp_path / "site", details=details)
    assert report.comparison is Side.pred
    lines = [json.loads(line) for line in details.read_text().splitlines()]
    article = "002_782838bfb26629a2"
    missed = [r for r in lines if r["article"] == article and r["kind"] == "missed"]
    differing = [r for r in lines if r["article"] == article and r["kind"] == "matched" and r["differs"]]
    page = _page(tmp_path / "site", article)
    assert len(re.findall(r'<button type="button" class="link" data-other="\d+">', page)) == len(missed) > 0
    drawn = {int(i) for v in re.findall(r'<span class="seg[^"]*\bother\b[^"]*"[^>]*data-other="([^"]+)"', page)
             for i in v.split()}
    assert drawn >= set(range(len(missed)))
    assert differing, "the planted stance differs"
    for record in differing:
        for name in record["differs"]:
            assert f"<td>{name}</td>" in page
    index = (tmp_path / "site" / "index.html").read_text()
    assert "missed (in gold only)" in index


def test_details_seen_from_the_gold_folder(details: Path, tmp_path: Path):
    report = write_site(GOLD, tmp_path / "site", details=details, articles=SAMPLES)
    assert report.comparison is Side.gold
    page = _page(tmp_path / "site", "002_782838bfb26629a2")
    assert "missed by the prediction" in page and "spurious predictions" in page


def test_details_of_another_folder_are_refused(details: Path, tmp_path: Path):
    other = tmp_path / "other"
    annotator.annotate([annotator.Article(id="002_782838bfb26629a2", text="Ann said it rained.", path="x")],
                       backend="offline", out=other)
    result = CliRunner().invoke(app, ["view", str(other), "--details", str(details), "--out", str(tmp_path / "s")])
    assert result.exit_code == 2 and "not written for this folder" in result.output
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"article": "a"}\n')
    with pytest.raises(DetailsError, match=r"bad\.jsonl:1"):
        write_site(other, tmp_path / "s", details=bad)


# ------------------------------------------------------------------ CLI and API


def test_view_command_defaults_to_a_folder_inside_the_run(run: Path, tmp_path: Path):
    copy = tmp_path / "run"
    subprocess.run(["cp", "-r", str(run), str(copy)], check=True)
    result = CliRunner().invoke(app, ["view", str(copy)])
    assert result.exit_code == 0 and (copy / "view" / "index.html").exists()
    assert "wrote 5 article pages" in result.output
    assert annotator.load_run(copy).results, "the view folder does not disturb the run"


def test_pages_and_exports_written_into_the_input_folder_are_not_read_back(tmp_path: Path):
    """`annotate . --out .`, then `view .` and `export .`: the next run reads the same articles."""
    folder = tmp_path / "news"
    subprocess.run(["cp", "-r", str(SAMPLES), str(folder)], check=True)
    runner = CliRunner()
    assert runner.invoke(app, ["annotate", str(folder), "--out", str(folder), "--backend", "offline"]).exit_code == 0
    assert runner.invoke(app, ["view", str(folder)]).exit_code == 0
    assert runner.invoke(app, ["export", str(folder), "--format", "brat"]).exit_code == 0
    again = runner.invoke(app, ["annotate", str(folder), "--out", str(folder), "--backend", "offline"])
    assert again.exit_code == 0, again.output
    record = annotator.load_run(folder).record
    assert record is not None and record.articles == 5


def test_view_of_a_missing_folder_exits_2(tmp_path: Path):
    result = CliRunner().invoke(app, ["view", str(tmp_path / "nope")])
    assert result.exit_code == 2 and "not a folder" in result.output


def test_notebook_view_is_a_sandboxed_frame_of_the_page():
    (result,) = annotator.annotate([HOSTILE_TEXT], backend="offline")
    shown = annotator.view(result)
    assert isinstance(shown, annotator.ArticleView) and shown.article == result.article
    frame = shown._repr_html_()
    assert frame.startswith("<iframe") and 'sandbox="allow-scripts"' in frame
    assert "<script>" not in frame.split("srcdoc=")[1], "the page is escaped into the attribute"
    assert html.unescape(frame.split('srcdoc="')[1].rsplit('"', 1)[0]) == shown.html


def test_notebook_view_of_gold_with_its_text():
    gold = annotator.models.AnnotatedArticle.model_validate_json((GOLD / "001_f581894d71ea3311.json").read_text())
    text = (SAMPLES / "001_f581894d71ea3311.txt").read_text(encoding="utf-8")
    page = annotator.view(gold, text=text).html
    assert len({int(i) for v in re.findall(r'data-content="([^"]+)"', page) for i in v.split()}) == len(gold.claims)


def test_write_view_from_the_api(run: Path, tmp_path: Path):
    report = annotator.write_view(run, tmp_path / "site")
    assert report.index == tmp_path / "site" / "index.html" and report.pages == 5


def test_help_imports_no_table_or_browser_library():
    probe = (
        "import sys, annotator, annotator.cli; "
        "print(sorted(m for m in ('pandas', 'pyarrow', 'playwright') if m in sys.modules))"
    )
    found = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True, cwd=ROOT)
    assert found.stdout.strip() == "[]"


def test_the_panel_says_what_the_article_does_not_contain_and_who_wrote_the_restatement(tmp_path: Path):
    """A fact-checker must see what grounding refused (an injected speaker, a via no text
    has) and that the restatement is the backend's, not the article's."""
    from annotator.models import Unverified

    out = tmp_path / "out"
    annotator.annotate(["The mayor said the bridge would open."], backend="offline", out=out)
    path = out / "articles" / "text-1.json"
    result = annotator.ArticleResult.model_validate_json(path.read_text())
    result.claims[0].unverified = Unverified(speaker="NASA", via=["NASA leaks"])
    path.write_text(result.model_dump_json(), encoding="utf-8")
    write_site(out, tmp_path / "site")
    page = _page(tmp_path / "site", "text-1")
    data = json.loads(re.search(r'<script type="application/json" id="claims-data">(.*?)</script>', page, re.S)[1])
    (claim,) = data["claims"]
    assert claim["unverified"] == ["speaker 'NASA'", "via 'NASA leaks'"]
    assert claim["restatement_by"] == "offline"
