"""The ``annotator`` command line: one module per command group, registered here.

Nothing heavy is imported to build the command tree: openai and instructor load only
when the LLM backend runs, scipy and scikit-learn only when ``eval`` scores.
"""

from __future__ import annotations

import json

import typer

from annotator import __version__
from annotator.cli import batch, gold
from annotator.cli.annotate import annotate
from annotator.cli.compare import compare_command, eval_compare_command
from annotator.cli.evaluate import eval_command
from annotator.cli.export import export_command
from annotator.cli.merge import merge_command
from annotator.cli.view import view_command

app = typer.Typer(
    name="annotator",
    help="Attributed claims in news articles: who said what, how hedged, how framed.",
    no_args_is_help=True,
    add_completion=False,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"annotator {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    """Attributed claims in news articles: who said what, how hedged, how framed."""


app.command()(annotate)
app.command("eval")(eval_command)
app.command("view")(view_command)
app.command("export")(export_command)
app.command("compare")(compare_command)
app.command("eval-compare")(eval_compare_command)
app.command("merge")(merge_command)
app.add_typer(gold.app, name="gold")
app.add_typer(batch.app, name="batch")


@app.command()
def schema() -> None:
    """Print the JSON Schema of one article's output file."""
    from annotator.models import ArticleResult

    typer.echo(json.dumps(ArticleResult.model_json_schema(by_alias=False), indent=2))
