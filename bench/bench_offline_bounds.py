"""Time and memory of the offline backend on inputs built to be slow: the scaling check.

    python bench/bench_offline_bounds.py [--polnear ../shared/polnear] [--cases NAME,...]
        [--timeout 900]

Each case is run in a fresh process (peak resident memory, ``ru_maxrss``, is per
process) at a quarter of its size and at full size, so the ratio of the two CPU times
says how the work grows: about 4 is linear, 16 quadratic. Cases:

- ``quotes``: 80 KB of ``"x," he said.`` repeated in one paragraph (issue 8: 40 KB took
  14 s of CPU);
- ``line``: 5 MB on one line (PolNeAR train texts with their line breaks turned into
  spaces), with a stray opening quotation mark near the start;
- ``file``: 50 MB of PolNeAR train texts concatenated as one article.

Prints CPU seconds (user+sys of the child, ``resource.getrusage``), peak RSS, text
megabytes per CPU-second, claims found and the load average (the machine is shared).
A case over ``--timeout`` seconds of wall time is killed and reported as such.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MB = 1_000_000


def _polnear_texts(polnear: Path) -> list[str]:
    return [
        p.read_text(encoding="utf-8") for p in sorted((polnear / "train" / "text").glob("*.txt"))
    ]


def _repeat_to(unit: str, size: int) -> str:
    return (unit * (size // len(unit) + 1))[:size]


def quotes(size: int, polnear: Path) -> str:
    """``"x," he said.`` over and over, one paragraph."""
    return _repeat_to('"x," he said. ', size)


def line(size: int, polnear: Path) -> str:
    """PolNeAR text with no line break at all, opened by a quotation mark never closed."""
    flat = " ".join(" ".join(text.split()) for text in _polnear_texts(polnear))
    return "\u201c" + _repeat_to(flat + " ", size - 1)


def file(size: int, polnear: Path) -> str:
    """PolNeAR train texts, paragraphs kept, concatenated into one huge article."""
    return _repeat_to("\n\n".join(_polnear_texts(polnear)) + "\n\n", size)


CASES: dict[str, tuple[Callable[[int, Path], str], int]] = {
    "quotes": (quotes, 80_000),
    "line": (line, 5 * MB),
    "file": (file, 50 * MB),
}


def child(case: str, size: int, polnear: Path) -> None:
    """Build the input, run the backend once, print one JSON line of figures."""
    from annotator.models import Article
    from annotator.offline.backend import OfflineBackend

    make, _ = CASES[case]
    text = make(size, polnear)
    backend = OfflineBackend()
    before = resource.getrusage(resource.RUSAGE_SELF)
    claims = backend.extract_claims(Article(id=case, text=text, path=f"{case}.txt"))
    after = resource.getrusage(resource.RUSAGE_SELF)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    print(
        json.dumps(
            {
                "chars": len(text),
                "cpu": cpu,
                "claims": len(claims),
                "rss_mb": after.ru_maxrss / 1024,
            }
        )
    )


def run(case: str, size: int, args: argparse.Namespace) -> dict[str, float] | str:
    command = [
        sys.executable,
        __file__,
        "--child",
        case,
        "--size",
        str(size),
        "--polnear",
        str(args.polnear),
    ]
    start = time.monotonic()
    try:
        done = subprocess.run(
            command, capture_output=True, text=True, timeout=args.timeout, cwd=ROOT, check=False
        )
    except subprocess.TimeoutExpired:
        return f"killed after {args.timeout:.0f} s wall"
    if done.returncode != 0:
        return f"failed: {done.stderr.strip().splitlines()[-1] if done.stderr.strip() else done.returncode}"
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    figures["wall"] = time.monotonic() - start
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--polnear", type=Path, default=ROOT.parent / "shared" / "polnear")
    parser.add_argument("--cases", default=",".join(CASES))
    parser.add_argument("--timeout", type=float, default=900.0)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--size", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.size, args.polnear)
        return 0
    print(f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(
        f"{'case':8} {'size':>10} {'CPU s':>9} {'peak RSS':>10} {'MB/CPU-s':>9} {'claims':>8}  growth"
    )
    for case in args.cases.split(","):
        _, full = CASES[case]
        previous: float | None = None
        for size in (full // 4, full):
            result = run(case, size, args)
            if isinstance(result, str):
                print(f"{case:8} {size:>10,} {result}")
                previous = None
                continue
            growth = f"x{result['cpu'] / previous:.1f} CPU for x4 text" if previous else ""
            print(
                f"{case:8} {size:>10,} {result['cpu']:9.2f} {result['rss_mb']:8.0f} MB "
                f"{size / MB / max(result['cpu'], 1e-9):9.2f} {result['claims']:8.0f}  {growth}"
            )
            previous = result["cpu"]
    print(f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
