"""HTML pages: the main text and the page's metadata, both through trafilatura.

The text is trafilatura's main-text extraction (no comments, no tables: boilerplate and
navigation stay out). The metadata comes from the page's markup (``<title>``, Open
Graph and JSON-LD, canonical link): title, url, date and outlet (the site name, else
the URL's host). Dates are only taken from markup, never guessed from the running text
(htmldate's extensive search is off): a wrong date is worse than none for a fact-checker.
"""

from __future__ import annotations

from collections.abc import Iterator

from annotator.articles.fields import make_article
from annotator.articles.outcome import ArticleError, Origin
from annotator.models import Article


def parse_html(raw: str, origin: Origin) -> Iterator[Article]:
    """The one article of an HTML page."""
    import trafilatura  # seconds to import; only HTML input pays for it

    try:
        text = trafilatura.extract(raw, include_comments=False, include_tables=False)
        meta = trafilatura.extract_metadata(raw, extensive=False) if text and text.strip() else None
    except Exception as error:  # lxml and trafilatura raise assorted errors on hostile markup
        raise ArticleError(f"HTML could not be parsed: {type(error).__name__}: {error}") from error
    if not text or not text.strip() or meta is None:
        raise ArticleError("no main text found in the HTML")
    yield make_article(origin.stem, text, origin.name, title=meta.title, url=meta.url, date=meta.date,
                       outlet=meta.sitename)
