"""Scale benchmarks: the rate limit used to the full, client overhead, flat memory, every
core, and how fast Ctrl-C stops a run. Every figure comes with CPU time, since these
machines are shared and wall time drifts; ratios are measured within one invocation.

    python bench/bench_scale.py ratelimit [--articles 2000] [--rpm 600] [--latency 1.5] [--given]
    python bench/bench_scale.py overhead  [--articles 1000]
    python bench/bench_scale.py capped    [--articles 30 --repeat 3]
    python bench/bench_scale.py memory    [--sizes 1000 20000]
    python bench/bench_scale.py cores     [--polnear ../shared/polnear]
    python bench/bench_scale.py interrupt [--articles 400]

``ratelimit`` and ``overhead`` run the LLM path through ``runs.execute`` against
``bench/stub_openai.py`` in a separate process on 127.0.0.1 (its CPU is not the
client's): 2,000 short articles, one request each, with ``--concurrency 64``. The limit
is learned from the stub's ``x-ratelimit-*`` headers unless ``--given`` passes it as
``--rpm``. Checked: every article stored once (no loss, no duplicate), how many 429s.
``memory`` runs the offline backend on N small generated articles, each size in a fresh
process, and reports the main process's and the workers' peak resident memory.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
SENTENCES = [
    "The mayor said the bridge would open on Monday.",
    "Officials believe the attack was coordinated, according to a statement.",
    "\u201cWe will rebuild the market,\u201d the governor told reporters.",
    "Residents said prices had doubled since the floods.",
]


def cpu_seconds(who: int = resource.RUSAGE_SELF) -> float:
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


def load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f} {five:.2f} {fifteen:.2f} on {os.cpu_count()} cores"


def worker_usage(adapter: object) -> tuple[float, float]:
    """CPU seconds and largest peak RSS (MB) of an offline adapter's worker processes,
    read from /proc before they stop (they are the fork server's children, not ours, so
    RUSAGE_CHILDREN never sees them)."""
    pool = getattr(getattr(adapter, "_pool", None), "_pool", None)
    cpu, peak = 0.0, 0.0
    ticks = os.sysconf("SC_CLK_TCK")
    for process in list(getattr(pool, "_processes", {}).values()):
        try:
            fields = Path(f"/proc/{process.pid}/stat").read_text().rsplit(")", 1)[1].split()
            cpu += (int(fields[11]) + int(fields[12])) / ticks
            status = Path(f"/proc/{process.pid}/status").read_text()
            peak = max(peak, int(status.split("VmHWM:")[1].split()[0]) / 1024)
        except (OSError, IndexError, ValueError):
            continue
    return cpu, peak


class StubProcess:
    """``bench/stub_openai.py`` in its own process."""

    def __init__(self, *args: str) -> None:
        self.process = subprocess.Popen(
            [sys.executable, str(HERE / "stub_openai.py"), *args], stdout=subprocess.PIPE, text=True
        )
        line = self.process.stdout.readline() if self.process.stdout else ""
        self.port = int(line.split()[1])

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def stop(self) -> dict[str, int]:
        self.process.send_signal(signal.SIGTERM)
        out, _ = self.process.communicate(timeout=30)
        return json.loads(out.strip().splitlines()[-1])


def llm_run(base_url: str, count: int, out: Path, rpm: float | None, concurrency: int) -> dict[str, float]:
    from annotator.backends import BackendChoice, BackendConfig
    from annotator.chunking import estimate_tokens
    from annotator.llm.backend import LLMBackend
    from annotator.llm.settings import LLMSettings
    from annotator.models import Article
    from annotator.prompts import PromptSet
    from annotator.runs import RunOptions, execute

    os.environ.setdefault("OPENAI_API_KEY", "sk-bench-not-a-key-000000000000")
    settings = LLMSettings(base_url=base_url, requests_per_minute=rpm)
    backend = LLMBackend(settings, PromptSet(), count_tokens=estimate_tokens)
    articles = (
        Article(id=f"a{n:05d}", text=f"{SENTENCES[n % len(SENTENCES)]} (Report {n}.)", path=f"a{n}")
        for n in range(count)
    )
    config = BackendConfig(choice=BackendChoice.llm, llm=settings)
    cpu, wall = cpu_seconds(), time.perf_counter()
    report = asyncio.run(execute(articles, config, RunOptions(out=out, concurrency=concurrency), backend=backend))
    wall, cpu = time.perf_counter() - wall, cpu_seconds() - cpu
    stored = list((out / "articles").glob("*.json"))
    rows = (out / "claims.jsonl").read_text().splitlines()
    record = report.record
    return {
        "wall": wall, "cpu": cpu, "stored": len(stored), "ok": record.annotated, "failed": record.failed,
        "requests": record.usage.requests, "rows": len(rows), "unique_rows": len(set(rows)),
        "rate_limited": backend.rate_limiter.stats.rate_limited,
    }


def bench_ratelimit(args: argparse.Namespace) -> None:
    stub = StubProcess("--rpm", str(args.rpm), "--latency", str(args.latency))
    print(f"stub: {args.rpm:.0f} requests/min, median latency {args.latency} s; client --concurrency 64; {load()}")
    with tempfile.TemporaryDirectory() as tmp:
        figures = llm_run(stub.base_url, args.articles, Path(tmp) / "out", args.rpm if args.given else None, 64)
    server = stub.stop()
    per_minute = server["answered"] / figures["wall"] * 60
    print(f"limit {'given (--rpm)' if args.given else 'learned from x-ratelimit headers'}")
    print(f"articles {args.articles}: stored {figures['stored']}, ok {figures['ok']}, failed {figures['failed']}, "
          f"lost {args.articles - figures['stored']}, claim rows {figures['rows']} (unique {figures['unique_rows']})")
    print(f"throughput {per_minute:.1f} requests/min = {per_minute / args.rpm:.1%} of the limit "
          f"({server['answered']} answered in {figures['wall']:.1f} s wall)")
    print(f"429s received {server['rejected']} (client saw {figures['rate_limited']:.0f}); "
          f"peak in flight at the server {server['peak']}; client CPU {figures['cpu']:.1f} s")


def bench_overhead(args: argparse.Namespace) -> None:
    stub = StubProcess("--latency", "0")
    print(f"stub: no limit, no latency; client --concurrency 64; {load()}")
    with tempfile.TemporaryDirectory() as tmp:
        figures = llm_run(stub.base_url, args.articles, Path(tmp) / "out", None, 64)
    server = stub.stop()
    print(f"{server['answered']} requests in {figures['wall']:.1f} s wall, client CPU {figures['cpu']:.1f} s: "
          f"{server['answered'] / figures['cpu']:.0f} requests per CPU second of the client "
          f"(whole pipeline: prompt, SDK, instructor, grounding, writing), "
          f"{server['answered'] / figures['wall']:.0f}/s wall; failed {figures['failed']}")


def bench_capped(args: argparse.Namespace) -> None:
    """Issue 8's case: --concurrency 64, a server admitting 4 requests at once that
    answers ``Retry-After: 1`` beyond them (in-process, ``tests/stub_server.py``)."""
    import httpx

    sys.path.insert(0, str(HERE.parent / "tests"))
    from stub_server import ConcurrencyCappedServer

    from annotator.backends import BackendChoice, BackendConfig
    from annotator.chunking import estimate_tokens
    from annotator.llm.backend import LLMBackend
    from annotator.llm.settings import LLMSettings
    from annotator.models import Article
    from annotator.prompts import PromptSet
    from annotator.runs import RunOptions, execute

    os.environ.setdefault("OPENAI_API_KEY", "sk-bench-not-a-key-000000000000")
    print(f"server admits 4 at once, Retry-After: 1, latency {args.latency} s; {args.articles} articles, "
          f"--concurrency 64; {load()}")
    for attempt in range(1, args.repeat + 1):
        server = ConcurrencyCappedServer(capacity=4, latency=args.latency, retry_after="1")
        settings = LLMSettings(base_url="http://127.0.0.1:9/v1")
        client = httpx.AsyncClient(transport=httpx.MockTransport(server))
        backend = LLMBackend(settings, PromptSet(), http_client=client, count_tokens=estimate_tokens)
        articles = [Article(id=f"a{n}", text=f"{SENTENCES[n % 4]} ({n})", path=f"a{n}") for n in range(args.articles)]
        wall = time.perf_counter()
        report = asyncio.run(execute(articles, BackendConfig(choice=BackendChoice.llm, llm=settings),
                                     RunOptions(concurrency=64), backend=backend))
        wall = time.perf_counter() - wall
        print(f"run {attempt}: failed {report.record.failed} of {args.articles}; 429s {server.rejected}; "
              f"peak at the server {server.peak}; lowest limit {backend.rate_limiter.stats.lowest_limit}; "
              f"{wall:.1f} s (the server's floor: {args.articles / 4 * args.latency:.1f} s)")


def bench_memory(args: argparse.Namespace) -> None:
    print(load())
    for size in args.sizes:
        child = subprocess.run([sys.executable, __file__, "_memory", str(size), str(args.workers)],
                               capture_output=True, text=True, check=True)
        print(child.stdout.strip())


def offline_run(folder: Path, out: Path, workers: int) -> dict[str, float]:
    """The offline backend over ``folder`` through ``runs.execute``, with CPU and memory
    of the main process and of the worker processes."""
    from annotator.backends import BackendChoice, BackendConfig, OfflineAdapter
    from annotator.runs import RunOptions, execute

    adapter = OfflineAdapter(workers)
    config = BackendConfig(choice=BackendChoice.offline, workers=workers)
    cpu, wall = cpu_seconds(), time.perf_counter()
    report = asyncio.run(execute(folder, config, RunOptions(out=out), backend=adapter))
    wall, main = time.perf_counter() - wall, cpu_seconds() - cpu
    pool_cpu, pool_peak = worker_usage(adapter)
    asyncio.run(adapter.aclose())
    return {"articles": report.record.annotated, "wall": wall, "main_cpu": main, "workers_cpu": pool_cpu,
            "main_peak": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, "workers_peak": pool_peak}


def _memory(size: int, workers: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "in"
        folder.mkdir()
        for n in range(size):
            (folder / f"{n:06d}.txt").write_text(f"{SENTENCES[n % 4]} {SENTENCES[(n + 1) % 4]} ({n})\n")
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        run = offline_run(folder, Path(tmp) / "out", workers)
        rows = len((Path(tmp) / "out" / "claims.jsonl").read_text().splitlines())
    print(f"{size:>6} articles: peak RSS main {run['main_peak']:.0f} MB (before the run {before:.0f} MB), "
          f"largest worker {run['workers_peak']:.0f} MB; {rows} claim rows; {run['wall']:.1f} s wall, "
          f"CPU main {run['main_cpu']:.1f} s + workers {run['workers_cpu']:.1f} s")


def bench_cores(args: argparse.Namespace) -> None:
    folder = args.polnear / "train" / "text"
    count = len(list(folder.glob("*.txt")))
    print(f"PolNeAR train, {count} articles; {load()}")
    speeds = {}
    for workers in args.workers:
        with tempfile.TemporaryDirectory() as tmp:
            run = offline_run(folder, Path(tmp) / "out", workers)
        total = run["main_cpu"] + run["workers_cpu"]
        speeds[workers] = run["articles"] / run["wall"]
        print(f"workers {workers}: {run['articles']:.0f} articles in {run['wall']:.1f} s wall = "
              f"{speeds[workers]:.1f} articles/s; CPU {total:.1f} s (main {run['main_cpu']:.1f}, "
              f"workers {run['workers_cpu']:.1f}): {run['articles'] / run['workers_cpu']:.1f} articles per "
              f"worker CPU second, {run['articles'] / total:.1f} per CPU second overall")
    if len(speeds) > 1:
        low, high = min(speeds), max(speeds)
        print(f"speed-up {high} vs {low} workers, same run: {speeds[high] / speeds[low]:.2f}x")


def bench_interrupt(args: argparse.Namespace) -> None:
    samples = sorted((HERE.parent / "examples" / "articles").glob("*.txt"))
    print(load())
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "in"
        folder.mkdir()
        for n in range(args.articles):
            (folder / f"{n:05d}.txt").write_text(samples[n % len(samples)].read_text() + f"\n({n})\n")
        out = Path(tmp) / "out"
        command = [sys.executable, "-c", "from annotator.cli import app; app()", "annotate", str(folder),
                   "--out", str(out), "--backend", "offline"]
        for _ in range(args.repeat):
            process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            before = len(list((out / "articles").glob("*.json"))) if (out / "articles").exists() else 0
            while len(list((out / "articles").glob("*.json"))) < before + 20 if (out / "articles").exists() else True:
                time.sleep(0.02)
            process.send_signal(signal.SIGINT)
            asked = time.perf_counter()
            process.wait(timeout=60)
            print(f"Ctrl-C to exit: {time.perf_counter() - asked:.2f} s (exit code {process.returncode}); "
                  f"{len(list((out / 'articles').glob('*.json')))} articles kept")


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "_memory":
        _memory(int(sys.argv[2]), int(sys.argv[3]))
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="bench", required=True)
    rate = sub.add_parser("ratelimit")
    rate.add_argument("--articles", type=int, default=2000)
    rate.add_argument("--rpm", type=float, default=600)
    rate.add_argument("--latency", type=float, default=1.5)
    rate.add_argument("--given", action="store_true", help="pass the limit as --rpm instead of learning it")
    over = sub.add_parser("overhead")
    over.add_argument("--articles", type=int, default=1000)
    capped = sub.add_parser("capped")
    capped.add_argument("--articles", type=int, default=30)
    capped.add_argument("--latency", type=float, default=0.5)
    capped.add_argument("--repeat", type=int, default=3)
    memory = sub.add_parser("memory")
    memory.add_argument("--sizes", type=int, nargs="+", default=[1000, 20000])
    memory.add_argument("--workers", type=int, default=2)
    cores = sub.add_parser("cores")
    cores.add_argument("--polnear", type=Path, default=Path("../shared/polnear"))
    cores.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    stop = sub.add_parser("interrupt")
    stop.add_argument("--articles", type=int, default=400)
    stop.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    {"ratelimit": bench_ratelimit, "overhead": bench_overhead, "capped": bench_capped, "memory": bench_memory,
     "cores": bench_cores, "interrupt": bench_interrupt}[args.bench](args)


if __name__ == "__main__":
    main()
