"""The ``annotator`` command line: one module per command group, registered here."""

from __future__ import annotations

import json

import typer

from annotator.cli import gold
from annotator.cli.annotate import annotate
from annotator.cli.evaluate import eval_command
from annotator.models import ArticleResult

app = typer.Typer(
    name="annotator",
    help="Attributed claims in news articles: who said what, how hedged, how framed.",
    no_args_is_help=True,
    add_completion=False,
)


@app.callback()
def main() -> None:
    """Attributed claims in news articles: who said what, how hedged, how framed."""


app.command()(annotate)
app.command("eval")(eval_command)
app.add_typer(gold.app, name="gold")


@app.command()
def schema() -> None:
    """Print the JSON Schema of one article's output file."""
    typer.echo(json.dumps(ArticleResult.model_json_schema(), indent=2))
