"""Which articles tell one story, and which of them the others are read against.

- By default all of DIR is one story.
- A manifest (TOML or JSON) names the stories and may give each article's outlet, date
  and title where the files do not::

      [[stories]]
      id = "mali-attacks"
      articles = ["000_3d88e5c5ef59938c", "001_f581894d71ea3311"]
      reference = "000_3d88e5c5ef59938c"      # optional

      [articles."001_f581894d71ea3311"]
      outlet = "Firstpost"

- ``auto`` groups a folder with many stories: two articles are linked when an optimal
  one-to-one assignment of their claims pairs at least :data:`LINK_CLAIMS` of them above
  the join threshold, and their dates (when both are known) are at most
  :data:`LINK_DAYS` apart; each connected group is a story.

The reference rule (issue 11): the ``--reference`` given (or the manifest's); else the
earliest dated article; else the article the others cite most through ``via`` (a
rewrite "according to a BBC report" names its source); else the first.
"""

from __future__ import annotations

import json
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date as Date
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import BaseModel, Field, ValidationError
from scipy.optimize import linear_sum_assignment

from annotator.drift.loading import CompareInputError, StoryArticle
from annotator.drift.speakers import name_key

LINK_CLAIMS = 2
LINK_DAYS = 7


class StoryEntry(BaseModel):
    id: str
    articles: list[str] = Field(min_length=1)
    reference: str | None = None


class ArticleEntry(BaseModel):
    outlet: str | None = None
    date: str | None = None
    title: str | None = None


class Manifest(BaseModel):
    """A stories file: the stories, and metadata the article files lack."""

    stories: list[StoryEntry] = Field(default_factory=list)
    articles: dict[str, ArticleEntry] = Field(default_factory=dict)


@dataclass(frozen=True)
class Story:
    """The articles of one story, reference first."""

    id: str
    articles: list[StoryArticle]
    reference_reason: str
    notes: list[str] = field(default_factory=list)

    @property
    def reference(self) -> StoryArticle:
        return self.articles[0]


def read_manifest(path: Path) -> Manifest:
    """Parse a stories manifest (``.toml`` or ``.json``); errors name the file and the field."""
    try:
        raw = path.read_text(encoding="utf-8")
        data: Any = json.loads(raw) if path.suffix.lower() == ".json" else tomllib.loads(raw)
        return Manifest.model_validate(data)
    except (OSError, UnicodeDecodeError) as error:
        raise CompareInputError(f"{path}: cannot read: {error}") from error
    except (json.JSONDecodeError, tomllib.TOMLDecodeError) as error:
        raise CompareInputError(f"{path}: not valid {path.suffix.lstrip('.') or 'TOML'}: {error}") from error
    except ValidationError as error:
        item = error.errors(include_url=False)[0]
        where = ".".join(str(p) for p in item["loc"])
        raise CompareInputError(f"{path}: {where}: {item['msg']}") from error


def apply_metadata(articles: Sequence[StoryArticle], manifest: Manifest | None) -> list[StoryArticle]:
    """The manifest's outlet, date and title win over what the files say."""
    if manifest is None:
        return list(articles)
    out = []
    for article in articles:
        entry = manifest.articles.get(article.id)
        if entry is None:
            out.append(article)
            continue
        updates = {k: v for k, v in entry.model_dump().items() if v is not None}
        out.append(replace(article, **updates))
    return out


StoryGroup = tuple[str, list[StoryArticle], str | None]
"""A story's id, its articles and the reference it names (if any)."""


def from_manifest(articles: Sequence[StoryArticle], manifest: Manifest) -> list[StoryGroup]:
    """The manifest's stories as (id, articles, reference); unknown ids are an error."""
    known = {a.id: a for a in articles}
    missing = sorted({i for s in manifest.stories for i in s.articles if i not in known})
    if missing:
        raise CompareInputError(f"stories manifest names article(s) not in DIR: {', '.join(missing)}")
    return [(s.id, [known[i] for i in s.articles], s.reference) for s in manifest.stories]


def group_automatically(articles: Sequence[StoryArticle], scores: np.ndarray, offsets: Sequence[int],
                        join: float) -> list[list[int]]:
    """Connected groups of articles linked by shared claims (and close dates)."""
    n = len(articles)
    parent = list(range(n))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i in range(n):
        for j in range(i + 1, n):
            if not _dates_close(articles[i].date, articles[j].date):
                continue
            block = scores[offsets[i] : offsets[i + 1], offsets[j] : offsets[j + 1]]
            if block.size == 0:
                continue
            rows, cols = linear_sum_assignment(block, maximize=True)
            if int((block[rows, cols] >= join).sum()) >= LINK_CLAIMS:
                parent[find(j)] = find(i)
    groups: dict[int, list[int]] = {}
    for i in range(n):
        groups.setdefault(find(i), []).append(i)
    return sorted(groups.values(), key=lambda g: g[0])


def _dates_close(a: str | None, b: str | None) -> bool:
    x, y = _parse_date(a), _parse_date(b)
    return x is None or y is None or abs((x - y).days) <= LINK_DAYS


def _parse_date(value: str | None) -> Date | None:
    if not value:
        return None
    try:
        return Date.fromisoformat(value[:10])
    except ValueError:
        return None


def choose_reference(articles: Sequence[StoryArticle], given: str | None) -> tuple[StoryArticle, str]:
    """The reference article and why it was chosen (the issue's rule, in order)."""
    if given is not None:
        for article in articles:
            if article.id == given:
                return article, "named by --reference"
        raise CompareInputError(f"--reference {given}: no such article in this story "
                                f"(articles: {', '.join(a.id for a in articles)})")
    dated = [(d, a) for a in articles if (d := _parse_date(a.date)) is not None]
    if dated:
        earliest = min(dated, key=lambda item: item[0])
        return earliest[1], f"earliest dated ({earliest[0].isoformat()})"
    cited = _citations(articles)
    if cited and max(cited.values()) > 0:
        best = max(articles, key=lambda a: cited.get(a.id, 0))
        return best, f"cited through via by {cited[best.id]} claim(s) of the other articles"
    return articles[0], "the first article (no dates, no citations through via)"


def _citations(articles: Sequence[StoryArticle]) -> dict[str, int]:
    """How many claims of the other articles name each article's outlet as an intermediary."""
    counts: dict[str, int] = {}
    for article in articles:
        if not article.outlet:
            continue
        outlet = set(name_key(article.outlet).split())
        counts[article.id] = sum(
            1
            for other in articles if other.id != article.id
            for claim in other.claims
            for via in claim.via or []
            if (words := set(name_key(via).split())) and words <= outlet
        )
    return counts


def ordered(articles: Sequence[StoryArticle], reference: StoryArticle) -> list[StoryArticle]:
    """Reference first, then the rest in the order given."""
    return [reference, *(a for a in articles if a.id != reference.id)]
