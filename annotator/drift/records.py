"""The comparison's output, and the drift gold file: one shape for both.

``annotator compare --json`` writes a :class:`Comparison`; a hand-labelled drift gold
file (``eval/drift/``) parses into the same model, so the evaluation compares like with
like. The issue fixes the core shape (``reference``, ``articles`` with ``outlet``,
``clusters`` with ``members``, ``changes`` with ``cluster``/``from``/``to``/``field``/
``before``/``after``); everything else is an added field.
"""

from __future__ import annotations

from enum import Enum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class DriftField(str, Enum):
    """What can change between a reference claim and its counterpart, in report order."""

    speaker = "speaker"
    via = "via"
    hedging = "hedging"
    stance = "stance"
    quote_type = "quote_type"
    cue = "cue"
    number = "number"
    content = "content"
    omitted = "omitted"


class Span(BaseModel):
    """Half-open character offsets into one article's text."""

    start: int
    end: int


class ArticleInfo(BaseModel):
    """What the report says about one article besides its claims."""

    model_config = ConfigDict(extra="allow")

    outlet: str | None = None
    date: str | None = None
    title: str | None = None


class Member(BaseModel):
    """One claim of a cluster: ``claim`` indexes that article's ``claims`` list in DIR."""

    model_config = ConfigDict(extra="allow")

    article: str
    claim: int


class Cluster(BaseModel):
    """Claims reporting one proposition from one act of saying."""

    model_config = ConfigDict(extra="allow")

    id: str
    members: list[Member]
    proposition: str | None = None
    note: str | None = None
    closest: dict[str, Any] | None = None
    """A cluster without a reference member: the nearest reference claim and its score."""


class Change(BaseModel):
    """One field that differs between the reference member (``from``) and another (``to``).

    ``before``/``after`` are the values compared: speaker names, via lists, labels,
    verbatim cues, number phrases or contents. Numbers and hedges carry offsets into
    their article's text (``before_span`` in ``from``, ``after_span`` in ``to``).
    """

    model_config = ConfigDict(extra="allow", populate_by_name=True)

    cluster: str
    from_: str = Field(alias="from")
    to: str
    field: DriftField
    before: Any = None
    after: Any = None
    from_claim: int | None = None
    to_claim: int | None = None
    direction: str | None = None
    """hedging only: ``more`` (more hedged) or ``less``."""
    unattributed: str | None = None
    """omitted only: the other article's own words stating the proposition without a source."""
    before_span: Span | None = None
    after_span: Span | None = None
    nearest: dict[str, Any] | None = None
    """omitted only: the other article's closest claim of the same source (not a match)."""
    note: str | None = None


class Comparison(BaseModel):
    """One story compared: the reference, the articles, the clusters and what drifted."""

    model_config = ConfigDict(extra="allow")

    reference: str
    articles: dict[str, ArticleInfo]
    clusters: list[Cluster]
    changes: list[Change]
    story: str | None = None
    notes: list[str] = Field(default_factory=list)

    def dump(self) -> dict[str, Any]:
        """The JSON document: ``from`` spelled as the issue spells it, empty extras left out
        (``before`` and ``after`` are always there: an omission's ``after`` is null)."""
        data = self.model_dump(mode="json", by_alias=True, exclude_none=True)
        for change in data["changes"]:
            change.setdefault("before", None)
            change.setdefault("after", None)
        return data
