"""One-to-one assignment of predicted to gold claims within an article, in several views.

The primary view pairs claims by **content-span token F1** (word tokens, see
:mod:`tokens`): ``F1 = 2|G ∩ P| / (|G| + |P|)``; a pair counts when ``F1 >= 0.5``.
Three more views make the figures comparable with published ones:

- ``strict``: the same content span after trimming whitespace, punctuation and quote
  marks at both ends of each piece (Citron's and PARC's "exact match").
- ``overlap30`` / ``overlap80``: the Gender Gap Tracker's quote overlap, the share of the
  *gold* span's characters that the predicted span covers, ``|G ∩ P| / |G|`` over
  character offsets (GGT ``evaluate_quotes.py``: asymmetric, the annotation is the
  reference), counting a pair when it is strictly greater than 0.3 / 0.8. GGT reports
  F1 0.837 at 0.3. GGT pairs greedily in gold order; here every view uses the same
  optimal assignment, which can only pair more.

Each view runs the Hungarian algorithm (``scipy.optimize.linear_sum_assignment``) on
its score matrix with scores below the view's threshold zeroed, so a weak pair never
blocks a strong one. Ties (the same content attributed to two sources) are broken by
how many fields agree, so gold compared with itself pairs every claim with itself.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy.optimize import linear_sum_assignment

from annotator.evaluation.fields import FieldOutcome, PreparedClaim, compare
from annotator.evaluation.loading import SpeakerRule

TOKEN_F1_THRESHOLD = 0.5
_TIE_BREAK = 1e-6


@dataclass(frozen=True)
class View:
    """A way of deciding that a predicted claim is a gold claim."""

    name: str
    description: str


PRIMARY = View("token_f1", "content token F1 >= 0.5 (primary)")
VIEWS: tuple[View, ...] = (
    PRIMARY,
    View("strict", "same content span after trimming punctuation and quote marks"),
    View("overlap30", "GGT: gold characters covered by the prediction > 0.3"),
    View("overlap80", "GGT: gold characters covered by the prediction > 0.8"),
)


@dataclass(frozen=True)
class Pair:
    """A matched gold and predicted claim (indices into the article's prepared lists)."""

    gold: int
    pred: int
    score: float


@dataclass(frozen=True)
class MatchedPair:
    """A pair of the primary view with its field verdicts."""

    gold: PreparedClaim
    pred: PreparedClaim
    score: float
    fields: tuple[FieldOutcome, ...]

    @property
    def speaker_correct(self) -> bool:
        return bool(self.fields[0].correct)


@dataclass(frozen=True)
class ViewResult:
    """How many pairs a view found in one article, and how many name the right speaker."""

    view: View
    matched: int
    speaker_correct: int


@dataclass(frozen=True)
class ArticleMatch:
    """Everything scoring needs about one article."""

    article: str
    gold: list[PreparedClaim]
    pred: list[PreparedClaim]
    author: list[PreparedClaim]
    author_overlapping: int
    pairs: list[MatchedPair]
    views: list[ViewResult]
    gold_tokens: int
    pred_tokens: int
    shared_tokens: int
    notes: list[str]


def match_article(
    article: str,
    gold: list[PreparedClaim],
    pred: list[PreparedClaim],
    author: list[PreparedClaim],
    n_tokens: int,
    rule: SpeakerRule,
    notes: list[str] | None = None,
) -> ArticleMatch:
    """Match one article in every view; the primary view's pairs carry field verdicts."""
    shared = shared_tokens(gold, pred)
    f1 = _f1(shared, _sizes(gold), _sizes(pred))
    verdicts = {
        (int(i), int(j)): compare(gold[i], pred[j], rule) for i, j in zip(*np.nonzero(shared), strict=True)
    }
    bonus = np.zeros_like(f1)
    for (i, j), fields in verdicts.items():
        bonus[i, j] = _TIE_BREAK * sum(1 for f in fields if f.correct)
    scores = {
        PRIMARY.name: (f1, f1 >= TOKEN_F1_THRESHOLD),
        "strict": _strict(gold, pred, verdicts),
        "overlap30": _overlap(gold, pred, verdicts, 0.3),
        "overlap80": _overlap(gold, pred, verdicts, 0.8),
    }
    views, primary = [], []
    for view in VIEWS:
        score, keep = scores[view.name]
        pairs = assign(score + bonus, keep)
        right = sum(1 for p in pairs if verdicts[(p.gold, p.pred)][0].correct)
        views.append(ViewResult(view, len(pairs), right))
        if view is PRIMARY:
            primary = [
                MatchedPair(gold[p.gold], pred[p.pred], float(f1[p.gold, p.pred]), verdicts[(p.gold, p.pred)])
                for p in pairs
            ]
    gold_union, pred_union = _coverage(gold, n_tokens), _coverage(pred, n_tokens)
    return ArticleMatch(
        article=article,
        gold=gold,
        pred=pred,
        author=author,
        author_overlapping=_overlapping(gold, author),
        pairs=primary,
        views=views,
        gold_tokens=int(gold_union.sum()),
        pred_tokens=int(pred_union.sum()),
        shared_tokens=int((gold_union & pred_union).sum()),
        notes=notes or [],
    )


def assign(scores: np.ndarray, keep: np.ndarray) -> list[Pair]:
    """Optimal one-to-one pairs among the allowed cells (``keep``), highest total score."""
    if not keep.any():
        return []
    masked = np.where(keep, scores, 0.0)
    rows, cols = linear_sum_assignment(masked, maximize=True)
    return [Pair(int(i), int(j), float(scores[i, j])) for i, j in zip(rows, cols, strict=True) if keep[i, j]]


def shared_tokens(gold: Sequence[PreparedClaim], pred: Sequence[PreparedClaim]) -> np.ndarray:
    """Tokens each gold claim shares with each predicted claim (a gold x pred matrix).

    Computed on token ranges, not token sets: every pair of ranges overlaps by
    ``max(0, min(ends) - max(starts))`` tokens, all at once with numpy broadcasting.
    """
    shared = np.zeros((len(gold), len(pred)), dtype=np.float64)
    g_owner, g_start, g_stop = _flatten(gold)
    p_owner, p_start, p_stop = _flatten(pred)
    if len(g_owner) and len(p_owner):
        overlap = np.minimum(g_stop[:, None], p_stop[None, :]) - np.maximum(g_start[:, None], p_start[None, :])
        np.add.at(shared, (g_owner[:, None], p_owner[None, :]), np.clip(overlap, 0, None))
    return shared


def _flatten(claims: Sequence[PreparedClaim]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Owner index, start and stop of every token range of some claims."""
    rows = [(i, start, stop) for i, c in enumerate(claims) for start, stop in c.content_ranges]
    array = np.array(rows, dtype=np.int64).reshape(-1, 3)
    return array[:, 0], array[:, 1], array[:, 2]


def _sizes(claims: Sequence[PreparedClaim]) -> np.ndarray:
    return np.array([c.token_count for c in claims], dtype=np.float64)


def _coverage(claims: Sequence[PreparedClaim], n_tokens: int) -> np.ndarray:
    """Which tokens of the article any of the claims covers."""
    mask = np.zeros(n_tokens, dtype=bool)
    for claim in claims:
        for start, stop in claim.content_ranges:
            mask[start:stop] = True
    return mask


def _f1(shared: np.ndarray, gold_sizes: np.ndarray, pred_sizes: np.ndarray) -> np.ndarray:
    total = gold_sizes[:, None] + pred_sizes[None, :]
    return np.divide(2 * shared, total, out=np.zeros_like(shared), where=total > 0)


Verdicts = dict[tuple[int, int], tuple[FieldOutcome, ...]]
"""Field verdicts of every (gold, predicted) pair whose tokens overlap."""


def _strict(
    gold: Sequence[PreparedClaim], pred: Sequence[PreparedClaim], verdicts: Verdicts
) -> tuple[np.ndarray, np.ndarray]:
    score = np.zeros((len(gold), len(pred)), dtype=np.float32)
    for i, j in verdicts:
        if gold[i].pieces and gold[i].pieces == pred[j].pieces:
            score[i, j] = 1.0
    return score, score > 0


def _overlap(
    gold: Sequence[PreparedClaim], pred: Sequence[PreparedClaim], verdicts: Verdicts, threshold: float
) -> tuple[np.ndarray, np.ndarray]:
    """GGT's asymmetric character overlap, computed only where tokens already overlap."""
    score = np.zeros((len(gold), len(pred)), dtype=np.float32)
    for i, j in verdicts:
        score[i, j] = gold_coverage(gold[i].pieces, pred[j].pieces)
    return score, score > threshold


def gold_coverage(gold: Sequence[tuple[int, int]], pred: Sequence[tuple[int, int]]) -> float:
    """Share of the gold pieces' characters that the predicted pieces cover."""
    size = sum(end - start for start, end in gold)
    if size == 0:
        return 0.0
    covered = sum(
        max(0, min(g_end, p_end) - max(g_start, p_start))
        for g_start, g_end in gold
        for p_start, p_end in pred
    )
    return min(1.0, covered / size)


def _overlapping(gold: Sequence[PreparedClaim], author: Sequence[PreparedClaim]) -> int:
    """Author claims that would have matched some gold claim: attributions the system missed."""
    if not author or not gold:
        return 0
    f1 = _f1(shared_tokens(author, gold), _sizes(author), _sizes(gold))
    return int((f1 >= TOKEN_F1_THRESHOLD).any(axis=1).sum())
