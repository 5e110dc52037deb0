"""``annotator export OUT --format ...``: a run or gold folder in the formats other tools read.

Exit codes: 0 written, 1 written but some articles had no text (named) or some files
could not be read, 2 nothing could be exported (the message names the file).
"""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from annotator.terminal import visible

if TYPE_CHECKING:
    from annotator.documents import Document


class ExportFormat(str, Enum):
    labelstudio = "labelstudio"
    brat = "brat"
    csv = "csv"
    parquet = "parquet"


DEFAULT_TARGET = {
    ExportFormat.labelstudio: "labelstudio",
    ExportFormat.brat: "brat",
    ExportFormat.csv: "claims.csv",
    ExportFormat.parquet: "claims.parquet",
}


def export_command(
    folder: Path = typer.Argument(..., help="An `annotate` output folder, or a gold folder (<id>.json)."),
    format: ExportFormat = typer.Option(..., "--format", "-f", help="labelstudio, brat, csv or parquet."),
    out: Path | None = typer.Option(
        None, "--out", "-o", help="Folder (labelstudio, brat) or file (csv, parquet); default FOLDER/exports/..."
    ),
    articles: Path | None = typer.Option(
        None, "--articles", help="Folder of article texts, for gold folders and outputs that stored no text."
    ),
) -> None:
    """Export claims: Label Studio tasks (+ labeling config), brat standoff, or a CSV / Parquet claim table."""
    from annotator.documents import ViewInputError, read_folder

    target = out or folder / "exports" / DEFAULT_TARGET[format]
    try:
        read = read_folder(folder, articles)
        message, without_text = _write(format, read.documents, target, read.is_run)
    except ViewInputError as error:
        typer.echo(f"error: {visible(error)}", err=True)
        raise typer.Exit(2) from error
    except RuntimeError as error:  # an optional dependency is missing
        typer.echo(f"error: {visible(error)}", err=True)
        raise typer.Exit(2) from error
    except OSError as error:
        typer.echo(f"error: cannot write {visible(error.filename)}: {error.strerror}", err=True)
        raise typer.Exit(2) from error
    typer.echo(message)
    for unreadable in read.unreadable:
        typer.echo(f"{visible(unreadable.path)}: {visible(unreadable.reason)}", err=True)
    if without_text:
        names = ", ".join(without_text[:5]) + (" ..." if len(without_text) > 5 else "")
        typer.echo(f"warning: {len(without_text)} article(s) without text not exported (pass --articles): {names}",
                   err=True)
    if read.unreadable or without_text:
        raise typer.Exit(1)


def _write(format: ExportFormat, documents: list[Document], target: Path, is_run: bool) -> tuple[str, list[str]]:
    if format is ExportFormat.labelstudio:
        from annotator.formats.labelstudio import write_tasks

        ls = write_tasks(documents, target, as_annotations=not is_run)
        kind = "predictions" if is_run else "annotations"
        return (
            f"wrote {ls.tasks} Label Studio tasks ({ls.claims} claims as {kind}; {ls.left_out} author or unplaced "
            f"claims left out) and the labeling config to {target}",
            ls.without_text,
        )
    if format is ExportFormat.brat:
        from annotator.formats.brat import write_brat

        brat = write_brat(documents, target)
        return (
            f"wrote {brat.articles} brat documents ({brat.claims} claims; {brat.left_out} author or unplaced claims "
            f"left out) and annotation.conf to {target}",
            brat.without_text,
        )
    from annotator.formats.tables import table_rows, write_csv, write_parquet

    writer = write_csv if format is ExportFormat.csv else write_parquet
    rows = writer(table_rows(documents), target)
    return f"wrote {rows} claim rows to {target}", []
