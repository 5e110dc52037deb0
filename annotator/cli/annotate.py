"""``annotator annotate DIR``: the everyday command."""

from __future__ import annotations

import asyncio
from datetime import datetime, timezone
from pathlib import Path

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from annotator import __version__
from annotator.articles import ArticleError, LoadFailure, load_folder
from annotator.backends import Backend, BackendChoice, OfflineAdapter, resolve_choice
from annotator.llm import ExtractionMode, LLMBackend, LLMSettings
from annotator.models import ArticleResult
from annotator.pipeline import DEFAULT_CONCURRENCY, RunTotals, run
from annotator.prompts import PromptError, PromptSet
from annotator.store import RunRecord, Store

console = Console(stderr=True)


def annotate(
    directory: Path = typer.Argument(..., help="Folder (searched recursively) or single file of articles."),
    out: Path = typer.Option(Path("out"), "--out", "-o", help="Output folder."),
    backend: BackendChoice = typer.Option(
        BackendChoice.auto, help="auto: the LLM when an endpoint or key is configured, else offline."
    ),
    model: str | None = typer.Option(None, help="Model name (env ANNOTATOR_MODEL)."),
    base_url: str | None = typer.Option(
        None, "--base-url", help="OpenAI-compatible endpoint, e.g. http://127.0.0.1:8000/v1 (env OPENAI_BASE_URL)."
    ),
    mode: ExtractionMode = typer.Option(
        ExtractionMode.tools, help="tools (function calling) or json_schema / json for servers without tools."
    ),
    prompts: Path | None = typer.Option(None, "--prompts", help="Folder of prompt templates."),
    concurrency: int = typer.Option(DEFAULT_CONCURRENCY, min=1, help="Articles annotated at once."),
    force: bool = typer.Option(False, "--force", help="Redo articles whose stored output is current."),
    max_reasks: int = typer.Option(2, min=0, help="Re-asks after an ungrounded or malformed answer."),
    max_article_tokens: int = typer.Option(6000, min=200, help="Longer articles are split into pieces."),
    temperature: float = typer.Option(0.0, min=0.0),
    seed: int | None = typer.Option(42, help="Sampling seed sent to the endpoint."),
) -> None:
    """Annotate every article in DIRECTORY and write grounded claims to --out."""
    chosen = resolve_choice(backend, base_url)
    try:
        engine = _backend(chosen, model, base_url, mode, prompts, max_reasks, max_article_tokens, temperature, seed)
        loaded = load_folder(directory)
    except (PromptError, ArticleError) as error:
        console.print(f"[red]error:[/red] {error}")
        raise typer.Exit(2) from error
    _announce(engine, chosen is not backend)
    for failure in loaded.failures:
        console.print(f"[red]skipped[/red] {failure.path}: {failure.reason}")
    started = datetime.now(timezone.utc)
    store = Store(out)
    totals = asyncio.run(_run_with_progress(loaded.articles, engine, store, concurrency, force))
    store.write_claims(totals.results)
    finished = datetime.now(timezone.utc)
    store.write_run(_record(engine, mode, started, finished, totals, loaded.failures))
    _summary(totals, loaded.failures, out)
    if loaded.failures or totals.failed:
        raise typer.Exit(1)


def _backend(
    choice: BackendChoice,
    model: str | None,
    base_url: str | None,
    mode: ExtractionMode,
    prompts: Path | None,
    max_reasks: int,
    max_article_tokens: int,
    temperature: float,
    seed: int | None,
) -> Backend:
    if choice is BackendChoice.offline:
        return OfflineAdapter()
    settings = LLMSettings.from_options(
        model,
        base_url,
        mode=mode,
        max_reasks=max_reasks,
        max_article_tokens=max_article_tokens,
        temperature=temperature,
        seed=seed,
    )
    return LLMBackend(settings, PromptSet(prompts))


def _announce(engine: Backend, automatic: bool) -> None:
    """First line of output: which backend runs, so nobody mistakes one for the other."""
    how = " (chosen automatically)" if automatic else ""
    if engine.name == "offline":
        reason = ": no endpoint or API key configured" if automatic else ""
        console.print(f"annotator: offline backend {engine.model}{how}{reason}")
    else:
        console.print(
            f"annotator: LLM backend, model {engine.model} at {engine.endpoint}{how}, "
            f"prompt version {engine.prompt_version}"
        )


async def _run_with_progress(
    articles: list, engine: Backend, store: Store, concurrency: int, force: bool
) -> RunTotals:
    columns = (
        TextColumn("[bold]annotating"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("claims {task.fields[claims]}  failed {task.fields[failed]}  cached {task.fields[cached]}"),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=console, transient=False) as bar:
        task = bar.add_task("annotate", total=len(articles), claims=0, failed=0, cached=0)

        def advance(result: ArticleResult, cached: bool, totals: RunTotals) -> None:
            bar.update(task, advance=1, claims=totals.claims, failed=totals.failed, cached=totals.skipped)
            for error in result.errors:
                console.print(f"[red]failed[/red] {result.source}: {error}")

        return await run(articles, engine, store, concurrency=concurrency, force=force, progress=advance)


def _record(
    engine: Backend,
    mode: ExtractionMode,
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
        mode=mode.value if engine.name == "llm" else None,
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
        load_failures=[{"path": f.path, "reason": f.reason} for f in failures],
    )


def _summary(totals: RunTotals, failures: list[LoadFailure], out: Path) -> None:
    table = Table(title=f"annotator run -> {out}")
    for column in ("article", "claims", "dropped", "tokens", "status"):
        table.add_column(column, justify="left" if column in ("article", "status") else "right")
    for result in totals.results:
        status = "failed" if result.errors else "ok"
        table.add_row(result.article, str(len(result.claims)), str(result.dropped_claims),
                      str(result.usage.total_tokens), status)
    for failure in failures:
        table.add_row(Path(failure.path).name, "-", "-", "-", "unreadable")
    console.print(table)
    console.print(
        f"{totals.annotated} annotated, {totals.skipped} unchanged (skipped), "
        f"{totals.failed + len(failures)} failed; {totals.claims} claims, "
        f"{totals.dropped_claims} dropped as ungrounded; {totals.usage.total_tokens} tokens "
        f"in {totals.usage.requests} requests"
    )
