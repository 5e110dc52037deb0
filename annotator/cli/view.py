"""``annotator view OUT``: an HTML page per article and an index, to check claims by eye.

Exit codes: 0 written, 1 written but some article files could not be read (the index
lists them), 2 nothing could be viewed (the message names the file).
"""

from __future__ import annotations

from pathlib import Path

import typer

from annotator.terminal import visible


def view_command(
    folder: Path = typer.Argument(..., help="An `annotate` output folder, or a gold folder (<id>.json)."),
    out: Path | None = typer.Option(None, "--out", "-o", help="Site folder to write (default: FOLDER/view)."),
    details: Path | None = typer.Option(
        None, "--details", help="The --details file of `annotator eval` on FOLDER: adds gold against prediction."
    ),
    articles: Path | None = typer.Option(
        None, "--articles", help="Folder of article texts, for gold folders and outputs that stored no text (schema 1)."
    ),
) -> None:
    """Write one self-contained HTML page per article (highlighted claims, their labels) and an index."""
    # jinja2 and the templates load only for this command.
    from annotator.documents import ViewInputError
    from annotator.viewer.comparison import DetailsError
    from annotator.viewer.render import write_site

    site = out or folder / "view"
    try:
        report = write_site(folder, site, details=details, articles=articles)
    except (ViewInputError, DetailsError) as error:
        typer.echo(f"error: {visible(error)}", err=True)
        raise typer.Exit(2) from error
    except OSError as error:
        typer.echo(f"error: cannot write {visible(error.filename)}: {error.strerror}", err=True)
        raise typer.Exit(2) from error
    compared = f", compared from the {report.comparison.value} side" if report.comparison else ""
    typer.echo(f"wrote {report.pages} article pages ({report.claims} claims{compared}) and {report.index}")
    if report.without_text:
        typer.echo(f"warning: {report.without_text} article(s) have no text to show (pass --articles)", err=True)
    if report.failures:
        typer.echo(f"{report.failures} failure(s) listed on the index page", err=True)
    if report.unreadable:
        raise typer.Exit(1)
