"""One annotation run end to end: build the backend, load, annotate, write the folder.

Every entry point runs through :func:`execute`: the command line (which only parses
options and draws progress through a :class:`RunObserver`), the Python API
(:func:`annotator.annotate`), and the tests. A run with an output folder writes every
article's result as it finishes, then ``claims.jsonl`` and ``run.json``; a run without
one only returns its results.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

from annotator import __version__
from annotator.articles import ArticleSource, LoadFailure, LoadResult
from annotator.backends import Backend, BackendChoice, BackendConfig, build_backend
from annotator.models import Article, ArticleResult
from annotator.pipeline import DEFAULT_CONCURRENCY, DEFAULT_MAX_ARTICLE_CHARS, RunTotals, run
from annotator.store import RunRecord, SkippedInput, Store


class RunObserver(Protocol):
    """What a caller may watch of a run; every method is optional in spirit (no-ops)."""

    def started(self, backend: Backend, automatic: bool, articles: int) -> None:
        """The backend is built and the input loaded: ``articles`` are about to run."""

    def skipped(self, failure: LoadFailure) -> None:
        """An input could not be read (or, ``failure.ignored``, is not an input); the run goes on."""

    def article_done(self, result: ArticleResult, cached: bool, totals: RunTotals) -> None:
        """One article finished (or was taken from the store unchanged)."""


class QuietObserver:
    """Watches nothing: the API's default."""

    def started(self, backend: Backend, automatic: bool, articles: int) -> None:
        pass

    def skipped(self, failure: LoadFailure) -> None:
        pass

    def article_done(self, result: ArticleResult, cached: bool, totals: RunTotals) -> None:
        pass


@dataclass(frozen=True)
class RunOptions:
    """How a run goes, apart from which backend does the work."""

    out: Path | None = None
    concurrency: int = DEFAULT_CONCURRENCY
    force: bool = False
    max_article_chars: int | None = DEFAULT_MAX_ARTICLE_CHARS
    """Longer articles are refused (an error naming the file); ``None`` for no limit."""


@dataclass
class RunReport:
    """What a run did: its results in input order, the inputs it skipped, its record."""

    record: RunRecord
    results: list[ArticleResult]
    load_failures: list[LoadFailure] = field(default_factory=list)
    ignored: list[LoadFailure] = field(default_factory=list)
    """Entries of the input folder that are not articles (hidden, unsupported, outputs): named, not failed."""

    @property
    def ok(self) -> bool:
        """Every input was read and every article annotated without error."""
        return not self.load_failures and all(result.ok for result in self.results)


async def execute(
    source: Path | ArticleSource | Sequence[Article],
    config: BackendConfig,
    options: RunOptions | None = None,
    observer: RunObserver | None = None,
    *,
    backend: Backend | None = None,
) -> RunReport:
    """Annotate a folder (or file) of articles, or given articles, under ``config``.

    A ``Path`` is read with the default field mapping; an :class:`ArticleSource` says how
    (format, fields, standard input). The output folder is never read as input.
    ``backend`` overrides building one from ``config`` (tests and callers with their own
    client pass an instance). Raises, before any work is done, ``OutputError`` when the
    output folder cannot be used (a file in the way, read-only, held by another run),
    ``ArticleError`` when ``source`` does not exist and ``PromptError`` for a bad template
    folder.
    """
    options = options or RunOptions()
    store = Store(options.out) if options.out is not None else None
    if store is not None:
        store.open()  # OutputError now, before anything is loaded or sent
    try:
        return await _execute(source, config, options, observer or QuietObserver(), backend, store)
    finally:
        if store is not None:
            store.abandon()  # a folder this run created and wrote nothing into goes again
            store.close()


async def _execute(
    source: Path | ArticleSource | Sequence[Article],
    config: BackendConfig,
    options: RunOptions,
    watch: RunObserver,
    backend: Backend | None,
    store: Store | None,
) -> RunReport:
    engine = backend or build_backend(config)
    loaded = _load(source, options.out)
    articles, failures = loaded.articles, loaded.failures
    automatic = config.choice is BackendChoice.auto and backend is None
    watch.started(engine, automatic, len(articles))
    for failure in [*loaded.ignored, *failures]:
        watch.skipped(failure)
    started = datetime.now(UTC)
    totals = await run(
        articles, engine, store,
        concurrency=options.concurrency, force=options.force, progress=watch.article_done,
        max_chars=options.max_article_chars,
    )
    record = _record(engine, started, datetime.now(UTC), totals, failures)
    if store is not None and articles:  # a run that found nothing leaves the last run's record alone
        store.write_claims(totals.results)
        store.write_run(record)
    return RunReport(record=record, results=totals.results, load_failures=failures, ignored=loaded.ignored)


def _load(source: Path | ArticleSource | Sequence[Article], out: Path | None) -> LoadResult:
    if isinstance(source, Path):
        source = ArticleSource(source)
    if isinstance(source, ArticleSource):
        loaded = LoadResult()
        for item in source.items(exclude=[out] if out is not None else []):
            loaded.add(item)
        return loaded
    return LoadResult(articles=list(source))


def _record(
    engine: Backend,
    started: datetime,
    finished: datetime,
    totals: RunTotals,
    failures: list[LoadFailure],
) -> RunRecord:
    return RunRecord(
        annotator_version=__version__,
        backend=engine.name,
        model=engine.model,
        endpoint=engine.endpoint,
        prompt_version=engine.prompt_version,
        mode=engine.mode,
        started=started.isoformat(),
        finished=finished.isoformat(),
        seconds=round((finished - started).total_seconds(), 3),
        articles=totals.articles,
        annotated=totals.annotated,
        skipped=totals.skipped,
        failed=totals.failed + len(failures),
        claims=totals.claims,
        dropped_claims=totals.dropped_claims,
        usage=totals.usage,
        load_failures=[SkippedInput(path=f.path, reason=f.reason) for f in failures],
        article_ids=[result.article for result in totals.results],
    )
