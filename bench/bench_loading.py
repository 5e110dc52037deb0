"""Loading articles: CPU time of a folder, and peak memory streaming large JSONL and CSV files.

    python bench/bench_loading.py --polnear ../shared/polnear [--rows 100000] [--repeat 3]

* ``folder``: :func:`annotator.articles.iter_folder` over the sample articles and PolNeAR
  dev and train (``*/text``), consumed one article at a time; CPU time
  (``time.process_time``, best of ``--repeat``) and a fingerprint of what was loaded
  (SHA-256 over every id, text hash and source path, in order), so two versions of the
  loader can be compared: the same fingerprint means the same ids and texts in the same order.
* ``jsonl`` / ``csv``: a generated file of ``--rows`` news-like records (about 1.6 KB of
  text each), streamed in a fresh subprocess that keeps nothing; peak resident memory
  of that process (``resource.getrusage``, ``ru_maxrss``) next to the same process having
  only imported the loader, and its CPU time.

A loader that streams keeps the peak flat whatever the number of rows.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

PARAGRAPH = (
    "The minister said on Tuesday that the bridge would reopen next month, according to a "
    "statement released by the ministry. \"We are confident the repairs will hold,\" she told "
    "reporters in the capital, adding that inspectors had found no further damage. "
)

_CONSUME = textwrap.dedent(
    """
    import resource, sys, time
    from pathlib import Path
    from annotator.articles import iter_folder
    base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    cpu = time.process_time()
    count = failed = 0
    if sys.argv[1] != "-":
        for item in iter_folder(Path(sys.argv[1])):
            if hasattr(item, "text"):
                count += 1
            else:
                failed += 1
    print(count, failed, base, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, time.process_time() - cpu)
    """
)


def fingerprint(root: Path, repeat: int) -> tuple[int, str, float]:
    """Articles loaded, a digest of ids and texts in order, and the best CPU time."""
    from annotator.articles import iter_folder

    best = float("inf")
    digest = ""
    count = 0
    for _ in range(repeat):
        cpu = time.process_time()
        hasher = hashlib.sha256()
        count = 0
        for item in iter_folder(root):
            text = getattr(item, "text", None)
            if text is None:
                continue
            count += 1
            hasher.update(f"{item.id}\0{hashlib.sha256(text.encode()).hexdigest()}\0{item.path}\n".encode())
        best = min(best, time.process_time() - cpu)
        digest = hasher.hexdigest()
    return count, digest[:16], best


def write_jsonl(path: Path, rows: int) -> None:
    with path.open("w", encoding="utf-8") as handle:
        for n in range(rows):
            record = {"id": f"r{n}", "title": f"Story {n}", "url": f"https://news.example/{n}",
                      "text": f"Story {n}. " + PARAGRAPH * 6}
            handle.write(json.dumps(record) + "\n")


def write_csv(path: Path, rows: int) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "title", "url", "text"])
        for n in range(rows):
            writer.writerow([f"r{n}", f"Story {n}", f"https://news.example/{n}", f"Story {n}.\n\n" + PARAGRAPH * 6])


def stream(path: Path | None) -> tuple[int, int, float, float, float]:
    """Stream ``path`` in a fresh process: articles, failures, base and peak MB, CPU seconds."""
    argv = [sys.executable, "-c", _CONSUME, str(path) if path else "-"]
    out = subprocess.run(argv, check=True, capture_output=True, text=True).stdout.split()
    count, failed, base, peak, cpu = int(out[0]), int(out[1]), int(out[2]), int(out[3]), float(out[4])
    return count, failed, base / 1024, peak / 1024, cpu


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--polnear", type=Path, default=Path("../shared/polnear"))
    parser.add_argument("--samples", type=Path, default=Path("examples/articles"))
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--skip-csv", action="store_true", help="for loaders that do not read CSV")
    args = parser.parse_args()

    print(f"| input | articles | fingerprint | CPU s (best of {args.repeat}) |")
    print("|---|---|---|---|")
    for name, root in [("samples", args.samples), ("PolNeAR dev", args.polnear / "dev" / "text"),
                       ("PolNeAR train", args.polnear / "train" / "text")]:
        if root.is_dir():
            count, digest, cpu = fingerprint(root, args.repeat)
            print(f"| {name} | {count} | {digest} | {cpu:.3f} |")

    with tempfile.TemporaryDirectory() as tmp:
        files = [("jsonl", Path(tmp) / "rows.jsonl", write_jsonl)]
        if not args.skip_csv:
            files.append(("csv", Path(tmp) / "rows.csv", write_csv))
        print()
        print("| file | rows | size MB | articles | failed | peak RSS MB (after import) | CPU s |")
        print("|---|---|---|---|---|---|---|")
        for name, path, write in files:
            write(path, args.rows)
            count, failed, base, peak, cpu = stream(path)
            size = path.stat().st_size / 1e6
            print(f"| {name} | {args.rows} | {size:.0f} | {count} | {failed} | {peak:.0f} ({base:.0f}) | {cpu:.2f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
