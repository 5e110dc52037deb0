"""The offline backend on every core: a pool of worker processes, fed by the pipeline.

The offline backend is pure Python and CPU-bound, so one process annotates on one core
and, run on the event loop, would block everything else (progress, writes, Ctrl-C).
:class:`WorkerPool` runs it in ``workers`` processes instead (default: the cores this
process may use). Each worker builds its own backend once; the loop only awaits.

Workers ignore SIGINT: on Ctrl-C the run stops feeding them and :meth:`WorkerPool.close`
terminates them at once, whatever article they are in the middle of (a 50 MB one would
otherwise hold the exit for minutes); articles already finished are kept by the run.
Processes come from a fork server where the platform has one (workers then start by a
fork of a small, clean process that has the backend's modules imported), else spawned.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import signal
import threading
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import TYPE_CHECKING

from annotator.backends import Extraction
from annotator.models import Article

if TYPE_CHECKING:
    from annotator.offline.backend import OfflineBackend

_PRELOAD = ["annotator.offline.backend", "annotator.pipeline"]
_WATCH_SECONDS = 0.5
"""How often a worker checks that its run is still there."""
_backend: OfflineBackend | None = None
"""The worker process's own backend, built by :func:`_start_worker`."""


class WorkerDied(RuntimeError):
    """The process annotating an article ended before it answered."""


def available_cores() -> int:
    """Cores this process may run on (its CPU affinity), at least 1."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - platforms without affinity (macOS)
        return max(1, os.cpu_count() or 1)


def _watch_run(run: int) -> None:
    """End this worker when the run that started it has ended.

    A run killed outright (SIGKILL, the OOM killer) cannot terminate its workers, and the
    fork server outlives it as long as they live, so no parent-death signal reaches them:
    without this they would go on annotating, orphaned, for as long as their article
    takes. A daemon thread looks at the run every half second.
    """

    def watch() -> None:
        while _alive(run):
            time.sleep(_WATCH_SECONDS)
        os._exit(1)

    threading.Thread(target=watch, name="annotator-run-watch", daemon=True).start()


def _alive(pid: int) -> bool:
    """Whether ``pid`` is a running process (a zombie has ended: it only awaits its reaper)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    except OSError:  # pragma: no cover - no /proc (macOS): ask the kernel instead
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        return True
    return state != "Z"


def _start_worker(run: int) -> None:
    global _backend
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides what Ctrl-C stops
    _watch_run(run)
    from annotator.offline.backend import OfflineBackend

    _backend = OfflineBackend()


def _annotate(article: Article) -> Extraction:
    """The article's finished result, built here: extraction, then the pipeline's own
    grounding, verification and speakers (CPU-bound too), so all of it uses every core."""
    from annotator.pipeline import build_result

    if _backend is None:  # pragma: no cover - the initializer always runs first
        raise RuntimeError("worker started without its backend")
    started = time.perf_counter()
    extraction = Extraction(claims=_backend.extract_claims(article))
    extraction.result = build_result(article, _backend, extraction, time.perf_counter() - started)
    extraction.claims = []  # the result holds them; no need to send them twice
    return extraction


def _context() -> multiprocessing.context.BaseContext:
    if "forkserver" in multiprocessing.get_all_start_methods():
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(_PRELOAD)
        return context
    return multiprocessing.get_context("spawn")  # pragma: no cover - Windows


class WorkerPool:
    """``workers`` processes, each with an offline backend, started on first use."""

    def __init__(self, workers: int, task: Callable[[Article], Extraction] | None = None) -> None:
        self.workers = max(1, workers)
        self._task = task or _annotate
        """What a worker runs per article (a module-level function: it is sent by name)."""
        self._pool: ProcessPoolExecutor | None = None

    async def extract(self, article: Article) -> Extraction:
        """The article's claims and finished result, computed in a worker process.

        A worker that dies (killed for its memory by the system, say) fails the articles
        it held, never the run: the pool is replaced for the articles after them."""
        if self._pool is None:
            self._pool = ProcessPoolExecutor(
                self.workers, mp_context=_context(), initializer=_start_worker, initargs=(os.getpid(),)
            )
        pool = self._pool
        try:
            return await asyncio.wrap_future(pool.submit(self._task, article))
        except BrokenProcessPool as error:
            if self._pool is pool:
                self._pool = None
                pool.shutdown(wait=False, cancel_futures=True)
            raise WorkerDied(f"the worker process annotating it died ({error})") from error

    def close(self) -> None:
        """Stop at once: queued articles are dropped and busy workers terminated."""
        pool, self._pool = self._pool, None
        if pool is None:
            return
        processes = list(getattr(pool, "_processes", {}).values())  # no public handle before 3.14
        pool.shutdown(wait=False, cancel_futures=True)
        for process in processes:
            if process.is_alive():
                process.terminate()
        for process in processes:
            process.join(timeout=1.0)
