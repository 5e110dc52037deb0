"""Gold against prediction, per article, from the ``--details`` file of ``annotator eval``.

Each line of that file is one gold or predicted claim with its match: ``matched`` (with
the fields that differ), ``missed`` (gold only), ``spurious`` (prediction only) or
``author`` (scored apart). The viewed folder may be either side: the prediction run
(then missed gold claims are drawn into its text) or the gold folder (then the
spurious predictions are). Which side it is, is read from the claims themselves: a
details file written for another folder is an error, not a silently wrong page.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import Any

from annotator.evaluation.details import DetailRecord
from annotator.models import Claim


class DetailsError(ValueError):
    """A details file that cannot be read or does not describe the viewed folder."""


class Side(str, Enum):
    """Which side of the comparison the viewed folder is."""

    pred = "pred"
    gold = "gold"

    @property
    def other(self) -> Side:
        return Side.gold if self is Side.pred else Side.pred


@dataclass(frozen=True)
class OtherClaim:
    """A claim of the other side, as the details file gives it."""

    speaker: str
    content: str
    cue: str | None
    start: int | None
    end: int | None
    labels: dict[str, str]
    """Label fields by name, as text, for the drill-down."""


@dataclass(frozen=True)
class Difference:
    """One field of a matched pair that differs."""

    field: str
    here: str
    other: str


@dataclass(frozen=True)
class Matched:
    """A claim of the viewed folder paired with one of the other side."""

    index: int
    score: float | None
    other: OtherClaim
    differences: list[Difference]


@dataclass
class ArticleComparison:
    """What one article's details say, from the viewed folder's side."""

    side: Side
    matched: list[Matched] = field(default_factory=list)
    only_here: list[int] = field(default_factory=list)
    """Indices of this folder's claims with no partner (spurious if this is the prediction)."""
    only_other: list[OtherClaim] = field(default_factory=list)
    """The other side's unpaired claims (missed gold if this is the prediction)."""
    author: list[int] = field(default_factory=list)
    """Author claims of the prediction, which the harness scores apart."""

    @property
    def differing(self) -> list[Matched]:
        return [m for m in self.matched if m.differences]


@dataclass(frozen=True)
class DetailLine(DetailRecord):
    """One parsed line of the details file, read from either side."""

    def index(self, side: Side) -> int | None:
        return self.pred_index if side is Side.pred else self.gold_index

    def claim(self, side: Side) -> dict[str, Any] | None:
        return self.pred if side is Side.pred else self.gold


def read_details(path: Path) -> dict[str, list[DetailLine]]:
    """Lines of a details file grouped by article; errors name the file and line."""
    grouped: dict[str, list[DetailLine]] = {}
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as error:
        raise DetailsError(f"{path}: cannot read: {error}") from error
    for number, raw in enumerate(lines, 1):
        if not raw.strip():
            continue
        try:
            data = json.loads(raw)
            line = DetailLine(
                article=str(data["article"]), kind=str(data["kind"]), gold_index=data.get("gold_index"),
                pred_index=data.get("pred_index"), score=data.get("score"), differs=list(data.get("differs") or []),
                gold=data.get("gold"), pred=data.get("pred"),
            )
        except (ValueError, KeyError, TypeError) as error:
            raise DetailsError(f"{path}:{number}: not a line of `annotator eval --details`: {error}") from error
        grouped.setdefault(line.article, []).append(line)
    if not grouped:
        raise DetailsError(f"{path}: no details lines")
    return grouped


def side_of(
    claims_by_article: Mapping[str, Sequence[Claim]], details: dict[str, list[DetailLine]], source: Path
) -> Side:
    """Whether the viewed folder is the prediction or the gold of these details."""
    for side in (Side.pred, Side.gold):
        if _agrees(claims_by_article, details, side):
            return side
    raise DetailsError(
        f"{source}: these details were not written for this folder (its claims match neither their "
        "gold nor their prediction side); rerun `annotator eval --details` on it"
    )


def _agrees(claims_by_article: Mapping[str, Sequence[Claim]], details: dict[str, list[DetailLine]], side: Side) -> bool:
    checked = 0
    for article, lines in details.items():
        claims = claims_by_article.get(article)
        if claims is None:
            continue
        for line in lines:
            index, claim = line.index(side), line.claim(side)
            if index is None or claim is None:
                continue
            if index >= len(claims) or claims[index].content != claim.get("content"):
                return False
            checked += 1
    return checked > 0


def compare(lines: list[DetailLine], side: Side) -> ArticleComparison:
    """One article's lines read from ``side``."""
    comparison = ArticleComparison(side=side)
    other = side.other
    for line in lines:
        here_index, there = line.index(side), line.claim(other)
        if line.kind == "matched" and here_index is not None and there is not None:
            differences = [
                Difference(name, _field(line.claim(side), name), _field(there, name)) for name in line.differs
            ]
            comparison.matched.append(Matched(here_index, line.score, _other(there), differences))
        elif line.kind == "author" and side is Side.pred and here_index is not None:
            comparison.author.append(here_index)
        elif line.kind in ("missed", "spurious", "author") and here_index is not None:
            comparison.only_here.append(here_index)
        elif line.kind in ("missed", "spurious") and there is not None:
            comparison.only_other.append(_other(there))
    return comparison


def _other(claim: dict[str, Any]) -> OtherClaim:
    labels = {
        name: _text(claim.get(name))
        for name in ("mention", "quote_type", "via", "hedging", "hedge_cues", "stance")
        if claim.get(name) not in (None, [], "")
    }
    return OtherClaim(
        speaker=str(claim.get("speaker_name") or claim.get("speaker") or ""),
        content=str(claim.get("content") or ""),
        cue=claim.get("cue"),
        start=claim.get("start"),
        end=claim.get("end"),
        labels=labels,
    )


def _field(claim: dict[str, Any] | None, name: str) -> str:
    """A field of a details claim as text; the speaker by its entity name."""
    if claim is None:
        return ""
    return _text(claim.get("speaker_name" if name == "speaker" else name))


def _text(value: object) -> str:
    if value is None:
        return "—"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value) or "—"
    return str(value)
