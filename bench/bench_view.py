"""Benchmark: HTML pages rendered per second on PolNeAR dev (84 articles), with CPU time.

    python bench/bench_view.py [--polnear ../shared/polnear] [--repeat 3]

Prepares, outside the timing: dev imported as gold (``gold import-brat``), dev annotated
by the offline backend, and ``eval --details`` of one against the other. Then times
``write_site`` (read the folder, locate claims, render every page and the index, write
them) on the offline run, on the gold folder, and on the run with the gold-against-
prediction view, plus each export format. Figures are per CPU second (user + sys of this
process, ``resource.getrusage``), which a shared machine does not distort the way it
does wall-clock time; wall-clock is printed beside them. The best of ``--repeat`` runs
is reported.
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import annotator
from annotator.documents import Document, read_folder
from annotator.evaluation.report import write_details
from annotator.formats.brat import write_brat
from annotator.formats.labelstudio import write_tasks
from annotator.formats.tables import table_rows, write_csv, write_parquet
from annotator.gold_import import import_brat
from annotator.viewer.render import write_site

DEFAULT_POLNEAR = Path(__file__).resolve().parents[1].parent / "shared" / "polnear"


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def best_of(repeat: int, work: Callable[[], int]) -> tuple[int, float, float]:
    """(items, CPU seconds, wall seconds) of the fastest of ``repeat`` runs, by CPU time."""
    best: tuple[int, float, float] | None = None
    for _ in range(repeat):
        cpu, wall = cpu_seconds(), time.perf_counter()
        items = work()
        measured = (items, cpu_seconds() - cpu, time.perf_counter() - wall)
        if best is None or measured[1] < best[1]:
            best = measured
    assert best is not None
    return best


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--polnear", type=Path, default=DEFAULT_POLNEAR)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    dev = args.polnear / "dev"
    if not (dev / "attributions").is_dir():
        print(f"PolNeAR dev not found under {args.polnear}", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        gold, run, details = work / "gold", work / "run", work / "details.jsonl"
        import_brat(dev / "attributions", dev / "text", gold)
        annotator.annotate(dev / "text", backend="offline", out=run)
        write_details(details, annotator.evaluate(run, gold, resamples=0))
        pages = len(annotator.load_run(run).results)
        claims = sum(len(r.claims) for r in annotator.load_run(run).results)
        print(f"PolNeAR dev: {pages} articles, {claims} predicted claims (offline backend)")
        print(f"{'what':<44} {'items':>6} {'CPU s':>7} {'items/CPU s':>12} {'wall s':>7}")
        cases: list[tuple[str, Callable[[], int]]] = [
            ("view: offline run (pages + index)", lambda: write_site(run, work / "s1").pages),
            ("view: gold folder", lambda: write_site(gold, work / "s2").pages),
            ("view: run + gold-against-prediction", lambda: write_site(run, work / "s3", details=details).pages),
            ("export: labelstudio tasks", lambda: write_tasks(_docs(run), work / "ls", as_annotations=False).tasks),
            ("export: brat documents", lambda: write_brat(_docs(run), work / "brat").articles),
            ("export: csv rows", lambda: write_csv(table_rows(_docs(run)), work / "c.csv")),
            ("export: parquet rows", lambda: write_parquet(table_rows(_docs(run)), work / "c.parquet")),
        ]
        for name, case in cases:
            items, cpu, wall = best_of(args.repeat, case)
            print(f"{name:<44} {items:>6} {cpu:>7.3f} {items / cpu:>12.1f} {wall:>7.3f}")
    return 0


def _docs(run: Path) -> list[Document]:
    return read_folder(run).documents


if __name__ == "__main__":
    sys.exit(main())
