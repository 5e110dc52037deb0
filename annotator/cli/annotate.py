"""``annotator annotate DIR``: the everyday command. It parses options and draws
progress; the run itself is :func:`annotator.runs.execute`."""

from __future__ import annotations

import asyncio
from pathlib import Path
from types import TracebackType

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeRemainingColumn
from rich.table import Table

from annotator.articles import ArticleError, ArticleSource, FieldMap, InputFormat, LoadFailure
from annotator.backends import Backend, BackendChoice, BackendConfig
from annotator.llm.settings import ExtractionMode, LLMSettings
from annotator.models import ArticleResult
from annotator.parts import PartError, Shard
from annotator.pipeline import DEFAULT_CONCURRENCY, DEFAULT_MAX_ARTICLE_CHARS, RunTotals
from annotator.prompts import PromptError
from annotator.runs import RunOptions, RunReport, execute
from annotator.store import OutputError
from annotator.terminal import plain

console = Console(stderr=True)


def annotate(
    source: Path = typer.Argument(
        ..., metavar="INPUT", help="Folder (searched recursively), single file, or - for standard input."
    ),
    out: Path = typer.Option(Path("out"), "--out", "-o", help="Output folder (never read as input)."),
    input_format: InputFormat | None = typer.Option(
        None, "--format", "-f",
        help="Format of standard input or of a single file (default: the extension; standard input is "
        "detected as JSON, JSONL, HTML, Markdown with front matter, or text).",
    ),
    text_field: str | None = typer.Option(
        None, "--text-field", help="JSON/JSONL/CSV/TSV field holding the text (default: text, else maintext)."
    ),
    id_field: str | None = typer.Option(
        None, "--id-field", help="Field holding the article id (default: id, else file stem and record number)."
    ),
    meta_field: list[str] = typer.Option(
        [], "--meta-field", metavar="FIELD=NAME",
        help="Where a record keeps title, url, date or outlet, e.g. title=headline; repeatable. "
        "JSON names may be dotted (outlet=source.name).",
    ),
    follow_symlinks: bool = typer.Option(
        False, "--follow-symlinks", help="Read links to files outside the folder (never to hidden files)."
    ),
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
    workers: int | None = typer.Option(
        None, "--workers", min=0,
        help="Processes for the offline backend (default: the cores available; 0: in this process).",
    ),
    shard: str | None = typer.Option(
        None, "--shard", help="K/N: annotate only shard K (from 0) of N, by article id, into OUT/parts/."
    ),
    force: bool = typer.Option(False, "--force", help="Redo articles whose stored output is current."),
    max_reasks: int = typer.Option(2, min=0, help="Re-asks after an ungrounded or malformed answer."),
    max_article_tokens: int = typer.Option(6000, min=200, help="Longer articles are split into pieces."),
    max_article_chars: int = typer.Option(
        DEFAULT_MAX_ARTICLE_CHARS, min=1, help="Longer articles are refused (either backend), naming the file."
    ),
    timeout: float = typer.Option(
        120.0, "--timeout", min=0.1,
        help="Seconds one request may take in all, however the server sends its bytes; retried after. "
        "Slow local models need more.",
    ),
    temperature: float = typer.Option(0.0, min=0.0),
    seed: int | None = typer.Option(42, help="Sampling seed sent to the endpoint."),
    rpm: float | None = typer.Option(
        None, "--rpm", min=1, help="Requests per minute for the whole run (default: learned from the server)."
    ),
    tpm: float | None = typer.Option(
        None, "--tpm", min=1, help="Tokens per minute for the whole run (default: learned from the server)."
    ),
) -> None:
    """Annotate every article in INPUT and write grounded claims to --out."""
    try:
        fields = FieldMap.parse(text_field, id_field, meta_field)
    except ArticleError as error:
        console.print(f"[red]error:[/red] {plain(error)}")
        raise typer.Exit(2) from error
    articles = ArticleSource(source, format=input_format, fields=fields, follow_symlinks=follow_symlinks)
    settings = LLMSettings.from_options(
        model, base_url, mode=mode, max_reasks=max_reasks,
        max_article_tokens=max_article_tokens, temperature=temperature, seed=seed, timeout_seconds=timeout,
        requests_per_minute=rpm, tokens_per_minute=tpm,
    )
    config = BackendConfig(choice=backend, llm=settings, prompts=prompts, workers=workers)
    try:
        options = RunOptions(out=out, concurrency=concurrency, force=force, max_article_chars=max_article_chars,
                             shard=Shard.parse(shard) if shard else None)
    except PartError as error:
        console.print(f"[red]error:[/red] {plain(error)}")
        raise typer.Exit(2) from error
    observer = ProgressObserver()
    try:
        with observer:
            report = asyncio.run(execute(articles, config, options, observer))
    except (PromptError, ArticleError, OutputError) as error:
        console.print(f"[red]error:[/red] {plain(error)}")
        raise typer.Exit(2) from error
    except KeyboardInterrupt:
        console.print(f"[yellow]interrupted:[/yellow] {observer.done} articles finished and kept in {plain(out)}; "
                      "run the same command again to resume")
        raise typer.Exit(130) from None
    if not report.found:
        console.print(f"[red]error:[/red] no article found in {plain(source)} "
                      f"({len(report.load_failures)} failed, {len(report.ignored)} ignored: see above); "
                      f"nothing was written to {plain(out)}")
        raise typer.Exit(1)
    observer.summary(report, out)
    if not report.ok:
        raise typer.Exit(1)


SUMMARY_ROWS = 40
"""The summary table lists every article of a small run; beyond that, failures only."""


class ProgressObserver:
    """Draws a run on the terminal: which backend, skipped files, a progress bar, and
    the summary table at the end (rows kept for at most ``SUMMARY_ROWS`` articles)."""

    def __init__(self) -> None:
        columns = (
            TextColumn("[bold]annotating"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("claims {task.fields[claims]}  failed {task.fields[failed]}  cached {task.fields[cached]}"),
            TimeRemainingColumn(),
        )
        self._bar = Progress(*columns, console=console, transient=False)
        self._task: TaskID | None = None
        self.done = 0
        self._rows: list[tuple[str, str, str, str, str]] = []
        self._failed: list[tuple[str, str, str, str, str]] = []

    def __enter__(self) -> ProgressObserver:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self._bar.stop()

    def started(self, backend: Backend, automatic: bool, articles: int | None) -> None:
        _announce(backend, automatic)
        self._bar.start()
        self._task = self._bar.add_task("annotate", total=articles, claims=0, failed=0, cached=0)

    def skipped(self, failure: LoadFailure) -> None:
        if failure.ignored:
            console.print(f"[dim]ignored[/dim] {plain(failure.path)}: {plain(failure.reason)}")
        else:
            console.print(f"[red]skipped[/red] {plain(failure.path)}: {plain(failure.reason)}")

    def article_done(self, result: ArticleResult, cached: bool, totals: RunTotals) -> None:
        self.done += 1
        if self._task is not None:
            self._bar.update(
                self._task, advance=1, claims=totals.claims, failed=totals.failed, cached=totals.skipped
            )
        for error in result.errors:
            console.print(f"[red]failed[/red] {plain(result.source)}: {plain(error)}")
        row = (plain(result.article), str(len(result.claims)), str(result.dropped_claims),
               str(result.usage.total_tokens), "failed" if result.errors else "ok")
        if self.done <= SUMMARY_ROWS:
            self._rows.append(row)
        if result.errors and len(self._failed) < SUMMARY_ROWS:
            self._failed.append(row)

    def summary(self, report: RunReport, out: Path) -> None:
        record = report.record
        table = Table(title=f"annotator run -> {plain(out)}")
        for column in ("article", "claims", "dropped", "tokens", "status"):
            table.add_column(column, justify="left" if column in ("article", "status") else "right")
        rows = self._rows if self.done <= SUMMARY_ROWS else self._failed
        for row in sorted(rows):  # finished in any order; listed by id
            table.add_row(*row)
        for failure in report.load_failures[:SUMMARY_ROWS]:
            table.add_row(plain(Path(failure.path).name), "-", "-", "-", "unreadable")
        console.print(table)
        if self.done > SUMMARY_ROWS:
            console.print(f"({self.done} articles: the table lists failures only; every result is in {plain(out)})")
        if report.ignored:
            console.print(f"{len(report.ignored)} entries of the input ignored (named above)")
        console.print(
            f"{record.annotated} annotated, {record.skipped} unchanged (skipped), "
            f"{record.failed} failed; {record.claims} claims, "
            f"{record.dropped_claims} dropped as ungrounded; {record.usage.total_tokens} tokens "
            f"in {record.usage.requests} requests"
        )


def _announce(engine: Backend, automatic: bool) -> None:
    """First line of output: which backend runs, so nobody mistakes one for the other."""
    how = " (chosen automatically)" if automatic else ""
    if engine.name == "offline":
        reason = ": no endpoint or API key configured" if automatic else ""
        workers = getattr(engine, "workers", 0)
        where = f", {workers} worker processes" if workers > 1 else ""
        console.print(f"annotator: offline backend {plain(engine.model)}{how}{reason}{where}")
    else:
        console.print(
            f"annotator: LLM backend, model {plain(engine.model)} at {plain(engine.endpoint)}{how}, "
            f"prompt version {engine.prompt_version}"
        )
