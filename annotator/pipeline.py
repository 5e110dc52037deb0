"""Articles in, grounded claims out: concurrency, grounding, entities, caching.

The pipeline owns everything both backends share. It asks a backend for claims,
grounds any the backend did not ground itself, drops and counts what cannot be found,
merges speaker names into entities, and stores the result atomically. A failing article
becomes a result with ``errors`` (redone on the next run); it never stops the others.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from annotator import __version__
from annotator.backends import Backend, Extraction, ExtractionFailed
from annotator.claims import ExtractedClaim, ground_all, verify_all
from annotator.models import (
    AnnotatedArticle,
    Article,
    ArticleResult,
    CacheKey,
    Claim,
    DroppedClaim,
    Exchange,
    Usage,
)
from annotator.secrets import redact
from annotator.speakers import SpeakerRegistry
from annotator.store import Store

DEFAULT_CONCURRENCY = 8
DEFAULT_MAX_ARTICLE_CHARS = 1_000_000
"""Articles longer than this are refused, by either backend: about 250,000 tokens, some
150 pages; the longest news features are a tenth of it. It bounds what one file can cost
(requests, time, memory); ``--max-article-chars`` raises it."""


@dataclass
class RunTotals:
    """Counters the progress bar and the summary table read."""

    articles: int = 0
    annotated: int = 0
    skipped: int = 0
    failed: int = 0
    claims: int = 0
    dropped_claims: int = 0
    usage: Usage = field(default_factory=Usage)
    results: list[ArticleResult] = field(default_factory=list)

    def add(self, result: ArticleResult, cached: bool) -> None:
        self.results.append(result)
        self.claims += len(result.claims)
        self.dropped_claims += result.dropped_claims
        if cached:
            self.skipped += 1
            return
        self.usage = self.usage + result.usage
        if result.ok:
            self.annotated += 1
        else:
            self.failed += 1


Progress = Callable[[ArticleResult, bool, RunTotals], None]
"""Called after each article: its result, whether it came from the store, the totals."""


def cache_key(article: Article, backend: Backend) -> CacheKey:
    """The key a stored result must carry to stand for this article under this backend."""
    return CacheKey(article.sha256, backend.name, backend.model, backend.prompt_version)


def build_result(article: Article, backend: Backend, extraction: Extraction, seconds: float) -> ArticleResult:
    """Ground leftovers, drop what fails, check the fields grounding does not place, and
    give every source one speaker id."""
    ungrounded = [c for c in extraction.claims if c.spans is None]
    failures = ground_all(article.text, ungrounded)
    failed_ids = {id(f.claim) for f in failures}
    kept = [c for c in extraction.claims if id(c) not in failed_ids]
    verify_all(article.text, kept)
    dropped = extraction.dropped + [DroppedClaim(content=f.claim.content, reason=f.reason) for f in failures]
    annotated = to_annotated(article.id, sorted(kept, key=_position), restatement_by=backend.name)
    return ArticleResult(
        article=article.id,
        speakers=annotated.speakers,
        claims=annotated.claims,
        **_provenance(article, backend),
        chunks=extraction.chunks,
        dropped_claims=len(dropped),
        dropped=dropped,
        usage=extraction.usage,
        seconds=round(seconds, 3),
    )


def _provenance(article: Article, backend: Backend) -> dict[str, Any]:
    """What the result says of its input and its maker: the cache key, the text and
    what the input told of the article."""
    return {
        "source": article.path,
        "text_sha256": article.sha256,
        "title": article.title,
        "url": article.url,
        "date": article.date,
        "outlet": article.outlet,
        "backend": backend.name,
        "model": backend.model,
        "prompt_version": backend.prompt_version,
        "annotator_version": __version__,
        "text": article.text,
    }


def _with_metadata(stored: ArticleResult, article: Article, store: Store) -> ArticleResult:
    """A stored result whose input now tells other metadata (a title mapped with
    ``--meta-field``, a moved file) gets it, and is rewritten; the claims stay."""
    current = {key: value for key, value in _provenance_of(article).items() if getattr(stored, key) != value}
    if not current:
        return stored
    updated = stored.model_copy(update=current)
    store.write(updated, [])
    return updated


def _provenance_of(article: Article) -> dict[str, str | None]:
    return {"source": article.path, "title": article.title, "url": article.url, "date": article.date,
            "outlet": article.outlet}


def _position(claim: ExtractedClaim) -> int:
    return claim.spans.content[0].start if claim.spans else 0


def to_annotated(
    article_id: str, claims: list[ExtractedClaim], restatement_by: str | None = None
) -> AnnotatedArticle:
    """Gold-shaped record: speaker entities plus claims that reference them by id.

    ``restatement_by`` names who wrote the restatements (the backend), so no reader
    mistakes them for the article's words."""
    registry = SpeakerRegistry()
    out = [
        Claim(
            speaker=registry.resolve(claim.speaker, claim.speaker_type, claim.mention, claim.speaker_role),
            spans=claim.spans,
            unverified=claim.unverified,
            restatement_by=restatement_by if claim.restatement else None,
            **claim.labels(),
        )
        for claim in claims
    ]
    return AnnotatedArticle(article=article_id, speakers=registry.speakers, claims=out)


def failed_result(
    article: Article, backend: Backend, message: str, seconds: float, usage: Usage | None = None
) -> ArticleResult:
    """A result that records why the article failed; the next run retries it."""
    return ArticleResult(
        article=article.id,
        **_provenance(article, backend),
        errors=[redact(message)],
        usage=usage or Usage(),
        seconds=round(seconds, 3),
    )


def too_long(article: Article, limit: int | None) -> str | None:
    """Why the article is refused for its size, or ``None``."""
    if limit is None or len(article.text) <= limit:
        return None
    return (
        f"article is {len(article.text):,} characters, over the limit of {limit:,} "
        "(--max-article-chars): split it into smaller files or raise the limit"
    )


async def annotate_one(
    article: Article, backend: Backend, max_chars: int | None = None
) -> tuple[ArticleResult, list[Exchange]]:
    """Annotate one article; any exception becomes an error result, never a crash.

    An article over ``max_chars`` is refused before the backend sees it."""
    if (refusal := too_long(article, max_chars)) is not None:
        return failed_result(article, backend, refusal, 0.0), []
    started = time.perf_counter()
    try:
        extraction = await backend.extract(article)
    except ExtractionFailed as error:
        seconds = time.perf_counter() - started
        return failed_result(article, backend, str(error), seconds, error.usage), error.exchanges
    except Exception as error:  # noqa: BLE001 - one article must not stop the folder
        message = f"{type(error).__name__}: {error}"
        return failed_result(article, backend, message, time.perf_counter() - started), []
    result = build_result(article, backend, extraction, time.perf_counter() - started)
    return result, extraction.exchanges


async def run(
    articles: Sequence[Article],
    backend: Backend,
    store: Store | None,
    *,
    concurrency: int = DEFAULT_CONCURRENCY,
    force: bool = False,
    progress: Progress | None = None,
    max_chars: int | None = DEFAULT_MAX_ARTICLE_CHARS,
) -> RunTotals:
    """Annotate ``articles`` concurrently, skipping those whose stored output is fresh.

    With ``store=None`` nothing is read or written: the results are only returned.
    Articles over ``max_chars`` characters fail without reaching the backend.
    """
    totals = RunTotals(articles=len(articles))
    gate = asyncio.Semaphore(max(1, concurrency))

    async def one(article: Article) -> None:
        cached = None
        if store is not None and not force:
            cached = store.fresh(article.id, cache_key(article, backend))
        if cached is not None and store is not None:
            result = _with_metadata(cached, article, store)
        else:
            async with gate:
                result, exchanges = await annotate_one(article, backend, max_chars)
            if store is not None:
                store.write(result, exchanges)
        totals.add(result, cached is not None)
        if progress is not None:
            progress(result, cached is not None, totals)

    await asyncio.gather(*(one(article) for article in articles))
    order = {article.id: index for index, article in enumerate(articles)}
    totals.results.sort(key=lambda r: order[r.article])
    return totals
