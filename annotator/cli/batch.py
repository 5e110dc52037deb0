"""``annotator batch submit|status|collect``: annotate through the provider's batch API."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.console import Console
from rich.table import Table

from annotator.llm.settings import ExtractionMode, LLMSettings

if TYPE_CHECKING:
    from annotator.batch.jobs import BatchState

app = typer.Typer(
    help="Annotate through the provider's batch API (OpenAI /v1/batches): half the price, answers within 24 h.",
    no_args_is_help=True,
)
console = Console(stderr=True)


@app.command("submit")
def submit(
    directory: Path = typer.Argument(..., help="Folder (searched recursively) or single file of articles."),
    out: Path = typer.Option(..., "--out", "-o", help="Output folder: results, and the batch's state in OUT/batch/."),
    model: str | None = typer.Option(None, help="Model name (env ANNOTATOR_MODEL)."),
    base_url: str | None = typer.Option(None, "--base-url", help="OpenAI-compatible endpoint (env OPENAI_BASE_URL)."),
    mode: ExtractionMode = typer.Option(ExtractionMode.tools, help="tools, json_schema or json."),
    prompts: Path | None = typer.Option(None, "--prompts", help="Folder of prompt templates."),
    max_reasks: int = typer.Option(2, min=0, help="Re-asks after an ungrounded or malformed answer."),
    max_article_tokens: int = typer.Option(6000, min=200, help="Longer articles are split into pieces."),
    temperature: float = typer.Option(0.0, min=0.0),
    seed: int | None = typer.Option(42, help="Sampling seed sent to the endpoint."),
    reask: str = typer.Option("batch", help="Where re-asks go: 'batch' (a follow-up batch) or 'online' (at collect)."),
    price: str | None = typer.Option(
        None, "--price-per-mtok", help="IN,OUT dollars per million tokens, for models without a listed price."
    ),
) -> None:
    """Send every article of DIRECTORY not yet annotated in OUT as batch requests."""
    from annotator.batch.jobs import BatchError, Batches, ReaskMode
    from annotator.llm.pricing import Price

    settings = LLMSettings.from_options(
        model, base_url, mode=mode, max_reasks=max_reasks, max_article_tokens=max_article_tokens,
        temperature=temperature, seed=seed,
    )
    try:
        how = ReaskMode(reask)
        given = Price.parse(price) if price else None
        report = asyncio.run(Batches(out).submit(directory, settings, prompts, how, given))
    except (BatchError, ValueError) as error:
        console.print(f"[red]error:[/red] {error}")
        raise typer.Exit(2) from error
    jobs = report.submitted
    requests = sum(job.requests for job in jobs)
    if jobs:
        console.print(f"submitted {requests} requests in {len(jobs)} batch jobs: {', '.join(j.id for j in jobs)}")
    else:
        console.print("nothing to submit: every article is annotated or already in a batch")
    if report.run is not None and report.run.record.annotated:
        console.print(f"{report.run.record.annotated} articles completed from answers already collected")
    console.print(f"state in {out / 'batch'}; follow with `annotator batch status {out}`, "
                  f"then `annotator batch collect {out}`")


@app.command("status")
def status(out: Path = typer.Argument(..., help="Output folder of a batch submit.")) -> None:
    """Each job's status at the provider, and the tokens and cost so far."""
    from annotator.batch.jobs import BatchError, Batches

    try:
        report = asyncio.run(Batches(out).status())
    except BatchError as error:
        console.print(f"[red]error:[/red] {error}")
        raise typer.Exit(2) from error
    _jobs_table(report.state)
    _spent(report.state)


@app.command("collect")
def collect(out: Path = typer.Argument(..., help="Output folder of a batch submit.")) -> None:
    """Store every article whose answers are in, send re-asks, report what failed or waits.

    Exit 0 when every article is done, 1 when some failed, 3 while some still wait."""
    from annotator.batch.jobs import BatchError, Batches

    try:
        report = asyncio.run(Batches(out).collect())
    except BatchError as error:
        console.print(f"[red]error:[/red] {error}")
        raise typer.Exit(2) from error
    _jobs_table(report.state)
    record = report.run.record if report.run is not None else None
    if record is not None:
        console.print(f"{record.annotated} articles stored now, {record.skipped} stored before, "
                      f"{record.failed} failed, {record.deferred} waiting; {record.claims} claims")
    for article, reason in report.failed:
        console.print(f"[red]failed[/red] {article}: {reason}")
    for job in report.submitted:
        console.print(f"re-asks: follow-up batch {job.id} (round {job.round}, {job.requests} requests)")
    _spent(report.state)
    if record is not None and record.failed:
        raise typer.Exit(1)
    if report.waiting:
        console.print(f"{report.waiting} articles wait for a batch: run `annotator batch collect {out}` later")
        raise typer.Exit(3)


def _jobs_table(state: BatchState) -> None:
    table = Table(title="batch jobs")
    for column in ("job", "round", "status", "requests", "done", "failed", "collected"):
        table.add_column(column)
    for job in state.jobs:
        table.add_row(job.id, str(job.round), job.status, str(job.requests), str(job.completed_requests),
                      str(job.failed_requests), "yes" if job.collected else "no")
    console.print(table)
    for job in state.jobs:
        for error in job.errors:
            console.print(f"[red]{job.id}[/red]: {error}")


def _spent(state: BatchState) -> None:
    cost = state.cost()
    money = f"${cost:.4f} (batch at half price)" if cost is not None else "cost unknown (give --price-per-mtok)"
    console.print(
        f"billed so far: {state.billed_batch.total_tokens} tokens in {state.billed_batch.requests} batch answers, "
        f"{state.billed_online.total_tokens} tokens in {state.billed_online.requests} online re-asks; {money}"
    )
