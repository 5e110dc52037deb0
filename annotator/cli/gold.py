"""``annotator gold``: check gold folders and import brat attribution corpora."""

from __future__ import annotations

from pathlib import Path

import typer

from annotator.gold import GoldFormatError, check_folder, load_texts, text_folder
from annotator.gold_import import import_brat
from annotator.terminal import visible

app = typer.Typer(help="Gold files: check them, import existing corpora.", no_args_is_help=True)


def _fail(message: str, code: int = 2) -> typer.Exit:
    typer.echo(visible(message), err=True)
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
        typer.echo(visible(issue), err=True)
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
            others = ", ".join(imported.others)
            typer.echo(f"{visible(imported.article)}: took annotator {imported.annotator} (also: {others})")
    for problem in result.errors:
        typer.echo(visible(problem), err=True)
    for warning in result.warnings:
        typer.echo(f"warning: {visible(warning)}", err=True)
    dropped = sum(a.dropped for a in result.manifest.articles)
    skipped = f", {result.skipped} articles without a rank-{rank} annotation skipped" if result.skipped else ""
    typer.echo(
        f"imported {len(result.manifest.articles)} articles, {result.claims} claims into {out} "
        f"({dropped} relations without source dropped{skipped}; {len(result.errors)} errors)"
    )
    if result.manifest.articles and not result.claims:
        typer.echo("error: no claim was imported: no E or R line of these files ties a Content to a Source", err=True)
        raise typer.Exit(1)
    if result.errors:
        raise typer.Exit(1)


@app.command("import-labelstudio")
def import_labelstudio_command(
    export: Path = typer.Argument(..., help="A Label Studio JSON export (Export > JSON): a list of tasks."),
    out: Path = typer.Option(..., "--out", help="Gold folder to write (<id>.json, _texts/, _import.json)."),
) -> None:
    """Convert a Label Studio project labelled with the config of `annotator export --format labelstudio` to gold.

    Per task, the ground-truth annotation if one is marked, else the latest not cancelled.
    A Content region is a claim; relations join it to its Source, Cue and Hedge regions and
    to further Content pieces; claims without a Source are dropped (the scheme). The texts
    are written beside the gold, so `gold check` and `eval` need no --articles.
    """
    from annotator.formats.labelstudio import LabelStudioError, import_export

    try:
        result = import_export(export, out)
    except LabelStudioError as error:
        raise _fail(str(error)) from error
    except OSError as error:
        raise _fail(f"cannot write {error.filename}: {error.strerror}") from error
    for problem in result.errors:
        typer.echo(visible(problem), err=True)
    for task in result.skipped:
        typer.echo(f"{task}: no annotation (or only cancelled ones): skipped", err=True)
    dropped = sum(a.dropped for a in result.manifest.articles)
    realigned = f", {result.realigned} regions realigned to their text" if result.realigned else ""
    typer.echo(
        f"imported {len(result.manifest.articles)} articles, {result.claims} claims into {out} "
        f"({dropped} contents without a source dropped, {len(result.skipped)} tasks skipped{realigned}; "
        f"{len(result.errors)} errors)"
    )
    if result.errors or not result.manifest.articles:
        raise typer.Exit(1)
