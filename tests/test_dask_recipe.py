"""The Dask recipe of ``docs/scale.md``, run as written, with Dask's local process scheduler.

The code block is read from the document and executed, so the documented recipe cannot
drift from a working one. Needs the ``dask`` extra (installed by ``.ci/run``).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

import annotator
from annotator.store import CLAIMS_FILE

dask = pytest.importorskip("dask", reason="the dask extra is not installed: pip install -e '.[dask]'")
ROOT = Path(__file__).resolve().parent.parent
SAMPLES = sorted((ROOT / "examples" / "articles").glob("*.txt"))


def recipe() -> dict:
    text = (ROOT / "docs" / "scale.md").read_text(encoding="utf-8")
    section = text.split("## A distributed engine: Dask", 1)[1]
    (code,) = re.findall(r"```python\n(.*?)```", section, re.S)
    namespace: dict = {"__name__": "dask_recipe"}
    exec(compile(code, "docs/scale.md", "exec"), namespace)  # our own document, run as written
    return namespace


def test_the_documented_recipe_annotates_a_corpus_as_one_run(tmp_path: Path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    records = [{"id": p.stem, "text": p.read_text(encoding="utf-8"), "title": f"sample {n}"}
               for n, p in enumerate(SAMPLES)]
    for half, chunk in enumerate((records[:3], records[3:])):
        (corpus / f"part{half}.jsonl").write_text("".join(json.dumps(r) + "\n" for r in chunk), encoding="utf-8")
    out = tmp_path / "out"
    annotate_corpus = recipe()["annotate_corpus"]
    with dask.config.set(scheduler="processes", num_workers=2):
        summary = annotate_corpus(str(corpus / "*.jsonl"), out, partitions=3)

    assert sorted(s["article"] for s in summary) == sorted(r["id"] for r in records)
    assert all(s["ok"] for s in summary)
    parts = sorted(p.name for p in (out / "parts").iterdir())
    assert len(parts) == 3 and all(p.startswith("dask-") for p in parts)
    single = tmp_path / "single"
    annotator.annotate(ROOT / "examples" / "articles", backend="offline", out=single, workers=0)
    rows = sorted((out / CLAIMS_FILE).read_text().splitlines())
    assert [json.loads(r)["content"] for r in rows] == [
        json.loads(r)["content"] for r in sorted((single / CLAIMS_FILE).read_text().splitlines())
    ]
    record = json.loads((out / "run.json").read_text())
    assert (record["articles"], record["failed"]) == (5, 0)

    with dask.config.set(scheduler="processes", num_workers=2):
        annotate_corpus(str(corpus / "*.jsonl"), out, partitions=3)
    assert sorted(p.name for p in (out / "parts").iterdir()) == parts, "a rerun rewrites its parts, adds none"
