"""Per-core speed of the offline backend at two revisions, measured in one run.

    taskset -c 0 python bench/bench_offline_compare.py --baseline main [--rounds 3]
        [--split train] [--polnear ../shared/polnear]

The machine is shared, so a speed-up is only believable as a ratio measured side by
side: the baseline revision's ``annotator`` package is exported (``git archive``) to a
temporary folder and ``bench/bench_offline.py`` runs alternately against it and against
the working tree, ``--rounds`` times each, in fresh processes. Prints the fastest CPU
time of each (the least disturbed), articles per CPU-second, and their ratio, and
whether both produced byte-identical claims.
"""

from __future__ import annotations

import argparse
import filecmp
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "bench" / "bench_offline.py"
_CPU = re.compile(r"extraction\s+([\d.]+) s CPU")
_ARTICLES = re.compile(r"articles\s+(\d+)")


def export(revision: str, into: Path) -> None:
    """The ``annotator`` package as it stands at ``revision``."""
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", revision, "annotator"], check=True, capture_output=True
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)


def one_pass(pythonpath: str | None, args: argparse.Namespace, dump: Path) -> tuple[int, float]:
    """Articles and CPU seconds of one bench run (in a fresh process)."""
    env = dict(os.environ)
    if pythonpath:
        env["PYTHONPATH"] = pythonpath
    command = [
        sys.executable,
        str(BENCH),
        "--polnear",
        str(args.polnear),
        "--split",
        args.split,
        "--dump",
        str(dump),
    ]
    out = subprocess.run(
        command, check=True, capture_output=True, text=True, env=env, cwd=ROOT
    ).stdout
    cpu, articles = _CPU.search(out), _ARTICLES.search(out)
    if cpu is None or articles is None:
        raise SystemExit(f"unexpected bench output:\n{out}")
    return int(articles.group(1)), float(cpu.group(1))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--baseline", required=True, help="git revision to compare against")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--split", default="train")
    parser.add_argument("--polnear", type=Path, default=ROOT.parent / "shared" / "polnear")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp) / "baseline"
        base.mkdir()
        export(args.baseline, base)
        runs: dict[str, list[float]] = {"baseline": [], "working tree": []}
        dumps = {"baseline": Path(tmp) / "baseline.jsonl", "working tree": Path(tmp) / "tree.jsonl"}
        articles = 0
        for _ in range(args.rounds):
            for name, path in (("baseline", str(base)), ("working tree", None)):
                articles, cpu = one_pass(path, args, dumps[name])
                runs[name].append(cpu)
        same = filecmp.cmp(dumps["baseline"], dumps["working tree"], shallow=False)
    print(
        f"{articles} articles ({args.split}), cores {sorted(os.sched_getaffinity(0))}, "
        f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}"
    )
    for name, cpus in runs.items():
        best = min(cpus)
        print(
            f"{name:13} {best:6.2f} s CPU  {articles / best:6.1f} articles/s/core  "
            f"(runs: {', '.join(f'{c:.2f}' for c in cpus)})"
        )
    ratio = min(runs["baseline"]) / min(runs["working tree"])
    print(f"speed-up      {ratio:.2f}x; claims byte-identical: {'yes' if same else 'NO'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
