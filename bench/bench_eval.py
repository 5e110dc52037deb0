"""Benchmark: score PolNeAR train (840 articles) predicted-against-gold on one core.

    python bench/bench_eval.py [--polnear ../shared/polnear] [--repeat 3]

Imports train with ``gold import-brat`` into a temporary folder, then times the harness
(loading, matching, metrics, metrics.json) on gold against itself and against a
perturbed copy (claims dropped, boundaries moved, spurious claims added, speakers and
cues changed, order shuffled) so the assignment does real work. The process is pinned
to one CPU where the OS allows. Target: under 10 s per scoring run.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time
from pathlib import Path

from annotator.evaluation.harness import evaluate, without_cycle_collector
from annotator.evaluation.report import metrics_json
from annotator.gold import MANIFEST_NAME, gold_files
from annotator.gold_import import import_brat
from annotator.grounding import FRAGMENT_SEPARATOR
from annotator.models import AnnotatedArticle, CharSpan, Claim

TARGET_SECONDS = 10.0
DEFAULT_POLNEAR = Path(__file__).resolve().parents[1].parent / "shared" / "polnear"


def pin_to_one_core() -> str:
    """Run on a single CPU so the figure means "one core"."""
    if hasattr(os, "sched_setaffinity"):
        cpu = min(os.sched_getaffinity(0))
        os.sched_setaffinity(0, {cpu})
        return f"pinned to CPU {cpu}"
    return "not pinned (no sched_setaffinity on this OS)"


def perturb(gold_dir: Path, out: Path, text_dir: Path, seed: int = 13) -> tuple[int, int]:
    """Write a perturbed copy of every gold file; returns (gold claims, perturbed claims)."""
    rng = random.Random(seed)
    out.mkdir(parents=True, exist_ok=True)
    (out / MANIFEST_NAME).write_text((gold_dir / MANIFEST_NAME).read_text())
    before = after = 0
    for path in gold_files(gold_dir):
        article = AnnotatedArticle.model_validate_json(path.read_text())
        text = (text_dir / f"{article.article}.txt").read_text(encoding="utf-8")
        claims = [c for c in (_perturb_claim(c, text, rng, article) for c in article.claims) if c]
        if claims and rng.random() < 0.3:
            claims.append(_spurious(text, rng, claims[0]))
        rng.shuffle(claims)
        before, after = before + len(article.claims), after + len(claims)
        path_out = out / path.name
        path_out.write_text(article.model_copy(update={"claims": claims}).model_dump_json())
    return before, after


def _perturb_claim(claim: Claim, text: str, rng: random.Random, article: AnnotatedArticle) -> Claim | None:
    roll = rng.random()
    if roll < 0.10 or claim.spans is None:
        return None  # missed
    spans = claim.spans
    update: dict = {}
    if roll < 0.35:  # move the boundaries by a few characters (a partial match)
        first, *rest = spans.content
        shift = rng.randint(-15, 15)
        start = min(max(0, first.start + shift), first.end - 1)
        moved = [CharSpan(start=start, end=first.end), *rest]
        update["spans"] = spans.model_copy(update={"content": moved})
        update["content"] = FRAGMENT_SEPARATOR.join(text[s.start : s.end].strip() for s in moved)
    if rng.random() < 0.1 and len(article.speakers) > 1:  # another speaker
        other = rng.choice([s for s in article.speakers if s.id != claim.speaker] or article.speakers)
        update.update(speaker=other.id, mention=other.name)
        update["spans"] = update.get("spans", spans).model_copy(update={"mention": []})
    if rng.random() < 0.05:
        update["cue"] = "claimed"
    return claim.model_copy(update=update)


def _spurious(text: str, rng: random.Random, template: Claim) -> Claim:
    start = rng.randrange(0, max(1, len(text) - 80))
    span = CharSpan(start=start, end=min(len(text), start + 60))
    spans = template.spans.model_copy(update={"content": [span]}) if template.spans else None
    return template.model_copy(update={"content": text[span.start : span.end].strip(), "spans": spans})


def time_scoring(pred: Path, gold: Path, repeat: int) -> tuple[float, dict]:
    best, data = float("inf"), {}
    for _ in range(repeat):
        started = time.perf_counter()
        with without_cycle_collector():  # as the CLI does
            data = metrics_json(evaluate(pred, gold))
        best = min(best, time.perf_counter() - started)
    return best, data


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--polnear", type=Path, default=DEFAULT_POLNEAR)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    train = args.polnear / "train"
    if not train.is_dir():
        print(f"PolNeAR train not found at {train}", file=sys.stderr)
        return 2
    print(pin_to_one_core())
    with tempfile.TemporaryDirectory() as tmp:
        gold, perturbed = Path(tmp) / "gold", Path(tmp) / "perturbed"
        started = time.perf_counter()
        imported = import_brat(train / "attributions", train / "text", gold)
        print(f"import-brat: {len(imported.manifest.articles)} articles, {imported.claims} claims, "
              f"{len(imported.errors)} errors in {time.perf_counter() - started:.2f} s")
        claims, kept = perturb(gold, perturbed, train / "text")
        print(f"perturbed copy: {kept} claims from {claims}")
        slowest = 0.0
        for name, pred in (("gold vs itself", gold), ("perturbed vs gold", perturbed)):
            seconds, data = time_scoring(pred, gold, args.repeat)
            slowest = max(slowest, seconds)
            print(f"{name}: {seconds:.2f} s (best of {args.repeat}); claims F1 {data['claims']['f1']:.3f}, "
                  f"attribution F1 {data['attribution']['f1']:.3f}, strict F1 {data['views']['strict']['f1']:.3f}")
    verdict = "within" if slowest < TARGET_SECONDS else "OVER"
    print(f"slowest scoring run {slowest:.2f} s: {verdict} the {TARGET_SECONDS:.0f} s target")
    return 0 if slowest < TARGET_SECONDS else 1


if __name__ == "__main__":
    sys.exit(main())
