"""Aggregate matched articles into the figures the harness reports.

Everything is micro-averaged over claims (each claim weighs the same, whatever its
article), with a per-article breakdown beside it. Conventions:

- ``claims``: precision = matched / predicted, recall = matched / gold. Predicted claims
  whose speaker type is ``author`` are left out of both and counted under ``author``.
- Field accuracies are over matched pairs whose gold labels the field; a field no gold
  claim labels is ``None`` (null in JSON), never 0.
- ``attribution``: a claim counts only if it is matched *and* its speaker is right.
- ``hedging.kappa``: Cohen's kappa with quadratic weights over the ordinal scale
  none < low < high (scikit-learn), on pairs where both sides carry a label; when every
  such pair agrees it is 1.0 (scikit-learn returns NaN when only one level occurs).
- 95% confidence intervals: percentile bootstrap over articles (seeded), resampling
  whole articles because claims of one article are not independent.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from sklearn.metrics import cohen_kappa_score, confusion_matrix, f1_score

from annotator.evaluation.fields import LABEL_FIELDS, Field, FieldOutcome
from annotator.evaluation.matching import VIEWS, ArticleMatch
from annotator.models import HEDGING_ORDER, QuoteType, Stance

MISSING = "(none)"
"""Confusion-matrix column for a prediction that leaves a labelled field empty."""

_LABEL_ORDER = {
    Field.quote_type: [q.value for q in QuoteType],
    Field.hedging: [h.value for h in HEDGING_ORDER],
    Field.stance: [s.value for s in Stance],
}


@dataclass(frozen=True)
class Rate:
    """Precision, recall, F1 of a detection task, with counts and a bootstrap CI for F1."""

    precision: float | None
    recall: float | None
    f1: float | None
    gold: int
    predicted: int
    matched: int
    f1_ci: tuple[float, float] | None = None


@dataclass(frozen=True)
class Confusion:
    """Rows are gold labels, columns predicted ones."""

    labels: tuple[str, ...]
    columns: tuple[str, ...]
    matrix: tuple[tuple[int, ...], ...]


@dataclass(frozen=True)
class FieldScore:
    """Accuracy of one field over the matched pairs whose gold labels it."""

    field: Field
    n: int
    correct: int
    accuracy: float | None
    kappa: float | None = None
    macro_f1: float | None = None
    confusion: Confusion | None = None


@dataclass(frozen=True)
class ViewScore:
    """Detection figures under one matching view."""

    name: str
    description: str
    precision: float | None
    recall: float | None
    f1: float | None
    matched: int
    speaker_accuracy: float | None


@dataclass(frozen=True)
class ArticleScore:
    """One article's line in the per-article breakdown."""

    article: str
    gold: int
    predicted: int
    author: int
    matched: int
    attributed: int
    precision: float | None
    recall: float | None
    f1: float | None
    attribution_f1: float | None


@dataclass(frozen=True)
class ItemOutcome:
    """Which scored fields of one gold claim came out right or wrong (for baselines)."""

    article: str
    gold_index: int
    content: str
    right: tuple[str, ...]
    wrong: tuple[str, ...]


@dataclass(frozen=True)
class Metrics:
    """Everything the reports show."""

    articles: int
    claims: Rate
    attribution: Rate
    fields: tuple[FieldScore, ...]
    views: tuple[ViewScore, ...]
    content_tokens: Rate
    author_predicted: int
    author_overlapping_gold: int
    per_article: tuple[ArticleScore, ...]
    items: tuple[ItemOutcome, ...]
    notes: tuple[str, ...]


def ratio(numerator: float, denominator: float) -> float | None:
    """``None`` for an undefined ratio (nothing to divide by), never a silent 0."""
    return numerator / denominator if denominator else None


def rate(matched: int, gold: int, predicted: int, ci: tuple[float, float] | None = None) -> Rate:
    """Precision/recall/F1; F1 is 0 when something was expected or predicted and nothing matched."""
    total = gold + predicted
    precision, recall = ratio(matched, predicted), ratio(matched, gold)
    return Rate(precision, recall, ratio(2 * matched, total), gold, predicted, matched, ci)


def aggregate(articles: Sequence[ArticleMatch], *, seed: int = 0, resamples: int = 1000) -> Metrics:
    """Micro-averaged metrics over all articles, plus bootstrap CIs and per-article lines."""
    counts = np.array(
        [[len(a.pairs), len(a.gold), len(a.pred), sum(p.speaker_correct for p in a.pairs)] for a in articles],
        dtype=np.int64,
    ).reshape(-1, 4)
    matched, gold, pred, attributed = (int(x) for x in counts.sum(axis=0))
    claims_ci, attribution_ci = bootstrap_f1(counts, seed=seed, resamples=resamples)
    outcomes = [f for a in articles for p in a.pairs for f in p.fields]
    return Metrics(
        articles=len(articles),
        claims=rate(matched, gold, pred, claims_ci),
        attribution=rate(attributed, gold, pred, attribution_ci),
        fields=tuple(score_field(field, [o for o in outcomes if o.field is field]) for field in Field),
        views=_views(articles, gold, pred),
        content_tokens=rate(
            sum(a.shared_tokens for a in articles),
            sum(a.gold_tokens for a in articles),
            sum(a.pred_tokens for a in articles),
        ),
        author_predicted=sum(len(a.author) for a in articles),
        author_overlapping_gold=sum(a.author_overlapping for a in articles),
        per_article=tuple(_article_score(a) for a in articles),
        items=tuple(item for a in articles for item in _items(a)),
        notes=tuple(note for a in articles for note in a.notes),
    )


def bootstrap_f1(
    counts: np.ndarray, *, seed: int, resamples: int
) -> tuple[tuple[float, float] | None, tuple[float, float] | None]:
    """95% percentile intervals of claims F1 and attribution F1, resampling articles.

    ``counts`` has one row per article: matched, gold, predicted, attributed.
    """
    if len(counts) == 0 or resamples <= 0:
        return None, None
    rng = np.random.default_rng(seed)
    picks = rng.integers(0, len(counts), size=(resamples, len(counts)))
    sums = counts[picks].sum(axis=1)
    total = (sums[:, 1] + sums[:, 2]).astype(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        claims = np.where(total > 0, 2 * sums[:, 0] / total, np.nan)
        attribution = np.where(total > 0, 2 * sums[:, 3] / total, np.nan)
    return _interval(claims), _interval(attribution)


def _interval(values: np.ndarray) -> tuple[float, float] | None:
    if np.isnan(values).all():
        return None
    low, high = np.nanpercentile(values, [2.5, 97.5])
    return float(low), float(high)


def score_field(field: Field, outcomes: Sequence[FieldOutcome]) -> FieldScore:
    """Accuracy of a field, plus kappa (hedging), macro-F1 (stance), confusion (labels)."""
    scored = [o for o in outcomes if o.correct is not None]
    correct = sum(1 for o in scored if o.correct)
    accuracy = ratio(correct, len(scored))
    if field not in LABEL_FIELDS or not scored:
        return FieldScore(field, len(scored), correct, accuracy)
    truth = [str(o.gold) for o in scored]
    guess = [o.pred if o.pred is not None else MISSING for o in scored]
    return FieldScore(
        field,
        len(scored),
        correct,
        accuracy,
        kappa=hedging_kappa(truth, guess) if field is Field.hedging else None,
        macro_f1=_macro_f1(truth, guess) if field is Field.stance else None,
        confusion=_confusion(field, truth, guess),
    )


def hedging_kappa(truth: Sequence[str], guess: Sequence[str]) -> float | None:
    """Quadratic-weighted kappa on the ordinal hedging scale; see the module docstring."""
    pairs = [(t, g) for t, g in zip(truth, guess, strict=True) if g != MISSING]
    if not pairs:
        return None
    if all(t == g for t, g in pairs):
        return 1.0
    labels = [h.value for h in HEDGING_ORDER]
    value = cohen_kappa_score([t for t, _ in pairs], [g for _, g in pairs], labels=labels, weights="quadratic")
    # kappa lies in [-1, 1]; floating point can land a hair outside (-1.0000000000000004).
    return None if np.isnan(value) else float(np.clip(value, -1.0, 1.0))


def _macro_f1(truth: Sequence[str], guess: Sequence[str]) -> float:
    """Macro-F1 over the stance labels that occur in gold or prediction."""
    labels = sorted(set(truth) | (set(guess) - {MISSING}))
    return float(f1_score(truth, guess, labels=labels, average="macro", zero_division=0))


def _confusion(field: Field, truth: Sequence[str], guess: Sequence[str]) -> Confusion:
    """Rows and columns for the labels that occur; the full label set keeps sklearn's shape fixed."""
    every = [*_LABEL_ORDER[field], MISSING]
    full = confusion_matrix(truth, guess, labels=every)
    present = set(truth) | set(guess)
    rows = [i for i, label in enumerate(every) if label in present and label != MISSING]
    columns = [i for i, label in enumerate(every) if label in present]
    return Confusion(
        tuple(every[i] for i in rows),
        tuple(every[i] for i in columns),
        tuple(tuple(int(full[r, c]) for c in columns) for r in rows),
    )


def _views(articles: Sequence[ArticleMatch], gold: int, pred: int) -> tuple[ViewScore, ...]:
    scores = []
    for index, view in enumerate(VIEWS):
        matched = sum(a.views[index].matched for a in articles)
        right = sum(a.views[index].speaker_correct for a in articles)
        detection = rate(matched, gold, pred)
        scores.append(
            ViewScore(view.name, view.description, detection.precision, detection.recall, detection.f1,
                      matched, ratio(right, matched))
        )
    return tuple(scores)


def _article_score(article: ArticleMatch) -> ArticleScore:
    matched = len(article.pairs)
    attributed = sum(p.speaker_correct for p in article.pairs)
    detection = rate(matched, len(article.gold), len(article.pred))
    return ArticleScore(
        article=article.article,
        gold=len(article.gold),
        predicted=len(article.pred),
        author=len(article.author),
        matched=matched,
        attributed=attributed,
        precision=detection.precision,
        recall=detection.recall,
        f1=detection.f1,
        attribution_f1=rate(attributed, len(article.gold), len(article.pred)).f1,
    )


def _items(article: ArticleMatch) -> list[ItemOutcome]:
    """Right/wrong per gold claim; unmatched gold claims are wrong on claims and attribution."""
    by_gold = {pair.gold.index: pair for pair in article.pairs}
    items = []
    for claim in article.gold:
        pair = by_gold.get(claim.index)
        content = claim.claim.content[:120]
        if pair is None:
            items.append(ItemOutcome(article.article, claim.index, content, (), ("claims", "attribution")))
            continue
        right = ["claims"] + (["attribution"] if pair.speaker_correct else [])
        wrong = [] if pair.speaker_correct else ["attribution"]
        for outcome in pair.fields:
            if outcome.correct is not None:
                (right if outcome.correct else wrong).append(outcome.field.value)
        items.append(ItemOutcome(article.article, claim.index, content, tuple(right), tuple(wrong)))
    return items
