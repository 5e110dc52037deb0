"""Time and memory of the offline backend over a folder of articles (PolNeAR train).

    taskset -c 0 python bench/bench_offline.py --polnear ../shared/polnear [--split train,dev]
        [--ground] [--dump claims.jsonl] [--repeat 3]

Prints wall and CPU time (time.perf_counter, time.process_time; model loading
timed apart), articles per second of CPU time (per core: run it under ``taskset -c 0``),
claims found, peak resident memory (resource.getrusage, the whole process) and the load
average, since the machine is shared. ``--repeat`` runs the corpus several times in one
process and reports the fastest pass, the least disturbed by other load. ``--dump``
writes every claim (fields and exact spans) as JSON lines: an optimisation must leave
that file byte-identical. ``--ground`` also runs the pipeline's grounding (on claims the
backend left without spans), timed separately.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import time
from pathlib import Path

try:
    from annotator.claims import ExtractedClaim, ground_all
except ImportError:  # a revision from before the claim contract moved (bench_offline_compare)
    from annotator.extraction import ExtractedClaim, ground_all  # type: ignore[no-redef]
from annotator.models import Article
from annotator.offline.backend import OfflineBackend

TARGET_PER_CORE = 60.0
BUDGET_MB = 500.0


def claim_record(claim: ExtractedClaim) -> dict[str, object]:
    """Every field of a claim and its spans, for a byte-for-byte comparison."""
    spans = claim.spans.model_dump(mode="json") if claim.spans is not None else None
    return {**claim.model_dump(mode="json"), "spans": spans}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--polnear", type=Path, default=Path("../shared/polnear"))
    parser.add_argument("--split", default="train", help="one split or several, comma-separated")
    parser.add_argument("--ground", action="store_true", help="also time grounding")
    parser.add_argument("--dump", type=Path, help="write every claim as JSON lines here")
    parser.add_argument("--repeat", type=int, default=1, help="passes; the fastest is reported")
    args = parser.parse_args()
    paths = [
        p
        for split in args.split.split(",")
        for p in sorted((args.polnear / split / "text").glob("*.txt"))
    ]
    if not paths:
        print(f"no articles under {args.polnear} for split {args.split}", file=sys.stderr)
        return 2
    articles = [Article(id=p.stem, text=p.read_text(encoding="utf-8"), path=str(p)) for p in paths]

    load_cpu = time.process_time()
    backend = OfflineBackend()
    load_cpu = time.process_time() - load_cpu
    passes: list[tuple[float, float]] = []
    for _ in range(max(1, args.repeat)):
        start, cpu = time.perf_counter(), time.process_time()
        results = [backend.extract_claims(article) for article in articles]
        passes.append((time.perf_counter() - start, time.process_time() - cpu))
    seconds, cpu_seconds = min(passes, key=lambda p: p[1])
    claims = sum(len(r) for r in results)

    if args.dump:
        with args.dump.open("w", encoding="utf-8") as out:
            for article, found in zip(articles, results, strict=True):
                row = {"id": article.id, "claims": [claim_record(c) for c in found]}
                out.write(json.dumps(row, ensure_ascii=False, sort_keys=True) + "\n")

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
    per_core = len(articles) / cpu_seconds
    cpus = sorted(os.sched_getaffinity(0))
    print(f"articles        {len(articles)} ({words} words), split {args.split}")
    print(f"cores allowed   {cpus}; load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(f"model load      {load_cpu:.2f} s CPU")
    print(
        f"extraction      {cpu_seconds:.2f} s CPU, {seconds:.2f} s wall "
        f"(fastest of {len(passes)}: {', '.join(f'{c:.2f}' for _, c in passes)} s CPU)"
    )
    print(
        f"per core        {per_core:.1f} articles/s of CPU time "
        f"(target {TARGET_PER_CORE:.0f}: {'ok' if per_core >= TARGET_PER_CORE else 'UNDER'})"
    )
    print(f"claims          {claims}")
    if args.ground:
        unspanned = sum(1 for r in results for c in r if c.spans is None)
        print(
            f"grounding       {grounding:.2f} s for {unspanned} claims without spans, {failures} not grounded"
        )
    print(
        f"peak RSS        {peak_mb:.0f} MB (budget {BUDGET_MB:.0f} MB: "
        f"{'ok' if peak_mb < BUDGET_MB else 'OVER'})"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
