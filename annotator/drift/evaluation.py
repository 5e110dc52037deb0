"""Scoring a comparison against drift gold: cluster pairs and detected changes.

- **Clusters**, pairwise: every unordered pair of claims in one cluster is a positive;
  precision is the share of predicted pairs that gold also pairs, recall the share of
  gold pairs predicted.
- **Changes**, per field: a change is identified by the article it is in, the claims it
  compares and its field: ``(to, from_claim, to_claim, field)``, and ``(to, from_claim,
  omitted)`` for an omission. ``unattributed`` is scored as a field of its own: an
  omission whose proposition the other article states in the author's voice.

Gold and prediction name claims by their index in their own folder. On gold claims the
indices are the same; end to end (a run's claims), each predicted claim is first mapped
to the gold claim the harness pairs it with (:mod:`annotator.evaluation.matching`, content
token F1 >= 0.5); a pair or a change involving a claim with no gold counterpart can only
be a false positive.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from itertools import combinations
from pathlib import Path

from annotator.drift.records import Comparison, DriftField

UNATTRIBUTED = "unattributed"
FIELDS = (*(f.value for f in DriftField), UNATTRIBUTED)

ClaimKey = tuple[str, int]
Mapping_ = Mapping[ClaimKey, int | None]
ToGold = Callable[[str, int | None], int | None]


@dataclass(frozen=True)
class PRF:
    """Precision, recall and F1 with the counts behind them (``None`` when undefined)."""

    true: int
    predicted: int
    gold: int

    @property
    def precision(self) -> float | None:
        return self.true / self.predicted if self.predicted else None

    @property
    def recall(self) -> float | None:
        return self.true / self.gold if self.gold else None

    @property
    def f1(self) -> float | None:
        total = self.predicted + self.gold
        if not total:
            return None
        return 2 * self.true / total

    def as_dict(self) -> dict[str, float | int | None]:
        return {"precision": self.precision, "recall": self.recall, "f1": self.f1,
                "true": self.true, "predicted": self.predicted, "gold": self.gold}


@dataclass(frozen=True)
class CompareMetrics:
    """Cluster and change scores of one comparison against gold."""

    clusters: PRF
    changes: PRF
    fields: dict[str, PRF]
    misses: list[str]
    """Gold changes not found and predicted changes not in gold, one readable line each."""

    def as_dict(self) -> dict[str, object]:
        return {
            "clusters": self.clusters.as_dict(),
            "changes": self.changes.as_dict(),
            "fields": {name: prf.as_dict() for name, prf in self.fields.items()},
        }

    def scalars(self) -> dict[str, float | None]:
        """Flat metric names for floors: ``clusters.f1``, ``changes.f1``, ``changes.number.f1`` ..."""
        out: dict[str, float | None] = {}
        for prefix, prf in (("clusters", self.clusters), ("changes", self.changes)):
            for name in ("precision", "recall", "f1"):
                out[f"{prefix}.{name}"] = getattr(prf, name)
        for field, prf in self.fields.items():
            for name in ("precision", "recall", "f1"):
                out[f"changes.{field}.{name}"] = getattr(prf, name)
        return out


def score(predicted: Comparison, gold: Comparison, mapping: Mapping_ | None = None) -> CompareMetrics:
    """Score ``predicted`` against ``gold``; ``mapping`` sends predicted claims to gold indices."""
    def to_gold(article: str, index: int | None) -> int | None:
        if index is None:
            return None
        return index if mapping is None else mapping.get((article, index))

    gold_pairs = set(_pairs(gold, _same))
    pred_pairs = list(_pairs(predicted, to_gold))
    true_pairs = sum(1 for p in set(pred_pairs) if p in gold_pairs)
    clusters = PRF(true=true_pairs, predicted=len(pred_pairs), gold=len(gold_pairs))
    gold_changes = _changes(gold, _same)
    pred_changes = _changes(predicted, to_gold)
    fields, misses = {}, []
    for field in FIELDS:
        g = {k for k in gold_changes if k[-1] == field}
        p = [k for k in pred_changes if k[-1] == field]
        fields[field] = PRF(true=sum(1 for k in set(p) if k in g), predicted=len(p), gold=len(g))
        misses += [f"missed {_describe(k)}" for k in sorted(g - set(p), key=str)]
        misses += [f"extra  {_describe(k)}" for k in sorted(set(p) - g, key=str) if None not in k]
        misses += [f"extra  {field} on a claim with no gold counterpart" for k in p if None in k]
    scored = [f for f in FIELDS if f != UNATTRIBUTED]
    changes = PRF(
        true=sum(fields[f].true for f in scored),
        predicted=sum(fields[f].predicted for f in scored),
        gold=sum(fields[f].gold for f in scored),
    )
    return CompareMetrics(clusters=clusters, changes=changes, fields=fields, misses=misses)


ChangeKey = tuple[str, int | None, int | None, str]


def _same(article: str, index: int | None) -> int | None:
    return index


def _pairs(comparison: Comparison, to_gold: ToGold) -> Iterable[tuple[ClaimKey | None, ClaimKey | None]]:
    """Unordered claim pairs of every cluster; a member without gold counterpart is ``None``."""
    for cluster in comparison.clusters:
        keys: list[ClaimKey | None] = []
        for m in cluster.members:
            index = to_gold(m.article, m.claim)
            keys.append(None if index is None else (m.article, index))
        for a, b in combinations(keys, 2):
            if a is None or b is None:
                yield (None, None)
            else:
                yield (min(a, b), max(a, b))


def _changes(comparison: Comparison, to_gold: ToGold) -> list[ChangeKey]:
    keys: list[ChangeKey] = []
    for change in comparison.changes:
        source = to_gold(change.from_, change.from_claim)
        if change.field is DriftField.omitted:
            keys.append((change.to, source, -1, DriftField.omitted.value))
            if change.unattributed:
                keys.append((change.to, source, -1, UNATTRIBUTED))
        else:
            target = to_gold(change.to, change.to_claim)
            keys.append((change.to, source, target, change.field.value))
    return keys


def _describe(key: ChangeKey) -> str:
    to, source, target, field = key
    where = f"{to} claim {target}" if target not in (None, -1) else to
    return f"{field}: reference claim {source} -> {where}"


def read_comparison(path: Path) -> Comparison:
    """A comparison or drift gold JSON file (one story)."""
    return Comparison.model_validate_json(path.read_text(encoding="utf-8"))


def claim_mapping(run_dir: Path, claims_gold: Path, articles_dir: Path | None) -> dict[ClaimKey, int | None]:
    """Each predicted claim of a run to the gold claim the eval harness pairs it with."""
    from annotator.evaluation.harness import evaluate

    evaluation = evaluate(run_dir, claims_gold, articles_dir=articles_dir, resamples=0)
    mapping: dict[ClaimKey, int | None] = {}
    for match in evaluation.matches:
        for pair in match.pairs:
            mapping[(match.article, pair.pred.index)] = pair.gold.index
    return mapping


def score_path(
    predicted: Path,
    gold_path: Path,
    *,
    claims_gold: Path,
    articles_dir: Path | None = None,
    aliases: Path | None = None,
) -> CompareMetrics:
    """Score a comparison file, or compare a folder first (against the gold's reference) and score that.

    A gold-format folder is scored on its own claim indices; a run's claims are first
    matched to ``claims_gold``.
    """
    from annotator.drift.run import compare_folder
    from annotator.store import ARTICLES_DIR

    gold = read_comparison(gold_path)
    if predicted.is_file():
        return score(read_comparison(predicted), gold)
    result = compare_folder(predicted, articles_dir=articles_dir, reference=gold.reference, aliases=aliases)
    comparison = result.stories[0].comparison
    if (predicted / ARTICLES_DIR).is_dir():
        return score(comparison, gold, claim_mapping(predicted, claims_gold, articles_dir))
    return score(comparison, gold)
