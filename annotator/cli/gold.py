"""``annotator gold``: check gold folders and import brat attribution corpora."""

from __future__ import annotations

from pathlib import Path

import typer

from annotator.gold import GoldFormatError, check_folder, load_texts, text_folder
from annotator.gold_import import import_brat

app = typer.Typer(help="Gold files: check them, import existing corpora.", no_args_is_help=True)


def _fail(message: str, code: int = 2) -> typer.Exit:
    typer.echo(message, err=True)
    return typer.Exit(code)


@app.command("check")
def check(
    gold_dir: Path = typer.Argument(..., help="Folder of gold files (<id>.json)."),
    articles: Path | None = typer.Option(
        None, "--articles", help="Folder of article texts (<id>.txt or anything `annotate` reads). "
        "Defaults to the text folder an import recorded."
    ),
) -> None:
    """Validate gold: schema and labels, verbatim content/mention/cue, speaker ids.

    Exit 0 when there is no error (warnings allowed), 1 when there are errors, 2 when the
    folders cannot be read.
    """
    if not gold_dir.is_dir():
        raise _fail(f"{gold_dir}: not a folder")
    try:
        folder = text_folder(gold_dir, articles)
        if folder is None:
            raise _fail(f"{gold_dir}: pass --articles (the folder of article texts)")
        if not folder.is_dir():
            raise _fail(f"{folder}: article folder not found")
        report = check_folder(gold_dir, load_texts(folder))
    except GoldFormatError as error:
        raise _fail(str(error)) from error
    for issue in report.issues:
        typer.echo(str(issue), err=True)
    verdict = "FAILED" if report.errors else "ok"
    typer.echo(
        f"gold check {verdict}: {report.files} files, {report.claims} claims, "
        f"{len(report.errors)} errors, {len(report.warnings)} warnings"
    )
    if report.errors:
        raise typer.Exit(1)


@app.command("import-brat")
def import_brat_command(
    ann_dir: Path = typer.Argument(..., help="Folder of brat .ann files (NAME_ANNOTATOR.ann or NAME.ann)."),
    text: Path = typer.Option(..., "--text", help="Folder of the article texts (NAME.txt)."),
    out: Path = typer.Option(..., "--out", help="Gold folder to write (<id>.json + _import.json)."),
    rank: int = typer.Option(
        1, "--rank", min=1, help="Which annotator to take where several labelled an article: "
        "1 = alphabetically first (all articles), 2 = second (only articles that have one)."
    ),
) -> None:
    """Convert a brat attribution corpus (PolNeAR, PARC style) into gold files.

    Source -> speaker (one per distinct source string) with that mention, Cue -> cue,
    Content -> content; relations without a source are dropped. Hedging, stance, quote
    type and via are left null (unscored). The text folder is recorded in _import.json,
    so `gold check` and `eval` find the texts without --articles.
    """
    try:
        result = import_brat(ann_dir, text, out, rank=rank)
    except FileNotFoundError as error:
        raise _fail(str(error)) from error
    except OSError as error:
        raise _fail(f"cannot write {error.filename}: {error.strerror}") from error
    for imported in result.manifest.articles:
        if imported.others:
            typer.echo(f"{imported.article}: took annotator {imported.annotator} (also: {', '.join(imported.others)})")
    for problem in result.errors:
        typer.echo(problem, err=True)
    dropped = sum(a.dropped for a in result.manifest.articles)
    skipped = f", {result.skipped} articles without a rank-{rank} annotation skipped" if result.skipped else ""
    typer.echo(
        f"imported {len(result.manifest.articles)} articles, {result.claims} claims into {out} "
        f"({dropped} relations without source dropped{skipped}; {len(result.errors)} errors)"
    )
    if result.errors:
        raise typer.Exit(1)
