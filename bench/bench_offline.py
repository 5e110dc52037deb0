"""Time and memory of the offline backend over a folder of articles (PolNeAR train).

    python bench/bench_offline.py --polnear ../shared/polnear [--split train] [--ground]

Prints wall and CPU time (time.perf_counter, time.process_time; model loading
included), articles per second, claims found, and peak resident memory
(resource.getrusage, the whole process). The
issue's budget: PolNeAR train (840 articles) under 30 s on one core, under 500 MB.
``--ground`` also runs the pipeline's grounding (on claims the backend left without
spans), timed separately.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from pathlib import Path

from annotator.claims import ground_all
from annotator.models import Article
from annotator.offline.backend import OfflineBackend

BUDGET_SECONDS = 30.0
BUDGET_MB = 500.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--polnear", type=Path, default=Path("../shared/polnear"))
    parser.add_argument("--split", default="train")
    parser.add_argument("--ground", action="store_true", help="also time grounding")
    args = parser.parse_args()
    paths = sorted((args.polnear / args.split / "text").glob("*.txt"))
    if not paths:
        print(f"no articles under {args.polnear / args.split / 'text'}", file=sys.stderr)
        return 2
    articles = [Article(id=p.stem, text=p.read_text(encoding="utf-8"), path=str(p)) for p in paths]

    start, cpu = time.perf_counter(), time.process_time()
    backend = OfflineBackend()
    loaded = time.perf_counter()
    results = [backend.extract_claims(article) for article in articles]
    seconds = time.perf_counter() - start
    cpu_seconds = time.process_time() - cpu
    claims = sum(len(r) for r in results)

    grounding = 0.0
    failures = 0
    if args.ground:
        begin = time.perf_counter()
        # as the pipeline does: only claims the backend left without spans are grounded
        failures = sum(
            len(ground_all(a.text, [c for c in r if c.spans is None])) for a, r in zip(articles, results, strict=True)
        )
        grounding = time.perf_counter() - begin

    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    words = sum(len(a.text.split()) for a in articles)
    print(f"articles        {len(articles)} ({words} words)")
    print(f"model load      {loaded - start:.2f} s")
    print(f"extraction      {seconds:.2f} s total, {len(articles) / seconds:.1f} articles/s "
          f"(budget {BUDGET_SECONDS:.0f} s: {'ok' if seconds < BUDGET_SECONDS else 'OVER'})")
    print(f"CPU time        {cpu_seconds:.2f} s (one core; wall time varies more on a shared machine)")
    print(f"claims          {claims}")
    if args.ground:
        unspanned = sum(1 for r in results for c in r if c.spans is None)
        print(f"grounding       {grounding:.2f} s for {unspanned} claims without spans, {failures} not grounded")
    print(f"peak RSS        {peak_mb:.0f} MB (budget {BUDGET_MB:.0f} MB: "
          f"{'ok' if peak_mb < BUDGET_MB else 'OVER'})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
