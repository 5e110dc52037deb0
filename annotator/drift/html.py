"""The HTML page: one row per cluster, one column per outlet (reference first), each
change highlighted in both sentences. Jinja2 with autoescaping: article text is
untrusted and must never become markup. The page is self-contained (inline CSS, no
script, nothing fetched)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from jinja2 import Environment, PackageLoader, select_autoescape

from annotator.drift.changes import ClaimRef
from annotator.drift.excerpts import Excerpt, excerpt
from annotator.drift.records import Change, DriftField
from annotator.drift.report import outlet_label
from annotator.drift.run import StoryComparison

PRIORITY = ("number", "hedging", "cue", "speaker", "via", "stance", "quote_type", "content")
"""Which colour a run marked by several changes shows: the most specific change."""


@dataclass(frozen=True)
class Shown:
    """One member's sentence, the mark class of each segment, and its changes."""

    excerpt: Excerpt
    classes: list[str]
    changes: list[Change]


@dataclass(frozen=True)
class Cell:
    """What one outlet says for one cluster."""

    members: list[Shown]
    omitted: Change | None = None


@dataclass(frozen=True)
class Row:
    cluster: str
    proposition: str
    cells: list[Cell]


def page(stories: Iterable[StoryComparison]) -> str:
    environment = Environment(
        loader=PackageLoader("annotator.drift", "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    template = environment.get_template("compare.html.j2")
    return template.render(stories=[_story(s) for s in stories], fields=[f.value for f in DriftField])


def _story(story: StoryComparison) -> dict[str, object]:
    comparison = story.comparison
    columns = [outlet_label(story, a.id) for a in story.articles]
    rows = []
    for cluster in comparison.clusters:
        changes = [c for c in comparison.changes if c.cluster == cluster.id]
        cells = []
        for number, article in enumerate(story.articles):
            members = [m.claim for m in cluster.members if m.article == article.id]
            if number == 0:
                cells.append(Cell([_shown(excerpt(ClaimRef(article, i), changes, "from"), []) for i in members]))
                continue
            mine = [c for c in changes if c.to == article.id]
            omitted = next((c for c in mine if c.field is DriftField.omitted), None)
            shown = []
            for i in members:
                own = [c for c in mine if c.to_claim == i]
                shown.append(_shown(excerpt(ClaimRef(article, i), own, "to"), own))
            cells.append(Cell(shown, omitted))
        rows.append(Row(cluster.id, cluster.proposition or "", cells))
    return {"title": outlet_label(story, comparison.reference), "notes": comparison.notes,
            "columns": columns, "rows": rows, "story": comparison.story}


def _shown(ex: Excerpt, changes: list[Change]) -> Shown:
    classes = [next((p for p in PRIORITY if p in seg.marks), "") for seg in ex.segments]
    return Shown(ex, classes, changes)
