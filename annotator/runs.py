"""One annotation run end to end: build the backend, stream the input, annotate, write.

Every entry point runs through :func:`execute`: the command line (which only parses
options and draws progress through a :class:`RunObserver`), the Python API
(:func:`annotator.annotate`), and the tests. A run with an output folder streams its
input, writes every article's result and claim rows as it finishes, and ``run.json``
last, holding only article ids; a run without one returns its results.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Iterable, Iterator, Sequence, Sized
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from annotator import __version__
from annotator.articles import ArticleSource, LoadFailure
from annotator.backends import Backend, BackendChoice, BackendConfig, build_backend
from annotator.llm.settings import LLMSettings
from annotator.models import Article, ArticleResult
from annotator.parts import Shard, part_dir
from annotator.pipeline import DEFAULT_CONCURRENCY, DEFAULT_MAX_ARTICLE_CHARS, RunTotals, run
from annotator.store import CLAIMS_FILE, RunRecord, SkippedInput, Store, StoredResults

if TYPE_CHECKING:
    from annotator.llm.estimate import Estimate

Source = Path | ArticleSource | Iterable[Article | LoadFailure]
"""What a run reads: a folder or file, an :class:`ArticleSource`, or articles (any
iterable, read as it goes; failures in it are reported as a folder's are)."""


class RunObserver(Protocol):
    """What a caller may watch of a run; every method is optional in spirit (no-ops)."""

    def started(self, backend: Backend, automatic: bool, articles: int | None) -> None:
        """The backend is built: ``articles`` are about to run (``None``: a folder,
        streamed, whose count is known only at the end)."""

    def skipped(self, failure: LoadFailure) -> None:
        """An input could not be read (or, ``failure.ignored``, is not an input); the run goes on."""

    def article_done(self, result: ArticleResult, cached: bool, totals: RunTotals) -> None:
        """One article finished (or was taken from the store unchanged)."""

    def noted(self, message: str) -> None:
        """Something the backend found before the run that the user should know."""


class QuietObserver:
    """Watches nothing: the API's default."""

    def started(self, backend: Backend, automatic: bool, articles: int | None) -> None:
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
    shard: Shard | None = None
    """Annotate only this shard of the input (by article id); implies ``part``."""
    part: str | None = None
    """Write this run's claims table and record under ``OUT/parts/<part>/`` so that
    several runs can share one output folder (see :mod:`annotator.parts`)."""

    @property
    def part_name(self) -> str | None:
        return self.part or (self.shard.part if self.shard else None)


@dataclass
class RunReport:
    """What a run did: its results in input order, the inputs it skipped, its record.

    ``results`` is a list when the run wrote nothing; with an output folder it reads
    each result from there on access (the run itself keeps only ids)."""

    record: RunRecord
    results: Sequence[ArticleResult]
    load_failures: list[LoadFailure] = field(default_factory=list)
    ignored: list[LoadFailure] = field(default_factory=list)
    """Entries of the input folder that are not articles (hidden, unsupported, outputs): named, not failed."""
    found: int = 0
    """Articles the input held (with ``--shard``, other shards' too)."""

    @property
    def ok(self) -> bool:
        """Every input was read and every article annotated without error, to the end."""
        return self.record.failed == 0 and not self.record.interrupted


async def execute(
    source: Source,
    config: BackendConfig,
    options: RunOptions | None = None,
    observer: RunObserver | None = None,
    *,
    backend: Backend | None = None,
) -> RunReport:
    """Annotate a folder (or file) of articles, or given articles, under ``config``.

    Articles stream from the source and each result is written as it finishes, its
    claims appended to ``claims.jsonl``; ``run.json`` comes last. Interrupted (Ctrl-C:
    the task is cancelled), the run stops within a second, keeps every finished
    article, records ``interrupted`` in ``run.json`` and re-raises.

    A ``Path`` is read with the default field mapping; an :class:`ArticleSource` says how
    (format, fields, standard input). The output folder is never read as input.
    ``backend`` overrides building one from ``config`` (tests and callers with their own
    client pass an instance; it stays theirs to close). Raises, before any work is done,
    ``OutputError`` when the output folder cannot be used (a file in the way, read-only,
    held by another run of the same part), ``ArticleError`` when ``source`` does not
    exist, ``PromptError`` for a bad template folder, and ``BackendUnavailable`` when the
    backend's check before its first request fails (an LLM endpoint that is down, refuses
    the key or does not serve the model): nothing has been sent then.
    """
    options = options or RunOptions()
    part = part_dir(options.out, options.part_name) if options.out and options.part_name else None
    store = Store(options.out) if options.out is not None else None
    if store is not None:
        store.open(part=part)  # OutputError now, before anything is loaded or sent
    try:
        return await _execute(source, config, options, observer or QuietObserver(), backend, store, part)
    finally:
        if store is not None:
            store.abandon()  # a folder this run created and wrote nothing into goes again
            store.close()


async def _execute(
    source: Source,
    config: BackendConfig,
    options: RunOptions,
    watch: RunObserver,
    backend: Backend | None,
    store: Store | None,
    part: Path | None,
) -> RunReport:
    items = _items(source, options.out)  # raises ArticleError at once for a missing folder
    engine = backend or build_backend(config)
    automatic = config.choice is BackendChoice.auto and backend is None
    watch.started(engine, automatic, _expected(source, options))
    table = store.claims_table(part / CLAIMS_FILE if part else None).open() if store is not None else None
    collected = _Collector(keep=store is None)
    failures: list[LoadFailure] = []
    ignored: list[LoadFailure] = []
    preparation = _Preparation(engine, watch)

    def skipped(failure: LoadFailure) -> None:
        (ignored if failure.ignored else failures).append(failure)
        watch.skipped(failure)

    def done(result: ArticleResult, cached: bool, totals: RunTotals) -> None:
        collected.add(result)
        watch.article_done(result, cached, totals)

    started = datetime.now(UTC)
    totals = RunTotals()
    interrupted = True
    try:
        await run(
            _selected(items, options, collected), engine, store,
            concurrency=_lanes(_concurrency(engine, options), engine), force=options.force,
            progress=done, skipped=skipped, claims=table, totals=totals, max_chars=options.max_article_chars,
            prepare=preparation,
        )
        interrupted = False
    finally:
        if table is not None:
            table.close(touch=collected.found > 0)
        if backend is None:
            await engine.aclose()
        record = _record(engine, started, datetime.now(UTC), totals, failures, collected.ids,
                         interrupted, options.part_name)
        record = record.model_copy(update={"notes": preparation.notes, "input_articles": collected.found})
        # a run that found nothing, or whose backend could not serve it, leaves the last run's record alone
        if store is not None and collected.found and not preparation.refused:
            (Store(part) if part else store).write_run(record)
    results: Sequence[ArticleResult] = (
        collected.results() if store is None else StoredResults(store, collected.ids)
    )
    return RunReport(record=record, results=results, load_failures=failures, ignored=ignored, found=collected.found)


class _Preparation:
    """The backend's check before its first request (:meth:`Backend.prepare`), made once
    however many lanes reach it, and only when an article needs the backend: a rerun that
    finds everything done asks nothing of the endpoint. A failed check fails every lane."""

    def __init__(self, engine: Backend, watch: RunObserver) -> None:
        self._engine = engine
        self._watch = watch
        self._lock = asyncio.Lock()
        self._done = False
        self._error: Exception | None = None
        self.notes: list[str] = []

    @property
    def refused(self) -> bool:
        """The check failed: the run stopped before sending anything."""
        return self._error is not None

    async def __call__(self) -> None:
        async with self._lock:
            if self._error is not None:
                raise self._error
            if self._done:
                return
            try:
                self.notes = await self._engine.prepare()
            except Exception as error:
                self._error = error
                raise
            self._done = True
        for note in self.notes:
            self._watch.noted(note)


def _expected(source: Source, options: RunOptions) -> int | None:
    """How many articles the run will take, when the source can say before it is read."""
    if not isinstance(source, Sized) or options.shard is not None:
        return None
    counts = [len(source), options.limit, options.sample]
    return min(c for c in counts if c is not None)


def _llm_settings(engine: Backend) -> LLMSettings | None:
    """The settings in force of an LLM backend (``None`` for the offline one)."""
    settings = getattr(engine, "settings", None)
    return settings if isinstance(settings, LLMSettings) else None


def _concurrency(engine: Backend, options: RunOptions) -> int:
    if options.concurrency is not None:
        return options.concurrency
    llm = _llm_settings(engine)
    return 1 if llm is not None and llm.local else DEFAULT_CONCURRENCY


def _items(source: Source, out: Path | None) -> Iterable[Article | LoadFailure]:
    if isinstance(source, Path):
        source = ArticleSource(source)
    if isinstance(source, ArticleSource):
        return source.items(exclude=[out] if out is not None else [])
    return source


def _lanes(concurrency: int, engine: Backend) -> int:
    """Enough articles in flight to keep every worker process busy."""
    return max(concurrency, getattr(engine, "workers", 0) * 2)


def _selected(
    items: Iterable[Article | LoadFailure], options: RunOptions, collected: _Collector
) -> Iterator[Article | LoadFailure]:
    """The items this run annotates: its shard, then ``--sample`` (a seeded draw, kept in
    input order), then the first ``--limit``; their ids noted in input order. Every
    article is still read, so the record says how many the input held."""
    chosen = _in_shard(items, options.shard, collected)
    if options.sample is not None:
        chosen = _drawn(chosen, options.sample, random.Random(options.sample_seed))
    taken = 0
    for item in chosen:
        if isinstance(item, Article):
            if options.limit is not None and taken >= options.limit:
                continue
            taken += 1
            collected.order(item.id)
        yield item


def _in_shard(
    items: Iterable[Article | LoadFailure], shard: Shard | None, collected: _Collector
) -> Iterator[Article | LoadFailure]:
    for item in items:
        if isinstance(item, Article):
            collected.found += 1
            if shard is not None and not shard.takes(item.id):
                continue
        yield item


def _drawn(items: Iterable[Article | LoadFailure], size: int, rng: random.Random) -> Iterator[Article | LoadFailure]:
    """``size`` articles drawn uniformly (reservoir sampling: one pass, holding only the
    draw), given in input order once the input is read; unreadable inputs pass at once."""
    kept: list[tuple[int, Article]] = []
    seen = 0
    for item in items:
        if not isinstance(item, Article):
            yield item
            continue
        if len(kept) < size:
            kept.append((seen, item))
        elif (slot := rng.randrange(seen + 1)) < size:
            kept[slot] = (seen, item)
        seen += 1
    for _, article in sorted(kept, key=lambda pair: pair[0]):
        yield article


class _Collector:
    """The run's results in input order: the results themselves only when nothing is
    written (the API's in-memory contract), else only their ids."""

    def __init__(self, keep: bool) -> None:
        self._keep = keep
        self.found = 0
        """Articles in the input, this run's shard or not."""
        self.ids: list[str] = []
        self._results: dict[str, ArticleResult] = {}

    def order(self, article_id: str) -> None:
        self.ids.append(article_id)

    def add(self, result: ArticleResult) -> None:
        if self._keep:
            self._results[result.article] = result

    def results(self) -> list[ArticleResult]:
        return [self._results[i] for i in self.ids if i in self._results]


def _record(
    engine: Backend,
    started: datetime,
    finished: datetime,
    totals: RunTotals,
    failures: list[LoadFailure],
    ids: list[str],
    interrupted: bool,
    part: str | None,
) -> RunRecord:
    llm = _llm_settings(engine)
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
        deferred=totals.deferred,
        usage=totals.usage,
        dialect=llm.dialect.value if llm else None,
        max_tokens=llm.max_tokens if llm else None,
        context_tokens=llm.context_tokens if llm else None,
        timeout_seconds=llm.timeout_seconds if llm else None,
        load_failures=[SkippedInput(path=f.path, reason=f.reason) for f in failures],
        article_ids=ids,
        interrupted=interrupted,
        part=part,
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


def plan(source: Source, config: BackendConfig, options: RunOptions | None = None) -> RunPlan:
    """The articles a run would annotate and, for the LLM backend, the pieces and tokens of
    each: the same selection, pieces and prompts :func:`execute` would use (before a
    pre-flight, so with the dialect guessed from the URL)."""
    options = options or RunOptions()
    engine = build_backend(config)
    collected = _Collector(keep=False)
    articles: list[Article] = []
    failures: list[LoadFailure] = []
    for item in _selected(_items(source, options.out), options, collected):
        if isinstance(item, Article):
            articles.append(item)
        elif not item.ignored:
            failures.append(item)
    estimates = None
    if engine.name == "llm":
        from annotator.llm.backend import LLMBackend

        assert isinstance(engine, LLMBackend)
        estimates = [engine.estimate(article) for article in articles]
    return RunPlan(engine, articles, estimates, failures, collected.found)
