"""An honest local-model figure: a real model on this machine, scored with the harness.

    python bench/bench_local_llm.py                       # json_schema, 5 samples + 5 PolNeAR dev
    python bench/bench_local_llm.py --modes json_schema tools json --dev 8
    python bench/bench_local_llm.py --json bench-local.json

Uses the llama-cpp-python server on ``--port`` if one answers there, else starts one
from ``ANNOTATOR_LLAMA_PYTHON`` / ``ANNOTATOR_LOCAL_MODEL`` (bench/local_server.py) with
the settings of docs/local-models.md, and stops it after. It annotates the five sample
articles (gold: eval/gold) and ``--dev`` PolNeAR dev articles (a seeded draw among those
of at most ``--max-chars`` characters, so each is one request; gold imported from the
corpus's brat files), once per mode, with the offline backend beside them as the
baseline, and scores every run with the evaluation harness.

Reported per mode: claims P/R/F1, attribution F1, speaker and cue accuracy, prompt and
completion tokens per article, wall and CPU seconds per article (the server process's
CPU time, read from /proc, and annotator's own), re-asks, flagged and failed articles,
and the load average before and after: the machine is shared, so wall time is noisy and
CPU time is the figure to compare. A score here measures the named model, quantisation
and hardware with this pipeline, nothing else.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import resource
import shutil
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from local_server import DEFAULT_PORT, LocalServer, find_or_start

from annotator import evaluate
from annotator.backends import BackendChoice, BackendConfig
from annotator.gold_import import import_brat
from annotator.llm.settings import ExtractionMode, LLMSettings
from annotator.runs import RunOptions, execute

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "examples" / "articles"
SAMPLE_GOLD = ROOT / "eval" / "gold"
POLNEAR = ROOT.parent / "shared" / "polnear"


@dataclass
class Figures:
    """One backend (or mode) on one data set."""

    run: str
    data: str
    articles: int
    claims_p: float
    claims_r: float
    claims_f1: float
    attribution_f1: float
    speaker: float | None
    cue: float | None
    failed: int
    flagged: int
    requests: int
    prompt_tokens_per_article: float
    completion_tokens_per_article: float
    wall_seconds_per_article: float
    server_cpu_seconds_per_article: float | None
    client_cpu_seconds: float
    load_before: list[float] = field(default_factory=list)
    load_after: list[float] = field(default_factory=list)


def dev_subset(count: int, max_chars: int, seed: int, folder: Path) -> tuple[Path, Path]:
    """``count`` PolNeAR dev articles (texts and imported gold) in ``folder``."""
    dev = POLNEAR / "dev"
    short = [p for p in sorted((dev / "text").glob("*.txt")) if len(p.read_text(encoding="utf-8")) <= max_chars]
    chosen = sorted(random.Random(seed).sample(short, min(count, len(short))))
    texts, anns = folder / "text", folder / "attributions"
    texts.mkdir(parents=True)
    anns.mkdir()
    for path in chosen:
        shutil.copy(path, texts / path.name)
        for ann in (dev / "attributions").glob(f"{path.stem}_*.ann"):  # one file per annotator
            shutil.copy(ann, anns / ann.name)
    result = import_brat(anns, texts, folder / "gold")
    if result.errors:
        raise SystemExit(f"PolNeAR import failed: {result.errors[:3]}")
    return texts, folder / "gold"


def measure(name: str, data: str, texts: Path, gold: Path, config: BackendConfig, out: Path,
            server: LocalServer | None) -> Figures:
    load_before = list(os.getloadavg())
    cpu_before = server.cpu_seconds() if server else None
    own_before = resource.getrusage(resource.RUSAGE_SELF)
    started = time.perf_counter()
    report = asyncio.run(execute(texts, config, RunOptions(out=out, force=True)))
    wall = time.perf_counter() - started
    own_after = resource.getrusage(resource.RUSAGE_SELF)
    cpu_after = server.cpu_seconds() if server else None
    metrics = evaluate(out, gold, articles=texts, resamples=0).metrics
    fields = {f.field.value: f.accuracy for f in metrics.fields}
    n = max(1, len(report.results))
    record = report.record
    return Figures(
        run=name, data=data, articles=len(report.results),
        claims_p=metrics.claims.precision or 0.0, claims_r=metrics.claims.recall or 0.0,
        claims_f1=metrics.claims.f1 or 0.0, attribution_f1=metrics.attribution.f1 or 0.0,
        speaker=fields.get("speaker"), cue=fields.get("cue"),
        failed=record.failed, flagged=record.flagged, requests=record.usage.requests,
        prompt_tokens_per_article=record.usage.prompt_tokens / n,
        completion_tokens_per_article=record.usage.completion_tokens / n,
        wall_seconds_per_article=wall / n,
        server_cpu_seconds_per_article=(cpu_after - cpu_before) / n if cpu_before is not None and cpu_after else None,
        client_cpu_seconds=(own_after.ru_utime + own_after.ru_stime) - (own_before.ru_utime + own_before.ru_stime),
        load_before=load_before, load_after=list(os.getloadavg()),
    )


def table(rows: list[Figures]) -> str:
    head = ("| run | data | articles | claims P / R / F1 | attribution F1 | speaker | cue | tokens in / out "
            "per article | s per article (wall / server CPU) | requests | failed | flagged | load |")
    lines = [head, "|" + "---|" * 13]
    for r in rows:
        speaker = f"{r.speaker:.3f}" if r.speaker is not None else "-"
        cue = f"{r.cue:.3f}" if r.cue is not None else "-"
        cpu = f"{r.server_cpu_seconds_per_article:.0f}" if r.server_cpu_seconds_per_article is not None else "-"
        lines.append(
            f"| {r.run} | {r.data} | {r.articles} | {r.claims_p:.3f} / {r.claims_r:.3f} / **{r.claims_f1:.3f}** | "
            f"{r.attribution_f1:.3f} | {speaker} | {cue} | {r.prompt_tokens_per_article:,.0f} / "
            f"{r.completion_tokens_per_article:,.0f} | {r.wall_seconds_per_article:.0f} / {cpu} | {r.requests} | "
            f"{r.failed} | {r.flagged} | {r.load_before[0]:.1f} -> {r.load_after[0]:.1f} |"
        )
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--modes", nargs="+", default=["json_schema"], choices=[m.value for m in ExtractionMode])
    parser.add_argument("--dev", type=int, default=5, help="PolNeAR dev articles (0: samples only)")
    parser.add_argument("--max-chars", type=int, default=3500)
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--port", type=int, default=DEFAULT_PORT)
    parser.add_argument("--json", type=Path, help="write the figures here too")
    args = parser.parse_args()
    rows: list[Figures] = []
    with tempfile.TemporaryDirectory() as scratch, find_or_start(args.port) as server:
        root = Path(scratch)
        sets = [("samples", SAMPLES, SAMPLE_GOLD)]
        if args.dev and (POLNEAR / "dev").is_dir():
            texts, gold = dev_subset(args.dev, args.max_chars, args.seed, root / "dev")
            sets.append((f"PolNeAR dev ({args.dev})", texts, gold))
        described = server.describe()
        print(f"server: {described}", file=sys.stderr)
        print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs", file=sys.stderr)
        for data, texts, gold in sets:
            rows.append(measure("offline backend", data, texts, gold, BackendConfig(BackendChoice.offline),
                                root / f"offline-{data[:7]}", None))
            for mode in args.modes:
                settings = LLMSettings(model=server.alias, base_url=server.base_url, mode=ExtractionMode(mode))
                config = BackendConfig(BackendChoice.llm, settings)
                print(f"{data}: {mode} ...", file=sys.stderr, flush=True)
                rows.append(measure(f"{server.alias} {mode}", data, texts, gold, config,
                                    root / f"{mode}-{data[:7]}", server))
                print(table(rows[-1:]), file=sys.stderr, flush=True)
    print(f"Server: {described}; machine: {os.cpu_count()} CPUs ({platform.machine()}), shared.\n")
    print(table(rows))
    if args.json:
        args.json.write_text(json.dumps({"server": described, "rows": [asdict(r) for r in rows]}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
