"""Re-record the live cassettes from a real model (one command; see cassettes/README.md).

    python cassettes/record_live.py                      # the local server on 127.0.0.1:8765
    python cassettes/record_live.py -k json_schema       # only matching tests (extra args: pytest)
    python cassettes/record_live.py --base-url URL --model NAME   # any other endpoint

With no server on the port, one is started from ``ANNOTATOR_LLAMA_PYTHON`` and
``ANNOTATOR_LOCAL_MODEL`` (bench/local_server.py; docs/local-models.md) and stopped
afterwards. The live test modules run under pytest with ``--record-mode=rewrite``,
pointed at the endpoint, with no key (set ``OPENAI_API_KEY`` yourself for a hosted API;
the recorder scrubs it). Every cassette written gets a header naming the server, the
model (name, quantisation, SHA-256 of the file), its settings, the date and this
command, so a reader knows which model said what. Recording takes as long as the model
needs: about an hour for everything with a 1.5B model on two CPU cores.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import sys
import time
import urllib.request
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT / "bench"))

from local_server import DEFAULT_PORT, find_or_start  # noqa: E402

LIVE_MODULES = ("test_llm_live", "test_llm_sample_local")
HEADER = "# RECORDED FROM A LIVE SERVER."


def served_model(base_url: str) -> str:
    """The first model the endpoint lists; its ``owned_by`` goes to the tests (which skip
    what a server of another kind cannot show)."""
    with urllib.request.urlopen(f"{base_url}/models", timeout=30) as response:
        first = json.load(response)["data"][0]
    os.environ["ANNOTATOR_RECORD_OWNED_BY"] = str(first.get("owned_by", ""))
    return str(first["id"])


def stamp(path: Path, lines: list[str]) -> None:
    text = path.read_text(encoding="utf-8")
    body = "".join(line for line in text.splitlines(keepends=True) if not line.startswith("# ")) if \
        text.startswith("# ") else text
    path.write_text("".join(f"# {line}\n" for line in lines) + body, encoding="utf-8")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base-url", help="any OpenAI-compatible endpoint (default: the local server)")
    parser.add_argument("--model", help="model name to ask for (default: the one the server lists first)")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT)
    parser.add_argument("--describe", help="what serves --base-url (for the header)")
    args, pytest_args = parser.parse_known_args(argv)
    if args.base_url:
        return record(args.base_url, served_model(args.base_url) if not args.model else args.model,
                      args.describe or f"the endpoint {args.base_url}", pytest_args)
    with find_or_start(args.port, log=ROOT / "cassettes" / ".record-server.log") as server:
        model = served_model(server.base_url)
        return record(server.base_url, args.model or model, server.describe(), pytest_args)


def record(base_url: str, model: str, description: str, pytest_args: list[str]) -> int:
    os.environ["OPENAI_BASE_URL"] = base_url
    os.environ["ANNOTATOR_MODEL"] = model
    started = time.time()
    targets = [str(ROOT / "tests" / f"{module}.py") for module in LIVE_MODULES]
    code = pytest.main([*targets, "--record-mode=rewrite", "-p", "no:cacheprovider", "-q",
                        "--rootdir", str(ROOT), *pytest_args])
    when = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        HEADER[2:] + " A real model wrote every response below; the requests are annotator's own.",
        f"Server: {description}; temperature 0, seed 42.",
        f"Recorded {when} with: python cassettes/record_live.py {' '.join(pytest_args)}".rstrip(),
        "Results replayed from it measure this model only (and the pipeline), never another.",
    ]
    written = [p for module in LIVE_MODULES for p in (HERE / module).glob("*.yaml") if p.stat().st_mtime >= started]
    for path in written:
        stamp(path, lines)
    print(f"recorded {len(written)} cassette(s) from {description}")
    return int(code)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
