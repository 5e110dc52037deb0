"""CPU time of ``annotator compare`` on one story of 100 articles (the issue's budget: 5 s).

    python bench/bench_compare.py [--articles 100] [--seed 0]

The story is the five sample articles' gold claims (eval/gold) plus synthetic rewrites of
them (annotator.drift.synthetic: claims dropped, reworded, cut, re-numbered, re-hedged,
re-cued, re-attributed, repeated) up to ``--articles``, written as a gold folder. Timed:
reading the folder, merging speakers, aligning, listing the drift, and writing the JSON,
Markdown and HTML outputs, in one process (time.process_time: user + sys CPU; wall time
for reference only, the machine is shared).
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
from pathlib import Path

from annotator.drift.html import page
from annotator.drift.loading import load_folder
from annotator.drift.report import markdown
from annotator.drift.run import compare_folder
from annotator.drift.synthetic import rewrite_story
from annotator.models import AnnotatedArticle

ROOT = Path(__file__).resolve().parent.parent
BUDGET_SECONDS = 5.0
REFERENCE = "000_3d88e5c5ef59938c"


def build(folder: Path, count: int, seed: int) -> int:
    """Write the sample gold plus rewrites (``count`` articles in all); returns the claim count."""
    samples = load_folder(ROOT / "eval" / "gold").articles
    rng = random.Random(seed)
    per_seed = {a.id: 0 for a in samples}
    for _ in range(count - len(samples)):
        per_seed[rng.choice(sorted(per_seed))] += 1
    claims = 0
    for n, sample in enumerate(samples):
        story = rewrite_story(sample, per_seed[sample.id], seed=seed + n)
        for article in story.articles:
            gold = AnnotatedArticle(article=article.id, speakers=list(article.speakers.values()), claims=article.claims)
            (folder / f"{article.id}.json").write_text(gold.model_dump_json(by_alias=True), encoding="utf-8")
            claims += len(article.claims)
    return claims


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=100)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder, out = Path(tmp) / "gold", Path(tmp) / "out"
        folder.mkdir()
        out.mkdir()
        claims = build(folder, args.articles, args.seed)
        wall, cpu = time.perf_counter(), time.process_time()
        result = compare_folder(folder, articles_dir=ROOT / "examples" / "articles", reference=REFERENCE)
        compared_cpu = time.process_time() - cpu
        documents = [s.comparison.dump() for s in result.stories]
        (out / "compare.json").write_text(json.dumps(documents[0], ensure_ascii=False), encoding="utf-8")
        (out / "compare.md").write_text(markdown(result.stories), encoding="utf-8")
        (out / "compare.html").write_text(page(result.stories), encoding="utf-8")
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    story = result.stories[0].comparison
    print(f"{args.articles} articles, {claims} claims: {len(story.clusters)} clusters, {len(story.changes)} changes")
    print(f"CPU {cpu:.2f} s (compare {compared_cpu:.2f} s, writing JSON/Markdown/HTML {cpu - compared_cpu:.2f} s); "
          f"wall {wall:.2f} s; budget {BUDGET_SECONDS:.0f} s CPU")
    return 0 if cpu < BUDGET_SECONDS else 1


if __name__ == "__main__":
    sys.exit(main())
