"""The Python API: annotate texts, articles or a folder; read a run back; score it.

These functions are re-exported from :mod:`annotator`; they are the same run the
command line makes (:func:`annotator.runs.execute`), typed end to end::

    import annotator
    results = annotator.annotate(["The mayor said the bridge would open."], backend="offline")
    results[0].claims[0].content        # 'the bridge would open'

:func:`annotate` also works where an event loop is already running (Jupyter), by
running the annotation on its own loop in a worker thread.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import functools
from collections.abc import Callable, Coroutine, Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar

from annotator.articles import ArticleSource
from annotator.backends import BackendChoice, BackendConfig
from annotator.llm.settings import ExtractionMode, LLMSettings
from annotator.models import Article, ArticleResult
from annotator.parts import MergeReport, Shard, check_part_name
from annotator.pipeline import DEFAULT_MAX_ARTICLE_CHARS
from annotator.runs import RunOptions, execute
from annotator.store import RunRecord, Store

if TYPE_CHECKING:
    from annotator.drift.records import Comparison
    from annotator.evaluation.harness import Evaluation
    from annotator.models import AnnotatedArticle
    from annotator.viewer.render import ArticleView, SiteReport

Inputs = str | Path | ArticleSource | Article | Iterable[str | Article]
"""What :func:`annotate` reads: a ``Path`` is a file or folder of articles; an
:class:`ArticleSource` one read with a format or field mapping of its own (a CSV's
``body`` column, a news-please dump); a ``str`` is the text of one article; an
:class:`Article` is used as is; or an iterable of these."""

T = TypeVar("T")
P = ParamSpec("P")


@dataclass(frozen=True)
class RunOutput:
    """An output folder read back: what made it, and every article's result."""

    record: RunRecord | None
    results: list[ArticleResult]


async def annotate_async(
    inputs: Inputs,
    *,
    backend: BackendChoice | str = BackendChoice.auto,
    model: str | None = None,
    base_url: str | None = None,
    mode: ExtractionMode | str | None = None,
    settings: LLMSettings | None = None,
    prompts: Path | str | None = None,
    out: Path | str | None = None,
    concurrency: int | None = None,
    force: bool = False,
    max_article_chars: int | None = DEFAULT_MAX_ARTICLE_CHARS,
    limit: int | None = None,
    sample: int | None = None,
    workers: int | None = None,
    shard: str | None = None,
    part: str | None = None,
) -> Sequence[ArticleResult]:
    """Annotate ``inputs`` and return one typed result per article, in input order.

    ``backend`` is ``"auto"`` (the LLM when an endpoint or key is configured),
    ``"llm"`` or ``"offline"``. ``model``, ``base_url`` and ``mode`` override
    ``settings`` (all LLM options; defaults and environment as on the command line).
    With ``out`` the run writes and resumes that folder exactly as ``annotator
    annotate --out`` does, and the results returned are read from it on access (the run
    holds only ids, so a corpus of any size fits); without it nothing is written and a
    list comes back.

    ``limit`` and ``sample`` annotate only the first, or a seeded random draw of, that
    many articles. ``workers``: processes for the offline backend (default: the cores
    available; 0: in this process). ``shard="K/N"`` annotates only that shard of the
    input, by article id; ``part`` names this run's share of an output folder written by
    several runs at once (shards, or partitions of a Dask job): see
    :mod:`annotator.parts` and :func:`merge`.
    An article longer than ``max_article_chars`` comes back failed, with the reason in
    ``errors``. Raises ``BackendUnavailable`` when the LLM endpoint cannot serve the run
    (down, key refused, model not served), before any article is sent.
    """
    base = settings or LLMSettings.from_options(None, None)
    llm = replace(
        base,
        model=model or base.model,
        base_url=base_url or base.base_url,
        mode=ExtractionMode(mode) if mode else base.mode,
    )
    config = BackendConfig(
        choice=BackendChoice(backend), llm=llm, prompts=Path(prompts) if prompts else None, workers=workers
    )
    options = RunOptions(
        out=Path(out) if out else None, concurrency=concurrency, force=force,
        max_article_chars=max_article_chars, limit=limit, sample=sample,
        shard=Shard.parse(shard) if shard else None, part=check_part_name(part) if part else None,
    )
    report = await execute(_source(inputs), config, options)
    return report.results


def _blocking(function: Callable[P, Coroutine[Any, Any, T]]) -> Callable[P, T]:
    """The same function for callers outside a coroutine (same parameters, same result)."""

    @functools.wraps(function)
    def run(*args: P.args, **kwargs: P.kwargs) -> T:
        return _run_anywhere(function(*args, **kwargs))

    return run


annotate = _blocking(annotate_async)
annotate.__name__ = annotate.__qualname__ = "annotate"


def load_run(out: Path | str) -> RunOutput:
    """Read an output folder back (any schema version) as typed records."""
    store = Store(Path(out))
    return RunOutput(record=store.read_run(), results=store.results())


def merge(out: Path | str, sources: Iterable[Path | str] = ()) -> MergeReport:
    """Make an output folder written in parts (shards, partitions) one run: copy
    ``sources`` into it, then write its ``claims.jsonl`` and ``run.json`` from the
    parts, as ``annotator merge`` does."""
    from annotator.parts import merge as merge_parts

    return merge_parts(Path(out), [Path(s) for s in sources])


def evaluate(
    predictions: Path | str,
    gold: Path | str,
    *,
    articles: Path | str | None = None,
    intersect: bool = False,
    seed: int = 0,
    resamples: int = 1000,
    include_stale: bool = False,
) -> Evaluation:
    """Score a run folder (or a second gold folder) against a gold folder, as
    ``annotator eval`` does; ``.metrics`` holds every figure, ``.matches`` the pairs."""
    from annotator.evaluation.harness import evaluate as run_evaluation

    return run_evaluation(
        Path(predictions),
        Path(gold),
        articles_dir=Path(articles) if articles else None,
        intersect=intersect,
        seed=seed,
        resamples=resamples,
        include_stale=include_stale,
    )


def compare(
    folder: Path | str,
    *,
    articles: Path | str | None = None,
    reference: str | None = None,
    stories: Path | str | None = None,
    aliases: Path | str | None = None,
) -> list[Comparison]:
    """Align the claims of one story across outlets and list what drifted, as
    ``annotator compare`` does: one :class:`~annotator.drift.records.Comparison` per story
    (all of ``folder`` is one story unless ``stories`` names a manifest or is ``"auto"``).

    ``folder`` is a run's output folder or a folder of gold-format files (then give the
    texts as ``articles``). ``.dump()`` gives the JSON document the command writes.
    """
    from annotator.drift.run import compare_folder

    result = compare_folder(
        Path(folder),
        articles_dir=Path(articles) if articles else None,
        reference=reference,
        stories=stories if stories is None or str(stories) == "auto" else Path(stories),
        aliases=Path(aliases) if aliases else None,
    )
    return [story.comparison for story in result.stories]


def view(article: AnnotatedArticle, *, text: str | None = None) -> ArticleView:
    """One article as an HTML page that displays inline in Jupyter (``.html`` is the page).

    ``article`` is a result of :func:`annotate` or :func:`load_run` (its stored text is
    shown), or a gold record, with its ``text``.
    """
    from annotator.viewer.render import view_article

    return view_article(article, text)


def write_view(
    folder: Path | str,
    site: Path | str | None = None,
    *,
    details: Path | str | None = None,
    articles: Path | str | None = None,
) -> SiteReport:
    """Write the pages of a run or gold folder, as ``annotator view`` does (default ``FOLDER/view``)."""
    from annotator.viewer.render import write_site

    root = Path(folder)
    return write_site(
        root,
        Path(site) if site else root / "view",
        details=Path(details) if details else None,
        articles=Path(articles) if articles else None,
    )


def _source(inputs: Inputs) -> Path | ArticleSource | list[Article]:
    """A folder or file to load, or the articles themselves."""
    if isinstance(inputs, Path | ArticleSource):
        return inputs
    items: Iterable[str | Article] = [inputs] if isinstance(inputs, str | Article) else inputs
    articles: list[Article] = []
    for number, item in enumerate(items, 1):
        if isinstance(item, Article):
            articles.append(item)
        elif isinstance(item, str):
            articles.append(Article(id=f"text-{number}", text=item, path=f"<text {number}>"))
        else:
            raise TypeError(f"inputs[{number - 1}]: expected str or Article, got {type(item).__name__}")
    return articles


def _run_anywhere(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run ``coroutine`` to completion, even from inside a running event loop.

    Inside a loop (Jupyter, an async web handler) ``asyncio.run`` is refused, so the
    work runs on a fresh loop in a worker thread while the caller's loop waits.
    """
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coroutine)
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()
