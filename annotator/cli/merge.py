"""``annotator merge OUT [SOURCE...]``: make an output folder written in parts one run."""

from __future__ import annotations

from pathlib import Path

import typer

from annotator.parts import PartError, merge


def merge_command(
    out: Path = typer.Argument(..., help="Output folder whose parts/ to merge (created from SOURCES if absent)."),
    sources: list[Path] = typer.Argument(
        None, help="Output folders of other machines to copy into OUT first (articles, logs, parts)."
    ),
) -> None:
    """Write OUT/claims.jsonl and OUT/run.json from the parts (--shard runs, Dask
    partitions) in OUT/parts/, after copying SOURCES into OUT.

    eval, view and compare read OUT/articles/ and need no merge; this gives the folder
    the one claims table and run record of a single run. Exit 1 when shards of a K-of-N
    series are missing or two sources disagree on an article, 2 when there is nothing to
    merge or the parts come from different configurations.
    """
    try:
        report = merge(out, list(sources or []))
    except PartError as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(2) from error
    record = report.record
    if report.copied:
        typer.echo(f"copied {report.copied} files into {out}")
    typer.echo(
        f"merged {len(report.parts)} parts ({', '.join(report.parts)}): {record.articles} articles, "
        f"{record.claims} claims, {report.rows} rows in {out / 'claims.jsonl'}; {record.failed} failed"
    )
    for conflict in report.conflicts:
        typer.echo(f"conflict: {conflict} differs between sources; the copy already in {out} was kept", err=True)
    if report.missing_shards:
        typer.echo(f"missing: {', '.join(report.missing_shards)}", err=True)
    if report.missing_shards or report.conflicts:
        raise typer.Exit(1)
