"""``annotator compare`` and ``annotator eval-compare``: one story across outlets, and its score.

Exit codes: 0 done (and every floor met), 1 a floor was missed, 2 the input could not be
used (the message names the file and the problem).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from annotator.cli.evaluate import enforce_floors
from annotator.evaluation.thresholds import ThresholdError, load_suite, parse_floors

if TYPE_CHECKING:
    from annotator.drift.evaluation import CompareMetrics
    from annotator.drift.run import FolderComparison

DEFAULT_THRESHOLDS = Path("eval/thresholds.toml")
DEFAULT_CLAIMS_GOLD = Path("eval/gold")


def compare_command(
    folder: Path = typer.Argument(..., help="An annotate --out folder, or a folder of gold-format files."),
    json_out: Path = typer.Option(..., "--json", help="Write the comparison (clusters and changes) here."),
    articles: Path | None = typer.Option(
        None, "--articles", help="Folder of article texts (needed for gold folders; runs of schema 2 carry theirs)."
    ),
    reference: str | None = typer.Option(None, "--reference", help="Article id the others are read against."),
    report: Path | None = typer.Option(None, "--report", help="Write a Markdown report, grouped by outlet."),
    html: Path | None = typer.Option(None, "--html", help="Write an HTML page, the outlets side by side."),
    stories: str | None = typer.Option(
        None, "--stories", help="A stories manifest (TOML or JSON), or 'auto' to group a folder with many stories."
    ),
    aliases: Path | None = typer.Option(
        None, "--aliases", help="Alias file: one entity a line, 'Primary name, alias 1, alias 2' (GGT aliases.txt)."
    ),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No summary table."),
) -> None:
    """Align the claims of one story across outlets and report what drifted."""
    from annotator.drift.loading import CompareInputError
    from annotator.drift.run import compare_folder

    try:
        result = compare_folder(folder, articles_dir=articles, reference=reference, stories=stories, aliases=aliases)
    except CompareInputError as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(2) from error
    _write(result, json_out, report, html)
    for note in result.notes:
        typer.echo(f"note: {note}", err=True)
    if not quiet:
        _summary(result)


def _write(result: FolderComparison, json_out: Path, report: Path | None, html: Path | None) -> None:
    from annotator.drift.html import page
    from annotator.drift.report import markdown
    from annotator.store import atomic_write

    documents = [s.comparison.dump() for s in result.stories]
    data = documents[0] if len(documents) == 1 else {"stories": documents}
    try:
        atomic_write(json_out, json.dumps(data, indent=2, ensure_ascii=False) + "\n")
        if report:
            atomic_write(report, markdown(result.stories))
        if html:
            atomic_write(html, page(result.stories))
    except OSError as error:
        typer.echo(f"error: cannot write {error.filename}: {error.strerror}", err=True)
        raise typer.Exit(2) from error


def _summary(result: FolderComparison) -> None:
    from collections import Counter

    from rich.console import Console
    from rich.table import Table

    from annotator.drift.records import DriftField
    from annotator.drift.report import outlet_label

    fields = [f.value for f in DriftField]
    console = Console()
    for story in result.stories:
        table = Table(title=f"Drift against {outlet_label(story, story.comparison.reference)}")
        table.add_column("article")
        for field in fields:
            table.add_column(field, justify="right")
        for article in story.articles[1:]:
            counts = Counter(c.field.value for c in story.comparison.changes if c.to == article.id)
            table.add_row(outlet_label(story, article.id), *(str(counts[f] or "") for f in fields))
        console.print(table)
        console.print(f"{len(story.comparison.clusters)} clusters; {story.comparison.notes[0]}")


def eval_compare_command(
    predicted: Path = typer.Argument(
        ..., help="A comparison JSON file, or a folder to compare first (a run, or a gold-format folder)."
    ),
    gold: Path = typer.Option(..., "--gold", help="Drift gold file (eval/drift/gold.json)."),
    claims_gold: Path = typer.Option(
        DEFAULT_CLAIMS_GOLD, "--claims-gold", help="Claim gold the run's claims are matched to (end to end)."
    ),
    articles: Path | None = typer.Option(None, "--articles", help="Folder of article texts."),
    aliases: Path | None = typer.Option(None, "--aliases", help="Alias file for the comparison."),
    json_out: Path | None = typer.Option(None, "--json", help="Write the metrics here."),
    details: bool = typer.Option(False, "--details", help="Print every missed and extra change."),
    fail_under: str | None = typer.Option(None, "--fail-under", help="Floors, e.g. clusters.f1=0.8,changes.f1=0.6."),
    suite: str | None = typer.Option(None, "--suite", help="Also check the floors of this suite of --thresholds."),
    thresholds: Path = typer.Option(DEFAULT_THRESHOLDS, "--thresholds", help="TOML file of floor suites."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No table, only files, floors and the exit code."),
) -> None:
    """Score a comparison against drift gold: cluster pairwise P/R/F1, change P/R/F1 per field."""
    from annotator.drift.evaluation import score_path
    from annotator.drift.loading import CompareInputError
    from annotator.evaluation.loading import EvalInputError

    try:
        floors = parse_floors(fail_under) if fail_under else []
        if suite:
            floors += load_suite(thresholds, suite)
        metrics = score_path(predicted, gold, claims_gold=claims_gold, articles_dir=articles, aliases=aliases)
    except (CompareInputError, EvalInputError, ThresholdError, ValueError, OSError) as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(2) from error
    if json_out:
        json_out.write_text(json.dumps(metrics.as_dict(), indent=2) + "\n", encoding="utf-8")
    if not quiet:
        _metrics_table(metrics)
    if details:
        for line in metrics.misses:
            typer.echo(line)
    enforce_floors(metrics.scalars(), floors)


def _metrics_table(metrics: CompareMetrics) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title="Comparison against drift gold")
    for column in ("", "precision", "recall", "F1", "true", "predicted", "gold"):
        table.add_column(column, justify="right" if column else "left")
    rows = [("cluster pairs", metrics.clusters), ("changes (all fields)", metrics.changes)]
    rows += [(f"  {name}", prf) for name, prf in metrics.fields.items()]
    for name, prf in rows:
        cells = [("-" if v is None else f"{v:.3f}") for v in (prf.precision, prf.recall, prf.f1)]
        table.add_row(name, *cells, str(prf.true), str(prf.predicted), str(prf.gold))
    Console().print(table)
