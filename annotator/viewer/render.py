"""Pages to HTML: Jinja2 templates with autoescaping, every byte inline.

Article text, speaker names and every label come from untrusted input (the article,
and a model that read it), so autoescaping is on for every template, the data the
script reads is embedded with ``tojson`` (which escapes ``<``, ``>`` and ``&``), and the
script writes it back with ``textContent`` only. URLs become links only for http(s).
Each page is self-contained (CSS and JS inline, no fonts, no network), so a folder of
pages can be zipped, mailed, and opened offline.
"""

from __future__ import annotations

import html
import time
from dataclasses import asdict, dataclass
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import jinja2

from annotator.documents import Folder, read_folder
from annotator.documents import document as make_document
from annotator.models import AnnotatedArticle, ArticleResult
from annotator.store import atomic_write
from annotator.viewer.comparison import ArticleComparison, Side, compare, read_details, side_of
from annotator.viewer.pages import ArticlePage, IndexPage, article_page, index_page

_TEMPLATES = Path(__file__).parent / "templates"
INDEX_FILE = "index.html"
ARTICLES_DIR = "articles"


@cache
def environment() -> jinja2.Environment:
    """One environment per process: templates are compiled once."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(_TEMPLATES),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["safe_url"] = safe_url
    return env


def safe_url(value: str | None) -> str | None:
    """The URL if a browser may follow it from an untrusted page (http or https), else ``None``."""
    if not value:
        return None
    return value if urlsplit(value.strip()).scheme.lower() in ("http", "https") else None


def render_article(page: ArticlePage, *, index_href: str | None = None) -> str:
    """One article page as a complete HTML document."""
    return environment().get_template("article.html.j2").render(
        page=page, data=_script_data(page), index_href=index_href
    )


def render_index(index: IndexPage) -> str:
    return environment().get_template("index.html.j2").render(index=index, articles_dir=ARTICLES_DIR)


def _script_data(page: ArticlePage) -> dict[str, Any]:
    """What the page's script reads: the claims and the other side's unpaired claims."""
    other = page.comparison.only_other if page.comparison else []
    return {"claims": [asdict(c) for c in page.claims], "other": [asdict(o) for o in other]}


@dataclass(frozen=True)
class ArticleView:
    """One article rendered: ``.html`` is the page; in Jupyter it displays inline.

    The notebook shows the page in a sandboxed ``iframe`` (scripts allowed, nothing
    else), so its CSS and script neither leak into the notebook nor reach it.
    """

    article: str
    html: str

    def _repr_html_(self) -> str:
        return (
            f'<iframe title="annotator view of {html.escape(self.article)}" sandbox="allow-scripts" '
            f'style="width:100%;height:640px;border:1px solid #ccc" srcdoc="{html.escape(self.html, quote=True)}">'
            "</iframe>"
        )

    def save(self, path: Path | str) -> Path:
        """Write the page to ``path`` (atomically) and return it."""
        target = Path(path)
        atomic_write(target, self.html)
        return target


def view_article(annotation: AnnotatedArticle, text: str | None = None) -> ArticleView:
    """Render one annotation: an :class:`ArticleResult` (its stored text is used) or a gold record with ``text``."""
    from annotator.evaluation.loading import LoadedArticle

    result = annotation if isinstance(annotation, ArticleResult) else None
    loaded = LoadedArticle(
        Path(result.source if result else annotation.article),
        annotation,
        result.source if result else None,
        result.text_sha256 if result else None,
        tuple(result.errors) if result else (),
        text if text is not None else (result.text if result else None),
    )
    page = article_page(make_document(loaded))
    return ArticleView(annotation.article, render_article(page))


@dataclass(frozen=True)
class SiteReport:
    """What :func:`write_site` wrote."""

    index: Path
    pages: int
    claims: int
    failures: int
    """Files listed as failures on the index: unreadable outputs, and inputs the run skipped."""
    unreadable: int
    without_text: int
    comparison: Side | None
    seconds: float
    cpu_seconds: float


def write_site(
    folder: Path, site: Path, *, details: Path | None = None, articles: Path | None = None
) -> SiteReport:
    """Render every article of a run or gold folder, and the index, into ``site``.

    Raises ``ViewInputError`` (nothing to view) or ``DetailsError`` (details that do not
    describe this folder) before writing anything.
    """
    started, cpu = time.perf_counter(), time.process_time()
    read = read_folder(folder, articles)
    comparisons, side = _comparisons(read, details)
    importer = read.manifest.importer if read.manifest else None
    pages = []
    for doc in read.documents:
        comparison = comparisons.get(doc.annotation.article) if comparisons is not None else None
        if comparisons is not None and comparison is None and side is not None:
            comparison = ArticleComparison(side=side)
        page = article_page(doc, comparison, importer)
        atomic_write(site / ARTICLES_DIR / page.file, render_article(page, index_href=f"../{INDEX_FILE}"))
        pages.append(page)
    index = index_page(read, pages, side)
    atomic_write(site / INDEX_FILE, render_index(index))
    return SiteReport(
        index=site / INDEX_FILE,
        pages=len(pages),
        claims=index.claims,
        failures=len(index.failures),
        unreadable=len(read.unreadable),
        without_text=sum(1 for p in pages if not p.has_text),
        comparison=side,
        seconds=time.perf_counter() - started,
        cpu_seconds=time.process_time() - cpu,
    )


def _comparisons(read: Folder, details: Path | None) -> tuple[dict[str, ArticleComparison] | None, Side | None]:
    if details is None:
        return None, None
    lines = read_details(details)
    claims = {d.annotation.article: d.claims for d in read.documents}
    side = side_of(claims, lines, details)
    return {article: compare(group, side) for article, group in lines.items()}, side

