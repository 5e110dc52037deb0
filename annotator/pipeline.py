"""Articles in, grounded claims out: concurrency, grounding, entities, caching.

The pipeline owns everything both backends share. It asks a backend for claims,
grounds any the backend did not ground itself, drops and counts what cannot be found,
merges speaker names into entities, and stores the result atomically. A failing article
becomes a result with ``errors`` (redone on the next run); it never stops the others.
Articles stream through: read a few ahead, written as they finish, none kept.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
import time
from collections.abc import Awaitable, Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from annotator import __version__
from annotator.articles import LoadFailure
from annotator.backends import Backend, Extraction, ExtractionDeferred, ExtractionFailed, Maker
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
from annotator.store import ClaimsTable, Store, is_fresh
from annotator.suspicion import empty_but_attributed

DEFAULT_CONCURRENCY = 8
DEFAULT_MAX_ARTICLE_CHARS = 1_000_000
"""Articles longer than this are refused, by either backend: about 250,000 tokens, some
150 pages; the longest news features are a tenth of it. It bounds what one file can cost
(requests, time, memory); ``--max-article-chars`` raises it."""


@dataclass
class RunTotals:
    """Counters the progress bar and the summary table read (no per-article record)."""

    articles: int = 0
    annotated: int = 0
    skipped: int = 0
    failed: int = 0
    claims: int = 0
    dropped_claims: int = 0
    flagged: int = 0
    deferred: int = 0
    """Articles whose answer is still on its way (a provider batch): nothing written."""
    usage: Usage = field(default_factory=Usage)

    def add(self, result: ArticleResult, cached: bool) -> None:
        self.claims += len(result.claims)
        self.dropped_claims += result.dropped_claims
        self.flagged += bool(result.ok and result.warnings)
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


def build_result(article: Article, backend: Maker, extraction: Extraction, seconds: float) -> ArticleResult:
    """Ground leftovers, drop what fails, check the fields grounding does not place, and
    give every source one speaker id."""
    ungrounded = [c for c in extraction.claims if c.spans is None]
    failures = ground_all(article.text, ungrounded)
    failed_ids = {id(f.claim) for f in failures}
    kept = [c for c in extraction.claims if id(c) not in failed_ids]
    verify_all(article.text, kept)
    dropped = extraction.dropped + [DroppedClaim(content=f.claim.content, reason=f.reason) for f in failures]
    annotated = to_annotated(article.id, sorted(kept, key=_position), restatement_by=backend.name)
    warnings = list(extraction.warnings)
    if not kept and (suspicious := empty_but_attributed(article.text)) is not None:
        warnings.append(suspicious)
    return ArticleResult(
        article=article.id,
        speakers=annotated.speakers,
        claims=annotated.claims,
        **_provenance(article, backend),
        chunks=extraction.chunks,
        dropped_claims=len(dropped),
        dropped=dropped,
        usage=extraction.usage,
        warnings=warnings,
        seconds=round(seconds, 3),
    )


def _provenance(article: Article, backend: Maker) -> dict[str, Any]:
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
    """Annotate one article; any exception becomes an error result, never a crash
    (except :class:`ExtractionDeferred`, which the run handles: nothing to write yet).

    An article over ``max_chars`` is refused before the backend sees it."""
    if (refusal := too_long(article, max_chars)) is not None:
        return failed_result(article, backend, refusal, 0.0), []
    started = time.perf_counter()
    try:
        extraction = await backend.extract(article)
    except ExtractionDeferred:
        raise
    except ExtractionFailed as error:
        seconds = time.perf_counter() - started
        return failed_result(article, backend, str(error), seconds, error.usage), error.exchanges
    except Exception as error:  # noqa: BLE001 - one article must not stop the folder
        message = f"{type(error).__name__}: {error}"
        return failed_result(article, backend, message, time.perf_counter() - started), []
    seconds = time.perf_counter() - started
    if extraction.result is not None:  # built in a worker process
        result = extraction.result.model_copy(update={"seconds": round(seconds, 3)})
    else:
        result = build_result(article, backend, extraction, seconds)
    return result, extraction.exchanges


async def run(
    items: Iterable[Article | LoadFailure],
    backend: Backend,
    store: Store | None,
    *,
    concurrency: int = DEFAULT_CONCURRENCY,
    force: bool = False,
    progress: Progress | None = None,
    skipped: Callable[[LoadFailure], None] | None = None,
    claims: ClaimsTable | None = None,
    totals: RunTotals | None = None,
    max_chars: int | None = DEFAULT_MAX_ARTICLE_CHARS,
    prepare: Callable[[], Awaitable[None]] | None = None,
) -> RunTotals:
    """Annotate articles as they arrive, ``concurrency`` at a time, skipping those whose
    stored output is fresh; each result is written (and its rows appended to
    ``claims``) as soon as it is done, then handed to ``progress``.

    ``items`` is read in a thread, a few articles ahead of the work, so a folder of
    any size streams through in constant memory and slow loading (HTML) never blocks
    the event loop; inputs that could not be read go to ``skipped``. Nothing per
    article is kept here. With ``store=None`` nothing is read or written. ``totals``
    (filled in place) lets a caller read how far an interrupted run got. Articles over
    ``max_chars`` characters fail without reaching the backend. ``prepare`` is awaited
    before each article that will reach it (it checks the backend once, and raising
    stops the run).
    """
    totals = totals if totals is not None else RunTotals()
    lanes = max(1, concurrency)
    feed = _Feed(items, asyncio.get_running_loop(), lanes * 2)
    writer = ThreadPoolExecutor(max_workers=min(8, lanes), thread_name_prefix="annotator-write")

    async def one(article: Article) -> None:
        totals.articles += 1
        key = cache_key(article, backend)
        stored = await asyncio.to_thread(store.load, article.id) if store is not None else None
        cached = not force and is_fresh(stored, key, article.id)
        if cached and stored is not None and store is not None:
            written = writer.submit(_with_metadata, stored, article, store)
        else:
            if prepare is not None and too_long(article, max_chars) is None:
                await prepare()
            try:
                result, exchanges = await annotate_one(article, backend, max_chars)
            except ExtractionDeferred:
                totals.deferred += 1
                return
            if claims is not None:
                claims.begin(article.id, had_rows=bool(stored and stored.claims))
            if store is None:
                count(result, cached)
                return
            written = writer.submit(_save, store, claims, result, exchanges)
        try:
            await asyncio.wrap_future(written)
        except asyncio.CancelledError:
            if not written.cancelled():  # already being written: it finishes, so it counts
                count(written.result(), cached)
            raise
        count(written.result(), cached)

    def count(result: ArticleResult, cached: bool) -> None:
        totals.add(result, cached)
        if progress is not None:
            progress(result, cached, totals)

    async def lane() -> None:
        while (item := await feed.next()) is not None:
            if isinstance(item, LoadFailure):
                if skipped is not None:
                    skipped(item)
            else:
                await one(item)

    tasks = [asyncio.ensure_future(lane()) for _ in range(lanes)]
    try:
        try:
            await asyncio.gather(*tasks)
        except BaseException:  # one lane's error (a backend that cannot serve) ends the others
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            raise
        feed.raise_error()
    finally:
        feed.stop()
        writer.shutdown(wait=True)  # an output being written when interrupted is finished, never cut
    return totals


def _save(
    store: Store, claims: ClaimsTable | None, result: ArticleResult, exchanges: list[Exchange]
) -> ArticleResult:
    """The article's output file, then its rows: in that order, in one call, so a run
    stopped between two articles leaves both complete (the table's journal covers a kill)."""
    store.write(result, exchanges)
    if claims is not None:
        claims.append(result)
    return result


class _Feed:
    """Items read from a blocking iterator in a daemon thread, at most ``ahead`` queued.

    A daemon thread, not the loop's executor: a file that takes minutes to load must not
    hold the exit of an interrupted run (the executor's threads are waited for)."""

    def __init__(self, items: Iterable[Article | LoadFailure], loop: asyncio.AbstractEventLoop, ahead: int) -> None:
        self._queue: asyncio.Queue[Article | LoadFailure | None] = asyncio.Queue(maxsize=ahead)
        self._loop = loop
        self._stopped = threading.Event()
        self._error: BaseException | None = None
        self._ended = False
        self._thread = threading.Thread(target=self._read, args=(iter(items),), name="annotator-feed", daemon=True)
        self._thread.start()

    def _read(self, items: Iterator[Article | LoadFailure]) -> None:
        try:
            for item in items:
                if not self._put(item):
                    return
        except BaseException as error:  # noqa: BLE001 - handed to the run, which raises it
            self._error = error
        self._put(None)

    def _put(self, item: Article | LoadFailure | None) -> bool:
        """Queue ``item``, waiting for room; ``False`` once the run has stopped."""
        if self._stopped.is_set():
            return False
        try:
            future = asyncio.run_coroutine_threadsafe(self._queue.put(item), self._loop)
        except RuntimeError:  # the loop is closed
            return False
        while not self._stopped.is_set():
            try:
                future.result(timeout=0.2)
                return True
            except concurrent.futures.TimeoutError:
                continue
            except (concurrent.futures.CancelledError, RuntimeError):
                return False
        future.cancel()
        return False

    async def next(self) -> Article | LoadFailure | None:
        """The next item; ``None`` (for every lane) once the input is exhausted."""
        if self._ended:
            return None
        item = await self._queue.get()
        if item is None:
            self._ended = True
            self._queue.put_nowait(None)  # wakes the next lane waiting (there is room: we took one)
        return item

    def raise_error(self) -> None:
        if self._error is not None:
            raise self._error

    def stop(self) -> None:
        self._stopped.set()
