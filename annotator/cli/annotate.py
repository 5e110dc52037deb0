"""``annotator annotate DIR``: the everyday command. It parses options and draws
progress; the run itself is :func:`annotator.runs.execute`."""

from __future__ import annotations

import asyncio
from pathlib import Path
from types import TracebackType
from typing import NoReturn

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeRemainingColumn
from rich.table import Table

from annotator.articles import ArticleError, ArticleSource, FieldMap, InputFormat, LoadFailure
from annotator.backends import Backend, BackendChoice, BackendConfig, BackendUnavailable
from annotator.llm.estimate import list_price
from annotator.llm.pricing import Price
from annotator.llm.settings import Dialect, ExtractionMode, LLMSettings
from annotator.models import ArticleResult
from annotator.parts import PartError, Shard
from annotator.pipeline import DEFAULT_CONCURRENCY, DEFAULT_MAX_ARTICLE_CHARS, RunTotals
from annotator.prompts import PromptError
from annotator.runs import RunOptions, RunReport, execute, plan
from annotator.secrets import api_key
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
        ExtractionMode.auto,
        help="How structured output is asked for: tools (function calling), json_schema (a schema the "
        "server enforces), json (the schema in the prompt). auto: tools for OpenAI, json_schema for "
        "local servers.",
    ),
    dialect: Dialect = typer.Option(
        Dialect.auto,
        help="How the server spells structured output: openai (OpenAI, vLLM), llamacpp (llama.cpp, "
        "llama-cpp-python), ollama (Ollama's own API, which can set the context). auto: asked of the "
        "server before the run.",
    ),
    prompts: Path | None = typer.Option(None, "--prompts", help="Folder of prompt templates."),
    concurrency: int | None = typer.Option(
        None, min=1, help=f"Articles annotated at once (default {DEFAULT_CONCURRENCY}; 1 for a local server, "
        "which answers one request at a time)."
    ),
    workers: int | None = typer.Option(
        None, "--workers", min=0,
        help="Processes for the offline backend (default: the cores available; 0: in this process).",
    ),
    shard: str | None = typer.Option(
        None, "--shard", help="K/N: annotate only shard K (from 0) of N, by article id, into OUT/parts/."
    ),
    force: bool = typer.Option(False, "--force", help="Redo articles whose stored output is current."),
    max_reasks: int = typer.Option(2, min=0, help="Re-asks after an ungrounded or malformed answer."),
    max_article_tokens: int = typer.Option(
        6000, min=200, help="Longer articles are split into pieces (smaller still if the context needs it)."
    ),
    max_tokens: int | None = typer.Option(
        None, "--max-tokens", min=16,
        help="Answer tokens asked for on every request. Default: a quarter of the context, at most 4096.",
    ),
    context_tokens: int | None = typer.Option(
        None, "--context-tokens", min=512,
        help="The server's context window, which prompt, article piece and answer share. Default: asked "
        "of the server where it says (llama.cpp, vLLM), else 8192 for local servers (as started in "
        "docs/local-models.md), 128000 for OpenAI.",
    ),
    max_article_chars: int = typer.Option(
        DEFAULT_MAX_ARTICLE_CHARS, min=1, help="Longer articles are refused (either backend), naming the file."
    ),
    timeout: float | None = typer.Option(
        None, "--timeout", min=0.1,
        help="Seconds one request may take in all, however the server sends its bytes. Default 120, "
        "600 for a local server (a small model on a laptop CPU takes minutes per article).",
    ),
    dry_run: bool = typer.Option(
        False, "--dry-run",
        help="Print the articles, their pieces, prompt tokens and cost estimate; send nothing, write nothing.",
    ),
    limit: int | None = typer.Option(None, "--limit", min=1, help="Annotate only the first N articles."),
    sample: int | None = typer.Option(
        None, "--sample", min=1, help="Annotate N articles drawn at random (--sample-seed), in input order."
    ),
    sample_seed: int = typer.Option(0, "--sample-seed", help="Seed of --sample's draw."),
    price_per_mtok: str | None = typer.Option(
        None, "--price-per-mtok", metavar="IN[,OUT]",
        help="USD per million input (and output) tokens for --dry-run's estimate (default: a small "
        "table of OpenAI list prices; 0 for a local server).",
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
        _fail(error)
    articles = ArticleSource(source, format=input_format, fields=fields, follow_symlinks=follow_symlinks)
    settings = LLMSettings.from_options(
        model, base_url, mode=mode, dialect=dialect, max_reasks=max_reasks,
        max_article_tokens=max_article_tokens, temperature=temperature, seed=seed, timeout_seconds=timeout,
        max_tokens=max_tokens, context_tokens=context_tokens,
        requests_per_minute=rpm, tokens_per_minute=tpm,
    )
    config = BackendConfig(choice=backend, llm=settings, prompts=prompts, workers=workers)
    _refuse_mismatch(config, model)
    try:
        options = RunOptions(out=out, concurrency=concurrency, force=force, max_article_chars=max_article_chars,
                             limit=limit, sample=sample, sample_seed=sample_seed,
                             shard=Shard.parse(shard) if shard else None)
    except PartError as error:
        _fail(error)
    if dry_run:
        _dry_run(articles, config, options, price_per_mtok)
        return
    observer = ProgressObserver()
    try:
        with observer:
            report = asyncio.run(execute(articles, config, options, observer))
    except (PromptError, ArticleError, OutputError, BackendUnavailable) as error:
        _fail(error)
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


def _refuse_mismatch(config: BackendConfig, model: str | None) -> None:
    """Options that cannot mean what the user wants stop the run before it starts."""
    chosen = config.resolve()
    if chosen is BackendChoice.llm and not config.llm.base_url and not api_key():
        _fail("--backend llm needs an endpoint: set OPENAI_API_KEY for OpenAI, or --base-url "
              "(env OPENAI_BASE_URL) for a local or other OpenAI-compatible server")
    if chosen is BackendChoice.offline and model:
        why = ("--backend offline was chosen" if config.choice is BackendChoice.offline
               else "no endpoint or API key is configured, so the offline backend would run")
        _fail(f"--model {model} applies to the LLM backend only, but {why}: drop --model, or set "
              "OPENAI_API_KEY / --base-url for the LLM")


def _fail(problem: object) -> NoReturn:
    """Print the problem (an error or a message) as an error and exit 2: nothing ran."""
    console.print(f"[red]error:[/red] {plain(problem)}")
    raise typer.Exit(2)


def _dry_run(articles: ArticleSource, config: BackendConfig, options: RunOptions, price_text: str | None) -> None:
    """``--dry-run``: what the run would send and cost; nothing is sent or written."""
    try:
        planned = plan(articles, config, options)
        price = Price.parse(price_text) if price_text else None
    except (PromptError, ArticleError, ValueError) as error:
        _fail(error)
    engine = planned.backend
    console.print(f"annotator --dry-run: {engine.name} backend, model {plain(engine.model)}; "
                  f"{len(planned.articles)} of {planned.input_articles} articles; nothing is sent")
    for failure in planned.load_failures:
        console.print(f"[red]skipped[/red] {plain(failure.path)}: {plain(failure.reason)}")
    if planned.estimates is None:
        for article in planned.articles:
            console.print(f"  {plain(article.id)}  {len(article.text):,} characters")
        console.print("the offline backend sends nothing and costs nothing")
        return
    price = price or list_price(engine.model, config.llm.local)
    table = Table(title="dry run (tokens counted here; the server's count may differ by a few per cent)")
    for column in ("article", "characters", "pieces", "prompt tokens", "worst case in / out"):
        table.add_column(column, justify="left" if column == "article" else "right")
    for estimate in planned.estimates:
        table.add_row(plain(estimate.article), f"{estimate.characters:,}", str(estimate.pieces),
                      f"{estimate.prompt_tokens:,}",
                      f"{estimate.worst_prompt_tokens:,} / {estimate.worst_completion_tokens:,}")
    console.print(table)
    prompt = sum(e.prompt_tokens for e in planned.estimates)
    worst_in = sum(e.worst_prompt_tokens for e in planned.estimates)
    worst_out = sum(e.worst_completion_tokens for e in planned.estimates)
    console.print(f"{len(planned.estimates)} articles, {sum(e.pieces for e in planned.estimates)} requests "
                  f"without re-asks: {prompt:,} prompt tokens; worst case (every re-ask, every answer at "
                  f"--max-tokens): {worst_in:,} in + {worst_out:,} out")
    if price is None:
        console.print(f"cost: no list price for {plain(engine.model)}; give --price-per-mtok IN[,OUT]")
        return
    costs = [cost for e in planned.estimates if (cost := e.cost(price)) is not None]
    first, worst = sum(c[0] for c in costs), sum(c[1] for c in costs)
    console.print(f"cost ({price.source}: ${price.input:g} in, ${price.output:g} out per million tokens): "
                  f"${first:.4f} for the prompts without re-asks, plus the answers; at most ${worst:.4f}")


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
        """Rows of failed articles and of those to check (their warnings in ``_checks``)."""
        self._checks: list[tuple[str, str]] = []

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

    def noted(self, message: str) -> None:
        console.print(f"[dim]note:[/dim] {plain(message)}")

    def article_done(self, result: ArticleResult, cached: bool, totals: RunTotals) -> None:
        self.done += 1
        if self._task is not None:
            self._bar.update(
                self._task, advance=1, claims=totals.claims, failed=totals.failed, cached=totals.skipped
            )
        for error in result.errors:
            console.print(f"[red]failed[/red] {plain(result.source)}: {plain(error)}")
        status = "failed" if result.errors else "check" if result.warnings else "ok"
        row = (plain(result.article), str(len(result.claims)), str(result.dropped_claims),
               str(result.usage.total_tokens), status)
        if self.done <= SUMMARY_ROWS:
            self._rows.append(row)
        if status != "ok" and len(self._failed) < SUMMARY_ROWS:
            self._failed.append(row)
        if status == "check" and len(self._checks) < SUMMARY_ROWS:
            self._checks.extend((result.article, warning) for warning in result.warnings)

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
            console.print(f"({self.done} articles: the table lists failures and articles to check only; "
                          f"every result is in {plain(out)})")
        for article, warning in self._checks:
            console.print(f"[yellow]check[/yellow] {plain(article)}: {plain(warning)}")
        if report.ignored:
            console.print(f"{len(report.ignored)} entries of the input ignored (named above)")
        flagged = f", {record.flagged} to check" if record.flagged else ""
        console.print(
            f"{record.annotated} annotated{flagged}, {record.skipped} unchanged (skipped), "
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
