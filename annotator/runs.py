"""One annotation run end to end: build the backend, load, annotate, write the folder.

Every entry point runs through :func:`execute`: the command line (which only parses
options and draws progress through a :class:`RunObserver`), the Python API
(:func:`annotator.annotate`), and the tests. A run with an output folder writes every
article's result as it finishes, then ``claims.jsonl`` and ``run.json``; a run without
one only returns its results.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from annotator import __version__
from annotator.articles import ArticleSource, LoadFailure, LoadResult
from annotator.backends import Backend, BackendChoice, BackendConfig, build_backend
from annotator.llm.settings import LLMSettings
from annotator.models import Article, ArticleResult
from annotator.pipeline import DEFAULT_CONCURRENCY, DEFAULT_MAX_ARTICLE_CHARS, RunTotals, cache_key, run, too_long
from annotator.store import RunRecord, SkippedInput, Store

if TYPE_CHECKING:
    from annotator.llm.estimate import Estimate


class RunObserver(Protocol):
    """What a caller may watch of a run; every method is optional in spirit (no-ops)."""

    def started(self, backend: Backend, automatic: bool, articles: int) -> None:
        """The backend is built and the input loaded: ``articles`` are about to run."""

    def skipped(self, failure: LoadFailure) -> None:
        """An input could not be read (or, ``failure.ignored``, is not an input); the run goes on."""

    def article_done(self, result: ArticleResult, cached: bool, totals: RunTotals) -> None:
        """One article finished (or was taken from the store unchanged)."""

    def noted(self, message: str) -> None:
        """Something the backend found before the run that the user should know."""


class QuietObserver:
    """Watches nothing: the API's default."""

    def started(self, backend: Backend, automatic: bool, articles: int) -> None:
        pass

    def skipped(self, failure: LoadFailure) -> None:
        pass

    def article_done(self, result: ArticleResult, cached: bool, totals: RunTotals) -> None:
        pass

    def noted(self, message: str) -> None:
        pass


@dataclass(frozen=True)
class RunOptions:
    """How a run goes, apart from which backend does the work."""

    out: Path | None = None
    concurrency: int | None = None
    """Articles annotated at once; ``None``: one for a local LLM server (which answers one
    request at a time, so more would only queue into each other's ``--timeout``), else
    :data:`~annotator.pipeline.DEFAULT_CONCURRENCY`."""
    force: bool = False
    max_article_chars: int | None = DEFAULT_MAX_ARTICLE_CHARS
    """Longer articles are refused (an error naming the file); ``None`` for no limit."""
    limit: int | None = None
    """Annotate only the first ``limit`` articles of the input (in input order)."""
    sample: int | None = None
    """Annotate ``sample`` articles drawn at random (``sample_seed``), kept in input order."""
    sample_seed: int = 0


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
    ``ArticleError`` when ``source`` does not exist, ``PromptError`` for a bad template
    folder, and ``BackendUnavailable`` when the backend's check before the first request
    fails (an LLM endpoint that is down, refuses the key or does not serve the model).
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
    articles, failures = select(loaded.articles, options), loaded.failures
    notes = await engine.prepare() if _needs_work(articles, engine, store, options) else []
    automatic = config.choice is BackendChoice.auto and backend is None
    watch.started(engine, automatic, len(articles))
    for note in notes:
        watch.noted(note)
    for failure in [*loaded.ignored, *failures]:
        watch.skipped(failure)
    started = datetime.now(UTC)
    totals = await run(
        articles, engine, store,
        concurrency=_concurrency(engine, options), force=options.force, progress=watch.article_done,
        max_chars=options.max_article_chars,
    )
    record = _record(engine, started, datetime.now(UTC), totals, failures)
    record = record.model_copy(update={"notes": notes, "input_articles": len(loaded.articles)})
    if store is not None and articles:  # a run that found nothing leaves the last run's record alone
        store.write_claims(totals.results)
        store.write_run(record)
    return RunReport(record=record, results=totals.results, load_failures=failures, ignored=loaded.ignored)


def select(articles: list[Article], options: RunOptions) -> list[Article]:
    """The articles ``--limit`` / ``--sample`` keep, in input order."""
    if options.sample is not None and options.sample < len(articles):
        chosen = set(random.Random(options.sample_seed).sample(range(len(articles)), options.sample))
        articles = [a for i, a in enumerate(articles) if i in chosen]
    if options.limit is not None:
        articles = articles[: options.limit]
    return articles


def _concurrency(engine: Backend, options: RunOptions) -> int:
    if options.concurrency is not None:
        return options.concurrency
    settings = getattr(engine, "settings", None)
    return 1 if isinstance(settings, LLMSettings) and settings.local else DEFAULT_CONCURRENCY


def _needs_work(articles: list[Article], engine: Backend, store: Store | None, options: RunOptions) -> bool:
    """Whether any article will reach the backend (not refused for size, not stored fresh),
    so a rerun that finds everything done asks nothing of the endpoint."""
    for article in articles:
        if too_long(article, options.max_article_chars) is not None:
            continue
        if store is None or options.force or store.fresh(article.id, cache_key(article, engine)) is None:
            return True
    return False


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
    settings = getattr(engine, "settings", None)
    llm = settings if isinstance(settings, LLMSettings) else None
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
        flagged=totals.flagged,
        usage=totals.usage,
        dialect=llm.dialect.value if llm else None,
        max_tokens=llm.max_tokens if llm else None,
        context_tokens=llm.context_tokens if llm else None,
        timeout_seconds=llm.timeout_seconds if llm else None,
        load_failures=[SkippedInput(path=f.path, reason=f.reason) for f in failures],
        article_ids=[result.article for result in totals.results],
    )


@dataclass
class RunPlan:
    """What a run would do, worked out without sending anything (``--dry-run``)."""

    backend: Backend
    articles: list[Article]
    estimates: list[Estimate] | None
    """Per article, for the LLM backend; ``None`` for one that costs no tokens."""
    load_failures: list[LoadFailure] = field(default_factory=list)
    input_articles: int = 0


def plan(source: Path | ArticleSource | Sequence[Article], config: BackendConfig,
         options: RunOptions | None = None) -> RunPlan:
    """The articles a run would annotate and, for the LLM backend, the pieces and tokens of
    each: the same selection, pieces and prompts :func:`execute` would use (before a
    pre-flight, so with the dialect guessed from the URL)."""
    options = options or RunOptions()
    engine = build_backend(config)
    loaded = _load(source, options.out)
    articles = select(loaded.articles, options)
    estimates = None
    if engine.name == "llm":
        from annotator.llm.backend import LLMBackend

        assert isinstance(engine, LLMBackend)
        estimates = [engine.estimate(article) for article in articles]
    return RunPlan(engine, articles, estimates, loaded.failures, len(loaded.articles))
