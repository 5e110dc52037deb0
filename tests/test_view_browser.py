"""The HTML view in a real browser: headless Chromium driven by Playwright.

Uses the system Chromium (Debian packages ``chromium`` and ``chromium-driver``, which
``.ci/run`` installs); Playwright's own browser download is never used. Skipped, with
the reason, only where that Chromium or the ``playwright`` package is not installed.
Screenshots go to ``tmp_path``, or to ``$ANNOTATOR_SCREENSHOTS`` when set (to look at them).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner
from view_support import GOLD, flawed_run, hostile_run, sample_run

import annotator
from annotator.cli import app
from annotator.viewer.render import write_site

CHROMIUM = Path(os.environ.get("ANNOTATOR_CHROMIUM", "/usr/bin/chromium"))
ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync",
]

playwright_api = pytest.importorskip(
    "playwright.sync_api", reason="the browser test needs the playwright package (pip install -e '.[browser]')"
)
if not CHROMIUM.exists():
    pytest.skip(
        f"no Chromium at {CHROMIUM}: install the Debian packages chromium and chromium-driver "
        "(.ci/run does) or point ANNOTATOR_CHROMIUM at one",
        allow_module_level=True,
    )


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with playwright_api.sync_playwright() as driver:
        launched = driver.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """A fresh page that records every console error and uncaught exception."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    opened = context.new_page()
    opened.errors = []
    opened.on("console", lambda message: opened.errors.append(message.text) if message.type == "error" else None)
    opened.on("pageerror", lambda error: opened.errors.append(str(error)))
    yield opened
    context.close()


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("browser")
    run = flawed_run(sample_run(root / "sample"), root / "out")
    details = root / "details.jsonl"
    result = CliRunner().invoke(app, ["eval", str(run), "--gold", str(GOLD), "--details", str(details), "--quiet"])
    assert result.exit_code == 0, result.output
    write_site(run, root / "site", details=details)
    return root


def _screenshot(page: Any, tmp_path: Path, name: str) -> Path:
    folder = Path(os.environ.get("ANNOTATOR_SCREENSHOTS", tmp_path))
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.png"
    page.screenshot(path=str(path))
    assert path.stat().st_size > 10_000, "a screenshot of a rendered page, not a blank one"
    return path


def _highlighted_claims(page: Any) -> int:
    return page.evaluate(
        """() => new Set(Array.from(document.querySelectorAll('#text .seg[data-content]'))
                 .flatMap(s => s.dataset.content.split(' '))).size"""
    )


def test_article_page_loads_highlights_every_claim_and_shows_a_clicked_claim(page, site: Path, tmp_path: Path):
    (result,) = [r for r in annotator.load_run(site / "out").results if r.article == "001_f581894d71ea3311"]
    page.goto((site / "site" / "articles" / f"{result.article}.html").as_uri())
    assert page.title().startswith(result.article)
    assert _highlighted_claims(page) == len(result.claims) > 0
    assert page.locator("#claim-list .claim-item").count() == len(result.claims)
    target = 1
    page.locator(f'#text .seg[data-content~="{target}"]').first.click()
    details = page.locator("#details")
    assert details.locator('dd[data-field="content"]').inner_text() == result.claims[target].content
    speaker = next(s for s in result.speakers if s.id == result.claims[target].speaker)
    assert speaker.name in details.locator('dd[data-field="speaker"]').inner_text()
    assert details.locator('dd[data-field="cue"]').inner_text() == result.claims[target].cue
    assert "content exact" in details.locator('dd[data-field="alignment"]').inner_text()
    assert page.locator("#text .seg.sel").count() >= 1, "the chosen claim's spans are outlined"
    _screenshot(page, tmp_path, "article")
    assert page.errors == []


def test_claim_list_selects_and_hover_previews(page, site: Path):
    (result,) = [r for r in annotator.load_run(site / "out").results if r.article == "003_cc6359ce57474f5c"]
    page.goto((site / "site" / "articles" / f"{result.article}.html").as_uri())
    last = len(result.claims) - 1
    page.locator(f'#claim-list .claim-item[data-claim="{last}"]').click()
    assert page.locator('#details dd[data-field="content"]').inner_text() == result.claims[last].content
    assert page.locator(".claim-item.active").count() == 1
    page.keyboard.press("Escape")
    page.locator('#text .seg[data-content~="0"]').first.hover()
    assert page.locator('#details dd[data-field="content"]').inner_text() == result.claims[0].content
    assert page.errors == []


def test_missed_gold_claims_are_drawn_and_explained(page, site: Path, tmp_path: Path):
    page.goto((site / "site" / "articles" / "002_782838bfb26629a2.html").as_uri())
    missed = page.locator("#text .seg.other")
    assert missed.count() > 0
    missed.first.click()
    assert "other side" in page.locator("#details .head").inner_text()
    _screenshot(page, tmp_path, "comparison")
    assert page.errors == []


def test_index_page_links_every_article(page, site: Path, tmp_path: Path):
    page.goto((site / "site" / "index.html").as_uri())
    assert page.locator("#articles tbody tr").count() == 5
    page.locator("#articles a").first.click()
    assert page.url.endswith("000_3d88e5c5ef59938c.html") and _highlighted_claims(page) > 0
    assert page.errors == []


def test_script_in_an_article_stays_text(page, tmp_path: Path):
    run = hostile_run(tmp_path / "out")
    write_site(run, tmp_path / "site")
    page.goto((tmp_path / "site" / "articles" / "hostile.html").as_uri())
    assert page.evaluate("() => window.__pwned") is None
    assert "<script>window.__pwned = 1</script>" in page.locator("#text").inner_text()
    assert page.locator("#text img, #text b, #text script").count() == 0
    page.locator("#text .seg.content").first.click()
    assert page.evaluate("() => window.__pwned") is None
    assert page.errors == []


def test_unlabelled_fields_show_a_dash(page, tmp_path: Path):
    """Imported gold labels no hedging: the panel says so with a dash, never 'null'."""
    gold = annotator.models.AnnotatedArticle.model_validate_json((GOLD / "000_3d88e5c5ef59938c.json").read_text())
    gold.claims[0].hedging = None
    text = (GOLD.parent.parent / "examples" / "articles" / "000_3d88e5c5ef59938c.txt").read_text(encoding="utf-8")
    annotator.view(gold, text=text).save(tmp_path / "gold.html")
    page.goto((tmp_path / "gold.html").as_uri())
    page.locator('#claim-list .claim-item[data-claim="0"]').click()
    assert page.locator('#details dd[data-field="hedging"]').inner_text() == "—"
    assert "null" not in page.locator("#details").inner_text()
    assert page.errors == []


def test_notebook_frame_renders_the_page(page, site: Path):
    (result,) = [r for r in annotator.load_run(site / "out").results if r.article == "004_b73952fc860debfb"]
    page.set_content(annotator.view(result)._repr_html_())
    frame = page.frame_locator("iframe")
    assert frame.locator("#claim-list .claim-item").count() == len(result.claims)
    frame.locator('#text .seg[data-content~="0"]').first.click()
    assert frame.locator('#details dd[data-field="content"]').inner_text() == result.claims[0].content
    assert page.errors == []

