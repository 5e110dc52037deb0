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
from annotator.articles import LoadFailure, load_folder
from annotator.backends import Backend, BackendChoice, BackendConfig, build_backend
from annotator.models import Article, ArticleResult
from annotator.pipeline import DEFAULT_CONCURRENCY, RunTotals, run
from annotator.store import RunRecord, SkippedInput, Store


class RunObserver(Protocol):
    """What a caller may watch of a run; every method is optional in spirit (no-ops)."""

    def started(self, backend: Backend, automatic: bool, articles: int) -> None:
        """The backend is built and the input loaded: ``articles`` are about to run."""

    def skipped(self, failure: LoadFailure) -> None:
        """An input file could not be read; the run goes on without it."""

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


@dataclass
class RunReport:
    """What a run did: its results in input order, the inputs it skipped, its record."""

    record: RunRecord
    results: list[ArticleResult]
    load_failures: list[LoadFailure] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Every input was read and every article annotated without error."""
        return not self.load_failures and all(result.ok for result in self.results)


async def execute(
    source: Path | Sequence[Article],
    config: BackendConfig,
    options: RunOptions | None = None,
    observer: RunObserver | None = None,
    *,
    backend: Backend | None = None,
) -> RunReport:
    """Annotate a folder (or file) of articles, or given articles, under ``config``.

    ``backend`` overrides building one from ``config`` (tests and callers with their own
    client pass an instance). Raises ``ArticleError`` when ``source`` does not exist and
    ``PromptError`` for a bad template folder, before any work is done.
    """
    options = options or RunOptions()
    watch = observer or QuietObserver()
    engine = backend or build_backend(config)
    articles, failures = _load(source)
    automatic = config.choice is BackendChoice.auto and backend is None
    watch.started(engine, automatic, len(articles))
    for failure in failures:
        watch.skipped(failure)
    started = datetime.now(UTC)
    store = Store(options.out) if options.out is not None else None
    totals = await run(
        articles, engine, store,
        concurrency=options.concurrency, force=options.force, progress=watch.article_done,
    )
    record = _record(engine, started, datetime.now(UTC), totals, failures)
    if store is not None:
        store.write_claims(totals.results)
        store.write_run(record)
    return RunReport(record=record, results=totals.results, load_failures=failures)


def _load(source: Path | Sequence[Article]) -> tuple[list[Article], list[LoadFailure]]:
    if isinstance(source, Path):
        loaded = load_folder(source)
        return loaded.articles, loaded.failures
    return list(source), []


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
    )
