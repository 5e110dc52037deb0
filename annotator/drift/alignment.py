"""Claims into clusters: one cluster per proposition per act of saying, across articles.

Articles are read in order, the reference first. Each article's claims are assigned to
the clusters built so far by an optimal one-to-one assignment
(``scipy.optimize.linear_sum_assignment`` on the :mod:`similarity` scores, a claim's
score with a cluster being its best score with any member): one article reports a
proposition once, so two of its claims competing for one cluster are settled by the
assignment, not by whichever came first. A claim left over joins the cluster it is
closest to only at the stricter ``repeat`` threshold (a scraping duplicate, a headline
restating the lead, a paraphrase next to the direct quote it paraphrases); otherwise it
starts a cluster of its own, which later articles can join.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy.optimize import linear_sum_assignment

from annotator.drift.similarity import DEFAULT, Weights


@dataclass(frozen=True)
class Alignment:
    """Clusters as lists of flat claim indices, in the order they should be numbered."""

    clusters: list[list[int]]


def align(
    article_of: Sequence[int], scores: np.ndarray, weights: Weights = DEFAULT, apart: np.ndarray | None = None
) -> Alignment:
    """Cluster claims given each claim's article (0 = the reference) and the score matrix.

    Claims must be grouped by article in reading order (all of article 0, then 1, ...).
    ``apart`` marks pairs that may never share a cluster: two claims of one article split
    from one sentence under one cue are, by the scheme's split rule, two propositions.
    An article's own repeats (scores at least ``repeat`` with each other: a scraping
    duplicate, a headline restating the lead) are grouped first and placed as one unit,
    so the assignment cannot send one copy to the right cluster and the other elsewhere.
    """
    clusters: list[list[int]] = []
    owner = np.asarray(article_of)
    for article in dict.fromkeys(article_of):
        units = _repeats([int(c) for c in np.flatnonzero(owner == article)], scores, weights.repeat, apart)
        taken = _assign(units, clusters, scores, weights.join)
        for number, unit in enumerate(units):
            if number in taken:
                continue
            best, score = _closest(unit, clusters, scores, apart)
            if best is not None and score >= weights.repeat:
                clusters[best] += unit
            else:
                clusters.append(list(unit))
    return Alignment(clusters=[sorted(c) for c in clusters])


def _repeats(claims: list[int], scores: np.ndarray, threshold: float, apart: np.ndarray | None) -> list[list[int]]:
    """One article's claims in groups of repeats (single-linkage at ``threshold``), in reading order."""
    groups: list[list[int]] = []
    for claim in claims:
        home = next(
            (g for g in groups
             if scores[claim, g].max() >= threshold and (apart is None or not apart[claim, g].any())),
            None,
        )
        if home is None:
            groups.append([claim])
        else:
            home.append(claim)
    return groups


def _assign(units: list[list[int]], clusters: list[list[int]], scores: np.ndarray, threshold: float) -> set[int]:
    """One-to-one: each cluster takes at most one of this article's units; returns the units placed."""
    if not clusters or not units:
        return set()
    matrix = np.array([[scores[np.ix_(unit, members)].max() for members in clusters] for unit in units])
    keep = matrix >= threshold
    if not keep.any():
        return set()
    rows, cols = linear_sum_assignment(np.where(keep, matrix, 0.0), maximize=True)
    taken = set()
    for row, col in zip(rows, cols, strict=True):
        if keep[row, col]:
            clusters[col] += units[row]
            taken.add(int(row))
    return taken


def _closest(
    unit: list[int], clusters: list[list[int]], scores: np.ndarray, apart: np.ndarray | None
) -> tuple[int | None, float]:
    best, best_score = None, -1.0
    for index, members in enumerate(clusters):
        if apart is not None and apart[np.ix_(unit, members)].any():
            continue
        score = float(scores[np.ix_(unit, members)].max())
        if score > best_score:
            best, best_score = index, score
    return best, best_score
