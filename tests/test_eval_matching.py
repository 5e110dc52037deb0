"""Matching and the headline figures: perfect, empty, permuted, thresholds, views, author."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from eval_support import ARTICLE_ID, CLAIMS, TEXT, gold_article, write_articles, write_gold
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from annotator.evaluation.harness import Evaluation, evaluate
from annotator.evaluation.matching import gold_coverage
from annotator.evaluation.report import metrics_json


def score(tmp_path: Path, pred: dict, gold: dict | None = None, text: str = TEXT) -> Evaluation:
    """Evaluate one predicted article against one gold article (both gold-format folders)."""
    articles = write_articles(tmp_path / "articles", {ARTICLE_ID: text})
    gold_dir = write_gold(tmp_path / "gold", gold or gold_article())
    pred_dir = write_gold(tmp_path / "pred", pred)
    return evaluate(pred_dir, gold_dir, articles_dir=articles, resamples=50)


def test_perfect_prediction_scores_one_everywhere(tmp_path: Path) -> None:
    data = metrics_json(score(tmp_path, gold_article()))
    for metric in ("precision", "recall", "f1"):
        assert data["claims"][metric] == 1.0
    assert data["attribution"]["f1"] == 1.0
    for field in ("speaker", "cue", "quote_type", "via", "hedging", "stance"):
        assert data[field]["accuracy"] == 1.0, field
    assert data["hedging"]["kappa"] == 1.0
    assert data["stance"]["macro_f1"] == 1.0
    assert all(view["f1"] == 1.0 for view in data["views"].values())
    assert data["claims"]["gold"] == data["claims"]["predicted"] == len(CLAIMS)


def test_empty_prediction_has_recall_zero_and_no_precision(tmp_path: Path) -> None:
    data = metrics_json(score(tmp_path, gold_article(claims=[])))
    assert data["claims"]["recall"] == 0.0
    assert data["claims"]["precision"] is None  # nothing predicted: undefined, not 0
    assert data["claims"]["f1"] == 0.0
    assert data["attribution"]["f1"] == 0.0
    assert data["speaker"]["accuracy"] is None  # no matched pair to judge


def test_prediction_with_no_gold_counts_as_empty(tmp_path: Path) -> None:
    articles = write_articles(tmp_path / "articles", {ARTICLE_ID: TEXT, "other": "X said y."})
    other = {"article": "other", "speakers": [{"id": "x", "name": "X", "type": "person"}],
             "claims": [{"speaker": "x", "mention": "X", "cue": "said", "content": "y"}]}
    gold_dir = write_gold(tmp_path / "gold", gold_article(), other)
    pred_dir = write_gold(tmp_path / "pred", gold_article())
    result = evaluate(pred_dir, gold_dir, articles_dir=articles, resamples=0)
    assert result.metrics.claims.recall == pytest.approx(5 / 6)
    assert any("no prediction" in note for note in result.metrics.notes)
    intersected = evaluate(pred_dir, gold_dir, articles_dir=articles, intersect=True, resamples=0)
    assert intersected.metrics.claims.recall == 1.0


def test_token_f1_threshold_is_inclusive_at_one_half(tmp_path: Path) -> None:
    # gold "the town was quiet" (4 tokens); "town was" shares 2: F1 = 2*2/(4+2) = 0.667 -> match
    # "quiet" shares 1: F1 = 2*1/(4+1) = 0.4 -> no match
    gold = gold_article(claims=[CLAIMS[3]])
    half = gold_article(claims=[{**CLAIMS[3], "content": "town was"}])
    assert score(tmp_path / "a", half, gold).metrics.claims.matched == 1
    low = gold_article(claims=[{**CLAIMS[3], "content": "quiet"}])
    assert score(tmp_path / "b", low, gold).metrics.claims.matched == 0


def test_strict_view_ignores_quote_marks_and_trailing_punctuation(tmp_path: Path) -> None:
    gold = gold_article(claims=[CLAIMS[1]])
    quoted = gold_article(claims=[{**CLAIMS[1], "content": '"We will not stop,"'}])
    views = {v.name: v for v in score(tmp_path, quoted, gold).metrics.views}
    assert views["strict"].matched == 1
    shorter = gold_article(claims=[{**CLAIMS[1], "content": "We will not"}])
    views = {v.name: v for v in score(tmp_path / "b", shorter, gold).metrics.views}
    assert views["strict"].matched == 0
    assert views["token_f1"].matched == 1


def test_ggt_overlap_is_share_of_gold_characters(tmp_path: Path) -> None:
    # gold "the attack may have been coordinated" (36 chars); prediction "the attack may"
    # covers 14 of them: 14/36 = 0.39 > 0.3 but not > 0.8; token F1 = 2*3/(6+3) = 0.67.
    gold = gold_article(claims=[CLAIMS[4]])
    part = gold_article(claims=[{**CLAIMS[4], "content": "the attack may"}])
    views = {v.name: v.matched for v in score(tmp_path, part, gold).metrics.views}
    assert views == {"token_f1": 1, "strict": 0, "overlap30": 1, "overlap80": 0}
    assert gold_coverage([(0, 36)], [(0, 14)]) == pytest.approx(14 / 36)
    # asymmetric: a prediction covering the whole gold plus more still covers 100% of it
    assert gold_coverage([(10, 20)], [(0, 100)]) == 1.0


def test_one_to_one_assignment_is_optimal_not_greedy(tmp_path: Path) -> None:
    # Prediction A overlaps both gold claims; B only the first. Greedy in gold order would
    # give gold[0] to A and leave gold[1] unmatched; the optimal assignment matches both.
    text = "Officials said the plan was bold and the rollout was swift and smooth."
    speakers = [{"id": "o", "name": "officials", "type": "anonymous", "aliases": ["Officials"]}]
    base = {"speaker": "o", "mention": "Officials", "cue": "said"}
    gold = {"article": ARTICLE_ID, "speakers": speakers, "claims": [
        {**base, "content": "the plan was bold"},
        {**base, "content": "the rollout was swift and smooth"},
    ]}
    pred = {"article": ARTICLE_ID, "speakers": speakers, "claims": [
        {**base, "content": "the plan was bold and the rollout was swift"},
        {**base, "content": "the plan was bold"},
    ]}
    metrics = score(tmp_path, pred, gold, text).metrics
    assert metrics.claims.matched == 2


def test_author_claims_are_scored_apart_never_false_positives(tmp_path: Path) -> None:
    pred = gold_article()
    pred["speakers"].append({"id": "author", "name": "the author", "type": "author"})
    pred["claims"].append({"speaker": "author", "content": "Mali's army said it repelled"})
    pred["claims"].append({"speaker": "author", "content": "Tuesday morning's attacks"})
    metrics = score(tmp_path, pred).metrics
    assert metrics.claims.precision == 1.0
    assert metrics.claims.predicted == len(CLAIMS)
    assert metrics.author_predicted == 2
    # vs gold "it repelled Tuesday morning's attacks": the first shares 2 of 5 tokens
    # (F1 2*2/(5+5) = 0.4), the second 3 (F1 2*3/(3+5) = 0.75): one attribution missed.
    assert metrics.author_overlapping_gold == 1


def test_same_content_from_two_sources_pairs_each_with_its_own(tmp_path: Path) -> None:
    two = [CLAIMS[3], {**CLAIMS[3], "speaker": "officials", "mention": "Officials"}]
    gold = gold_article(claims=two)
    reversed_pred = gold_article(claims=list(reversed(two)))
    metrics = score(tmp_path, reversed_pred, gold).metrics
    assert metrics.attribution.f1 == 1.0


claim_subsets = st.lists(st.integers(min_value=0, max_value=len(CLAIMS) - 1), unique=True)
edits = st.sampled_from(["keep", "speaker", "hedging", "stance", "cue", "trim"])


def _edited(index: int, edit: str) -> dict:
    claim = dict(CLAIMS[index])
    if edit == "speaker":
        claim.update(speaker="resident" if claim["speaker"] != "resident" else "army",
                     mention="A resident" if claim["speaker"] != "resident" else "Mali's army")
    elif edit == "hedging":
        claim["hedging"], claim["hedge_cues"] = "low", []
    elif edit == "stance":
        claim["stance"] = "distance"
    elif edit == "cue":
        claim["cue"] = "claimed"
    elif edit == "trim":
        claim["content"] = " ".join(claim["content"].split()[1:])
    return claim


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(subset=claim_subsets, edit=st.lists(edits, min_size=len(CLAIMS), max_size=len(CLAIMS)),
       order=st.permutations(range(len(CLAIMS))))
def test_properties_of_any_prediction(tmp_path_factory, subset, edit, order) -> None:
    """Bounds, counts, one-to-one pairs, and invariance to the order of claims."""
    tmp = tmp_path_factory.mktemp("prop")
    pred_claims = [_edited(i, edit[i]) for i in subset]
    evaluation = score(tmp / "a", gold_article(claims=pred_claims))
    first = metrics_json(evaluation)
    pairs = evaluation.matches[0].pairs
    assert len({p.gold.index for p in pairs}) == len({p.pred.index for p in pairs}) == len(pairs)
    permuted = [pred_claims[i] for i in sorted(range(len(pred_claims)), key=lambda i: order[i])]
    gold_permuted = gold_article(claims=[CLAIMS[i] for i in order])
    second = metrics_json(score(tmp / "b", gold_article(claims=permuted), gold_permuted))
    for key in ("claims", "attribution", "speaker", "cue", "hedging", "stance", "views"):
        assert json.dumps(first[key], sort_keys=True) == json.dumps(second[key], sort_keys=True), key
    claims = first["claims"]
    assert claims["matched"] <= min(claims["gold"], claims["predicted"])
    assert claims["predicted"] == len(pred_claims)
    for value in (claims["precision"], claims["recall"], claims["f1"], first["attribution"]["f1"]):
        assert value is None or 0.0 <= value <= 1.0
    assert first["attribution"]["matched"] <= claims["matched"]
    if {edit[i] for i in subset} <= {"keep"}:
        assert claims["matched"] == len(subset)  # untouched claims always match themselves


def test_a_leading_complementiser_is_ignored_on_both_sides():
    """PolNeAR's annotators include "that"; the guidelines leave it out. The harness scores
    the proposition, so the two conventions match exactly, strict view included."""
    from annotator.evaluation.fields import without_complementiser
    from annotator.models import CharSpan

    text = "The army said that it repelled the attacks."
    with_that = [CharSpan(start=14, end=42)]
    without = [CharSpan(start=19, end=42)]
    assert text[14:42] == "that it repelled the attacks"
    assert without_complementiser(text, with_that) == without
    assert without_complementiser(text, without) == without
    assert without_complementiser("He said that.", [CharSpan(start=8, end=12)]) == [CharSpan(start=8, end=12)]
