"""Tune the comparison's similarity on synthetic rewrites of PolNeAR claims, never on the samples.

    python eval/drift/tune.py --polnear ../shared/polnear

PolNeAR train (tuning) and dev (check) are imported as gold (``annotator gold
import-brat``); articles with 8 to 40 claims are sampled; each becomes a story of its
own claims plus four synthetic rewrites (:mod:`annotator.drift.synthetic`), whose true
clusters are known. A grid over the weights and thresholds of
:class:`annotator.drift.similarity.Weights` is scored by cluster pairwise F1 on train;
the best point is then checked on dev. The sample articles and their drift gold play no
part, so the figures reported on them stay held out.
"""

from __future__ import annotations

import argparse
import itertools
import random
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from annotator.drift.alignment import align
from annotator.drift.changes import ClaimRef
from annotator.drift.loading import load_folder
from annotator.drift.run import claim_features
from annotator.drift.similarity import Components, Weights, components
from annotator.drift.speakers import merge_speakers
from annotator.drift.synthetic import SyntheticStory, rewrite_story
from annotator.gold_import import import_brat


@dataclass(frozen=True)
class Prepared:
    story: SyntheticStory
    parts: Components
    article_of: list[int]
    truth: list[int]


def stories(split: Path, count: int, seed: int) -> list[Prepared]:
    with tempfile.TemporaryDirectory() as tmp:
        import_brat(split / "attributions", split / "text", Path(tmp))
        articles = [a for a in load_folder(Path(tmp)).articles if 8 <= len(a.claims) <= 40]
    random.Random(seed).shuffle(articles)
    return [prepare(rewrite_story(a, 4, seed=seed + n)) for n, a in enumerate(articles[:count])]


def prepare(story: SyntheticStory) -> Prepared:
    speakers = merge_speakers(story.articles)
    refs = [ClaimRef(a, i) for a in story.articles for i in range(len(a.claims))]
    parts = components([claim_features(r, speakers) for r in refs])
    article_of = [n for n, a in enumerate(story.articles) for _ in a.claims]
    truth = [story.origin[(r.article.id, r.index)] for r in refs]
    return Prepared(story, parts, article_of, truth)


def pairwise_f1(items: list[Prepared], weights: Weights) -> float:
    true = predicted = gold = 0
    for item in items:
        clusters = align(item.article_of, item.parts.combine(weights), weights).clusters
        label = np.empty(len(item.truth), dtype=np.int64)
        for number, members in enumerate(clusters):
            label[members] = number
        truth = np.asarray(item.truth)
        same_pred = label[:, None] == label[None, :]
        same_gold = truth[:, None] == truth[None, :]
        upper = np.triu(np.ones_like(same_pred, dtype=bool), 1)
        true += int((same_pred & same_gold & upper).sum())
        predicted += int((same_pred & upper).sum())
        gold += int((same_gold & upper).sum())
    return 2 * true / (predicted + gold) if predicted + gold else 0.0


def grid() -> list[Weights]:
    points = []
    for speaker, cue, share, join, extra in itertools.product(
        (0.0, 0.1, 0.2, 0.3), (0.0, 0.05, 0.1), (0.25, 0.5, 0.75),
        (0.4, 0.45, 0.5, 0.55, 0.6, 0.65, 0.7), (0.0, 0.1, 0.2),
    ):
        points.append(Weights(text=1 - speaker - cue, speaker=speaker, cue=cue, set_share=share,
                              join=join, repeat=min(1.0, join + extra)))
    return points


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--polnear", type=Path, default=Path("../shared/polnear"))
    parser.add_argument("--stories", type=int, default=60)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    train = stories(args.polnear / "train", args.stories, args.seed)
    dev = stories(args.polnear / "dev", args.stories, args.seed + 1000)
    default = Weights()
    print(f"{len(train)} train stories, {len(dev)} dev stories; default {default}")
    print(f"default: train F1 {pairwise_f1(train, default):.3f}, dev F1 {pairwise_f1(dev, default):.3f}")
    scored = sorted(((pairwise_f1(train, w), w) for w in grid()), key=lambda item: -item[0])
    for f1, weights in scored[:10]:
        print(f"train F1 {f1:.3f}  {weights}")
    best = scored[0][1]
    print(f"best on train: {best}\n  train F1 {scored[0][0]:.3f}, dev F1 {pairwise_f1(dev, best):.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
