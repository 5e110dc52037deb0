"""The harness end to end: two folders in, :class:`Evaluation` out.

Gold decides which articles are scored: a gold article with no prediction counts as an
empty prediction (its claims are misses), unless ``intersect`` restricts scoring to the
articles both folders have (inter-annotator agreement on a doubly annotated subset).
Predicted articles without gold are listed in the notes and not scored.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

from annotator.evaluation.fields import prepare
from annotator.evaluation.loading import (
    AnnotationSet,
    LoadedArticle,
    SpeakerRule,
    TextFinder,
    load_set,
    resolve_claims,
)
from annotator.evaluation.matching import ArticleMatch, match_article
from annotator.evaluation.metrics import Metrics, aggregate
from annotator.evaluation.tokens import TokenIndex
from annotator.models import SpeakerType


@dataclass(frozen=True)
class Evaluation:
    """Metrics plus the per-article matches behind them (for details and reports)."""

    gold_dir: Path
    pred_dir: Path
    speaker_rule: SpeakerRule
    metrics: Metrics
    matches: list[ArticleMatch]
    stale: tuple[str, ...] = ()
    """Outputs in the run folder its latest run did not produce (see ``stale_warning``)."""
    stale_scored: bool = False


def evaluate(
    pred_dir: Path,
    gold_dir: Path,
    *,
    articles_dir: Path | None = None,
    intersect: bool = False,
    seed: int = 0,
    resamples: int = 1000,
    include_stale: bool = False,
) -> Evaluation:
    """Score a run (or another gold folder) against gold. Raises ``EvalInputError`` on bad input.

    Outputs the run folder's latest run did not produce are not scored (a note says so)
    unless ``include_stale``."""
    with without_cycle_collector():
        return _evaluate(pred_dir, gold_dir, articles_dir, intersect, seed, resamples, include_stale)


@contextmanager
def without_cycle_collector() -> Iterator[None]:
    """Pause CPython's cycle collector while tens of thousands of records are built.

    Nothing here creates reference cycles, yet each collection walks every live object;
    on PolNeAR train this halves the run time. Reference counting still frees memory.
    Callers that go on to build reports from the result use it too.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _evaluate(
    pred_dir: Path, gold_dir: Path, articles_dir: Path | None, intersect: bool, seed: int, resamples: int,
    include_stale: bool,
) -> Evaluation:
    gold_set, pred_set = load_set(gold_dir), load_set(pred_dir, include_stale=include_stale)
    fallbacks = [d for d in (gold_set.text_dir, pred_set.text_dir) if d is not None]
    finder = TextFinder(articles_dir, fallbacks)
    ids = sorted(gold_set.articles)
    if intersect:
        ids = [i for i in ids if i in pred_set.articles]
    notes = _set_notes(gold_set, pred_set, ids, include_stale)
    matches = [
        _match(i, gold_set.articles[i], pred_set.articles.get(i), finder, gold_set.speaker_rule)
        for i in ids
    ]
    metrics = aggregate(matches, seed=seed, resamples=resamples)
    metrics = replace(metrics, notes=tuple(notes) + metrics.notes)
    return Evaluation(gold_dir, pred_dir, gold_set.speaker_rule, metrics, matches, pred_set.stale, include_stale)


def stale_warning(root: Path, stale: tuple[str, ...], *, scored: bool) -> str:
    """What eval says of outputs left in a run folder by an earlier run of other inputs."""
    listed = ", ".join(stale[:5]) + (", ..." if len(stale) > 5 else "")
    verdict = "scored anyway (--include-stale)" if scored else "not scored (--include-stale scores them)"
    return (f"{len(stale)} article output(s) in {root / 'articles'} were not produced by the latest run "
            f"(run.json), left from an earlier run of other inputs: {verdict}: {listed}")


def _set_notes(gold: AnnotationSet, pred: AnnotationSet, ids: list[str], include_stale: bool) -> list[str]:
    notes = [stale_warning(pred.root, pred.stale, scored=include_stale)] if pred.stale else []
    missing = [i for i in ids if i not in pred.articles]
    if missing:
        notes.append(f"{len(missing)} gold article(s) have no prediction (scored as empty): {', '.join(missing[:5])}")
    extra = sorted(set(pred.articles) - set(gold.articles))
    if extra:
        notes.append(f"{len(extra)} predicted article(s) have no gold (not scored): {', '.join(extra[:5])}")
    failed = [i for i in ids if i in pred.articles and pred.articles[i].errors]
    if failed:
        notes.append(f"{len(failed)} article(s) ended with errors in the run: {', '.join(failed[:5])}")
    if not ids:
        notes.append("no article to score")
    return notes


def _match(
    article_id: str,
    gold: LoadedArticle,
    pred: LoadedArticle | None,
    finder: TextFinder,
    rule: SpeakerRule,
) -> ArticleMatch:
    text = finder.text(article_id, gold, pred)
    tokens = TokenIndex.of(text)
    gold_claims = resolve_claims(gold, text, gold=True).claims
    gold_prepared = prepare(gold.annotation, gold_claims, tokens, text, gold=True)
    if pred is None:
        return match_article(article_id, gold_prepared, [], [], len(tokens), rule)
    resolved = resolve_claims(pred, text, gold=False)
    predicted = prepare(pred.annotation, resolved.claims, tokens, text, gold=False)
    author = [p for p in predicted if p.speaker_type is SpeakerType.author]
    attributed = [p for p in predicted if p.speaker_type is not SpeakerType.author]
    return match_article(
        article_id, gold_prepared, attributed, author, len(tokens), rule, resolved.unplaced
    )
