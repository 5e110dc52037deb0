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
    """
    clusters: list[list[int]] = []
    owner = np.asarray(article_of)
    for article in dict.fromkeys(article_of):
        claims = np.flatnonzero(owner == article)
        taken = _assign(claims, clusters, scores, weights.join)
        for claim in map(int, claims):
            if claim in taken:
                continue
            best, score = _closest(claim, clusters, scores, apart)
            if best is not None and score >= weights.repeat:
                clusters[best].append(claim)
            else:
                clusters.append([claim])
    return Alignment(clusters=[sorted(c) for c in clusters])


def _assign(claims: np.ndarray, clusters: list[list[int]], scores: np.ndarray, threshold: float) -> set[int]:
    """One-to-one: each cluster takes at most one of this article's claims."""
    if not clusters or not len(claims):
        return set()
    matrix = np.stack([scores[np.ix_(claims, np.asarray(members))].max(axis=1) for members in clusters], axis=1)
    keep = matrix >= threshold
    if not keep.any():
        return set()
    rows, cols = linear_sum_assignment(np.where(keep, matrix, 0.0), maximize=True)
    taken = set()
    for row, col in zip(rows, cols, strict=True):
        if keep[row, col]:
            clusters[col].append(int(claims[row]))
            taken.add(int(claims[row]))
    return taken


def _closest(
    claim: int, clusters: list[list[int]], scores: np.ndarray, apart: np.ndarray | None
) -> tuple[int | None, float]:
    best, best_score = None, -1.0
    for index, members in enumerate(clusters):
        if apart is not None and apart[claim, members].any():
            continue
        score = float(scores[claim, members].max())
        if score > best_score:
            best, best_score = index, score
    return best, best_score
