"""Field scores, kappa, macro-F1, confusion matrices, nulls and the bootstrap."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from eval_support import ARTICLE_ID, CLAIMS, gold_article, write_articles, write_gold
from hypothesis import given
from hypothesis import strategies as st

from annotator.evaluation.fields import Field, FieldOutcome
from annotator.evaluation.harness import evaluate
from annotator.evaluation.metrics import MISSING, bootstrap_f1, hedging_kappa, rate, score_field
from annotator.evaluation.report import metrics_json


def outcomes(field: Field, pairs: list[tuple[str | None, str | None]]) -> list[FieldOutcome]:
    return [FieldOutcome(field, g, p, None if g is None else g == p) for g, p in pairs]


# Hedging pairs (gold, predicted) with this confusion matrix (rows gold none/low/high):
#            none low high
#   none       2   1    0
#   low        0   1    0
#   high       0   1    1
HEDGING_PAIRS = [("none", "none"), ("none", "none"), ("none", "low"), ("low", "low"),
                 ("high", "low"), ("high", "high")]


def test_quadratic_kappa_matches_the_hand_computation() -> None:
    # Weights w_ij = (i - j)^2 / (k - 1)^2 with k = 3: adjacent levels 1/4, none-high 1.
    # n = 6. Observed weighted disagreement: cells (none,low) and (high,low), one each,
    #   each weighted 1/4 -> 0.5 / n = 0.5 / 6.
    # Marginals: gold rows r = (3, 1, 2), predicted columns c = (2, 3, 1).
    # Expected weighted disagreement: sum w_ij r_i c_j / n^2
    #   = (1/4*3*3 + 1*3*1 + 1/4*1*2 + 1/4*1*1 + 1*2*2 + 1/4*2*3) / 36 = 11.5 / 36.
    # kappa = 1 - (0.5/6) / (11.5/36) = 1 - 18/69 = 17/23 = 0.7391...
    truth, guess = zip(*HEDGING_PAIRS, strict=True)
    assert hedging_kappa(list(truth), list(guess)) == pytest.approx(17 / 23)
    score = score_field(Field.hedging, outcomes(Field.hedging, HEDGING_PAIRS))
    assert score.kappa == pytest.approx(17 / 23)
    assert score.accuracy == pytest.approx(4 / 6)
    assert score.confusion is not None
    assert score.confusion.labels == ("none", "low", "high")
    assert score.confusion.matrix == ((2, 1, 0), (0, 1, 0), (0, 1, 1))


def test_kappa_of_perfect_agreement_on_one_level_is_one() -> None:
    # sklearn returns NaN here (expected disagreement 0); agreement is still perfect.
    assert hedging_kappa(["none", "none"], ["none", "none"]) == 1.0
    assert hedging_kappa([], []) is None


def test_stance_macro_f1_by_hand() -> None:
    # gold/pred: neutral/neutral, neutral/distance, distance/distance, endorse/neutral
    # neutral: P 1/2, R 1/2 -> F1 1/2; distance: P 1/2, R 1 -> 2/3; endorse: F1 0
    # macro over the three labels present = (1/2 + 2/3 + 0) / 3 = 7/18
    pairs = [("neutral", "neutral"), ("neutral", "distance"), ("distance", "distance"), ("endorse", "neutral")]
    score = score_field(Field.stance, outcomes(Field.stance, pairs))
    assert score.macro_f1 == pytest.approx(7 / 18)
    assert score.accuracy == pytest.approx(2 / 4)


def test_unlabelled_gold_is_unscored_and_missing_prediction_is_wrong() -> None:
    score = score_field(Field.stance, outcomes(Field.stance, [(None, "neutral"), ("neutral", None)]))
    assert score.n == 1 and score.correct == 0
    assert score.confusion is not None and MISSING in score.confusion.columns
    nothing = score_field(Field.hedging, outcomes(Field.hedging, [(None, "low")]))
    assert nothing.accuracy is None and nothing.kappa is None


def test_field_without_gold_labels_is_null_in_json(tmp_path: Path) -> None:
    unlabelled = [{**c, "hedging": None, "stance": None, "via": None, "hedge_cues": []} for c in CLAIMS]
    articles = write_articles(tmp_path / "articles")
    gold_dir = write_gold(tmp_path / "gold", gold_article(claims=unlabelled))
    pred_dir = write_gold(tmp_path / "pred", gold_article())
    data = metrics_json(evaluate(pred_dir, gold_dir, articles_dir=articles, resamples=0))
    assert data["hedging"]["accuracy"] is None
    assert data["hedging"]["kappa"] is None
    assert data["stance"]["accuracy"] is None and data["stance"]["macro_f1"] is None
    assert data["via"]["accuracy"] is None
    assert data["quote_type"]["accuracy"] == 1.0
    assert data["claims"]["f1_ci"] is None  # resamples=0


def test_wrong_labels_show_in_accuracy_and_confusion(tmp_path: Path) -> None:
    pred = gold_article()
    pred["claims"][4]["hedging"] = "low"  # gold high
    pred["claims"][1]["stance"] = "distance"  # gold neutral
    pred["claims"][2]["via"] = []  # gold ["BBC"]
    pred["claims"][0]["cue"] = "claimed"  # gold "said"
    articles = write_articles(tmp_path / "articles")
    data = metrics_json(evaluate(write_gold(tmp_path / "p", pred), write_gold(tmp_path / "g"), articles_dir=articles))
    assert data["hedging"]["accuracy"] == pytest.approx(4 / 5)
    # rows: gold none, low, high (low appears only as a prediction); the high claim went low
    assert data["hedging"]["confusion"]["labels"] == ["none", "low", "high"]
    assert data["hedging"]["confusion"]["matrix"] == [[4, 0, 0], [0, 0, 0], [0, 1, 0]]
    assert data["stance"]["accuracy"] == pytest.approx(4 / 5)
    assert data["via"]["accuracy"] == pytest.approx(4 / 5)
    assert data["cue"]["accuracy"] == pytest.approx(4 / 5)
    assert data["attribution"]["f1"] == 1.0  # speakers all right


def test_rate_conventions() -> None:
    assert rate(0, 0, 0).f1 is None
    assert rate(0, 3, 0).precision is None and rate(0, 3, 0).recall == 0.0
    assert rate(2, 4, 2).f1 == pytest.approx(2 * 2 / 6)


def test_bootstrap_is_seeded_and_brackets_the_estimate() -> None:
    rng = np.random.default_rng(1)
    gold = rng.integers(1, 20, size=60)
    pred = rng.integers(1, 20, size=60)
    matched = np.minimum(gold, pred) - rng.integers(0, 2, size=60)
    counts = np.stack([matched, gold, pred, matched], axis=1)
    first, _ = bootstrap_f1(counts, seed=7, resamples=500)
    again, _ = bootstrap_f1(counts, seed=7, resamples=500)
    assert first == again
    point = 2 * matched.sum() / (gold.sum() + pred.sum())
    assert first is not None and first[0] < point < first[1]
    assert bootstrap_f1(counts[:0], seed=0, resamples=10) == (None, None)


LEVELS = st.sampled_from(["none", "low", "high"])


@given(st.lists(st.tuples(LEVELS, LEVELS), min_size=1))
def test_kappa_is_bounded_and_one_only_for_agreement(pairs) -> None:
    truth, guess = (list(x) for x in zip(*pairs, strict=True))
    value = hedging_kappa(truth, guess)
    if value is not None:
        assert -1.0 <= value <= 1.0 + 1e-9
        if truth != guess:
            assert value < 1.0 or len(set(truth) | set(guess)) == 1


def test_per_article_lines(tmp_path: Path) -> None:
    articles = write_articles(tmp_path / "articles")
    pred = gold_article(claims=CLAIMS[:2])
    result = evaluate(write_gold(tmp_path / "p", pred), write_gold(tmp_path / "g"), articles_dir=articles, resamples=0)
    (line,) = result.metrics.per_article
    assert (line.article, line.gold, line.predicted, line.matched) == (ARTICLE_ID, 5, 2, 2)
    assert line.recall == pytest.approx(2 / 5) and line.precision == 1.0


def test_kappa_never_leaves_its_range_by_rounding() -> None:
    """Perfect disagreement is -1; floating point must not make it -1.0000000000000004."""
    value = hedging_kappa(["none", "low", "high"], ["high", "low", "none"])  # sklearn: -1.0000000000000004
    assert value is not None and -1.0 <= value <= 1.0
