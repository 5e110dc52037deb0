"""``annotator eval``: score a run (or a second gold folder) against gold.

Exit codes: 0 scored (and every floor met), 1 a floor was missed, 2 the input could not
be scored (the message names the file, claim and field).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from annotator.evaluation.thresholds import Floor, ThresholdError, check_floors, load_suite, parse_floors
from annotator.terminal import visible

if TYPE_CHECKING:
    from annotator.evaluation.harness import Evaluation
    from annotator.evaluation.regression import Comparison

DEFAULT_THRESHOLDS = Path("eval/thresholds.toml")


def eval_command(
    pred_dir: Path = typer.Argument(..., help="The --out folder of an annotate run, or a folder of gold-format files."),
    gold: Path = typer.Option(..., "--gold", help="Gold folder (<id>.json)."),
    articles: Path | None = typer.Option(
        None,
        "--articles",
        help="Folder of article texts; defaults to an import's text folder, then the text a run stored.",
    ),
    json_out: Path | None = typer.Option(None, "--json", help="Write metrics.json here."),
    report: Path | None = typer.Option(None, "--report", help="Write a Markdown report here."),
    details: Path | None = typer.Option(
        None, "--details", help="Write every gold and predicted claim with its match (JSONL)."
    ),
    baseline: Path | None = typer.Option(
        None, "--baseline", help="A previous metrics.json: print deltas and right-to-wrong items."
    ),
    fail_under: str | None = typer.Option(
        None, "--fail-under", help="Floors, e.g. claims.f1=0.8,attribution.f1=0.7; exit 1 if missed."
    ),
    suite: str | None = typer.Option(None, "--suite", help="Also check the floors of this suite of --thresholds."),
    thresholds: Path = typer.Option(DEFAULT_THRESHOLDS, "--thresholds", help="TOML file of floor suites."),
    intersect: bool = typer.Option(
        False, "--intersect", help="Score only articles present in both folders (agreement on a subset)."
    ),
    include_stale: bool = typer.Option(
        False, "--include-stale", help="Also score outputs the run folder's latest run did not produce."
    ),
    seed: int = typer.Option(0, "--seed", help="Bootstrap seed."),
    resamples: int = typer.Option(1000, "--resamples", min=0, help="Bootstrap resamples (0: no confidence intervals)."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No tables, only files, floors and the exit code."),
) -> None:
    """Score predicted claims against gold: matching, field accuracies, kappa, CIs."""
    # Imported here, not at module level: scipy and scikit-learn take seconds to import,
    # which every other `annotator` command would otherwise pay at start-up.
    from annotator.evaluation.harness import evaluate, stale_warning, without_cycle_collector
    from annotator.evaluation.loading import EvalInputError
    from annotator.evaluation.regression import BaselineError, compare, markdown_section, read_baseline
    from annotator.evaluation.report import markdown, metrics_json, scalar_metrics, write_details

    try:
        floors = _floors(fail_under, suite, thresholds)
        previous = read_baseline(baseline) if baseline else None
        with without_cycle_collector():
            evaluation = evaluate(
                pred_dir, gold, articles_dir=articles, intersect=intersect, seed=seed, resamples=resamples,
                include_stale=include_stale,
            )
            data = metrics_json(evaluation)
    except (EvalInputError, ThresholdError, BaselineError) as error:
        typer.echo(f"error: {visible(error)}", err=True)
        raise typer.Exit(2) from error
    if evaluation.stale:  # printed even with --quiet: a score over the wrong articles misleads
        typer.echo(f"warning: {stale_warning(pred_dir, evaluation.stale, scored=evaluation.stale_scored)}", err=True)
    comparison = compare(baseline, previous, data) if baseline and previous is not None else None
    try:
        if json_out:
            json_out.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        if details:
            write_details(details, evaluation)
        if report:
            extra = [markdown_section(comparison)] if comparison else []
            report.write_text(markdown(evaluation, extra), encoding="utf-8")
    except OSError as error:
        typer.echo(f"error: cannot write {visible(error.filename)}: {error.strerror}", err=True)
        raise typer.Exit(2) from error
    if not quiet:
        _show(evaluation, comparison)
    enforce_floors(scalar_metrics(data), floors)


def _show(evaluation: Evaluation, comparison: Comparison | None) -> None:
    from rich.console import Console

    from annotator.evaluation.report import terminal

    console = Console()
    for renderable in terminal(evaluation):
        console.print(renderable)
    for note in evaluation.metrics.notes:
        typer.echo(f"note: {visible(note)}")
    if comparison:
        _print_comparison(comparison)


def enforce_floors(metrics: dict[str, float | None], floors: list[Floor]) -> None:
    """Print every floor with its value; exit 1 if one is missed, 2 if one names no metric."""
    try:
        checks = check_floors(metrics, floors)
    except ThresholdError as error:
        typer.echo(f"error: {visible(error)}", err=True)
        raise typer.Exit(2) from error
    for check in checks:
        value = "null (nothing scored)" if check.value is None else f"{check.value:.3f}"
        verdict = "ok" if check.passed else "BELOW FLOOR"
        typer.echo(f"floor {check.floor.metric} >= {check.floor.minimum}: {value} {verdict}")
    if not all(check.passed for check in checks):
        raise typer.Exit(1)


def _floors(fail_under: str | None, suite: str | None, thresholds: Path) -> list[Floor]:
    floors = parse_floors(fail_under) if fail_under else []
    if suite:
        suite_floors = load_suite(thresholds, suite)
        if not suite_floors:
            typer.echo(f"warning: suite [{suite}] of {thresholds} sets no floors yet", err=True)
        floors += suite_floors
    return floors


def _print_comparison(comparison: Comparison) -> None:
    typer.echo(f"against baseline {comparison.baseline}:")
    for delta in comparison.deltas:
        if delta.change:
            typer.echo(f"  {delta.metric}: {delta.before:.3f} -> {delta.after:.3f} ({delta.change:+.3f})")
    typer.echo(f"  {len(comparison.regressions)} field(s) right -> wrong, {comparison.improvements} wrong -> right")
    for item in comparison.regressions[:20]:
        typer.echo(f"  - {visible(item.article)} claims[{item.gold_index}] {item.field}: {visible(item.content)}")

