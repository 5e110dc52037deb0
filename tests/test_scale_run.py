"""A run at scale: streamed, appended, on every core, sharded, interruptible.

The claims table is checked against its invariant (one row per claim of every article
output in the folder, no duplicate, no stale row) after every kind of rerun, after a
simulated kill, and after Ctrl-C; worker processes must give exactly the claims of the
in-process backend; shards must partition a corpus and merge into the single run.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

import annotator
from annotator.cli import app
from annotator.models import ArticleResult
from annotator.parts import PartError, Shard
from annotator.store import CLAIMS_FILE, CLAIMS_JOURNAL, Store, claim_rows
from annotator.workers import _alive

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "examples" / "articles"


def table_rows(out: Path, table: Path | None = None) -> list[str]:
    path = table or out / CLAIMS_FILE
    return sorted(path.read_text(encoding="utf-8").splitlines()) if path.exists() else []


def expected_rows(out: Path) -> list[str]:
    """What the table must hold: the rows of every article output in the folder."""
    return sorted(row.model_dump_json() for result in Store(out).iter_results() for row in claim_rows(result))


def copy_samples(target: Path) -> Path:
    shutil.copytree(SAMPLES, target)
    return target


def cli(*args: object):
    return CliRunner().invoke(app, [str(a) for a in args], catch_exceptions=False)


def test_rows_are_appended_and_reruns_leave_no_stale_or_duplicate_row(tmp_path: Path):
    folder = copy_samples(tmp_path / "in")
    out = tmp_path / "out"
    annotator.annotate(folder, backend="offline", out=out, workers=0)
    first = table_rows(out)
    assert first and first == expected_rows(out)
    assert len(first) == len(set(first))

    annotator.annotate(folder, backend="offline", out=out, workers=0)
    assert table_rows(out) == first, "a rerun that redoes nothing leaves the table as it was"

    changed = folder / "001_f581894d71ea3311.txt"
    two_claims = "The mayor said the bridge would open. Officials believe the attack was coordinated.\n"
    changed.write_text(two_claims, encoding="utf-8")
    report = annotator.load_run(out)
    annotator.annotate(folder, backend="offline", out=out, workers=0)
    rows = table_rows(out)
    assert rows == expected_rows(out), "the changed article's old rows are gone, its new ones in"
    assert sum(json.loads(r)["article"] == "001_f581894d71ea3311" for r in rows) == 2
    assert len(rows) < len(first) and report.record is not None

    annotator.annotate(folder, backend="offline", out=out, workers=0, force=True)
    assert table_rows(out) == expected_rows(out), "--force redoes all: still one copy of each row"
    assert not (out / CLAIMS_JOURNAL).exists(), "a finished run leaves no journal"


def test_a_killed_run_is_repaired_from_the_journal(tmp_path: Path):
    folder = copy_samples(tmp_path / "in")
    out = tmp_path / "out"
    annotator.annotate(folder, backend="offline", out=out, workers=0)
    store = Store(out)
    rewritten = store.load("000_3d88e5c5ef59938c")
    cut = store.load("003_cc6359ce57474f5c")
    assert rewritten is not None and cut is not None and rewritten.claims and cut.claims

    # A run killed mid-way: 000 redone to the end (rows appended, never compacted), 003
    # redone with a new output written but killed before its rows went in.
    table = store.claims_table().open()
    table.begin(rewritten.article, had_rows=True)
    table.append(rewritten.model_copy(update={"claims": rewritten.claims[:2]}))
    table.begin(cut.article, had_rows=True)
    smaller = cut.model_copy(update={"claims": cut.claims[:1]})
    store.write(smaller, [])
    store.write(rewritten.model_copy(update={"claims": rewritten.claims[:2]}), [])
    table._table.close()  # type: ignore[union-attr]  # the kill: no close(), the journal stays
    assert (out / CLAIMS_JOURNAL).exists()

    annotator.annotate(folder, backend="offline", out=out, workers=0, force=False)
    assert table_rows(out) == expected_rows(out)
    assert not (out / CLAIMS_JOURNAL).exists()


def test_worker_processes_give_the_in_process_claims(tmp_path: Path):
    pooled = annotator.annotate(SAMPLES, backend="offline", workers=2)
    inline = annotator.annotate(SAMPLES, backend="offline", workers=0)
    assert [r.article for r in pooled] == [r.article for r in inline], "input order, whatever finished first"
    assert [r.claims for r in pooled] == [r.claims for r in inline]
    assert sum(len(r.claims) for r in pooled) > 20


def test_results_with_out_are_read_back_from_the_folder(tmp_path: Path):
    out = tmp_path / "out"
    stored = annotator.annotate(SAMPLES, backend="offline", out=out, workers=0)
    assert not isinstance(stored, list), "with out the run keeps ids, not results"
    in_memory = annotator.annotate(SAMPLES, backend="offline", workers=0)
    assert isinstance(in_memory, list)
    assert len(stored) == len(in_memory) == 5
    assert [r.model_dump(exclude={"seconds"}) for r in stored] == [
        r.model_dump(exclude={"seconds"}) for r in in_memory
    ]
    assert stored[-1].article == in_memory[-1].article and len(stored[1:3]) == 2


def test_shards_partition_by_id_and_merge_into_the_single_run(tmp_path: Path):
    ids = [f"article-{n}" for n in range(200)]
    owners = [[k for k in range(3) if Shard(k, 3).takes(i)] for i in ids]
    assert all(len(o) == 1 for o in owners), "every article in exactly one shard"
    assert min(sum(o == [k] for o in owners) for k in range(3)) > 40, "roughly even"

    single = tmp_path / "single"
    annotator.annotate(SAMPLES, backend="offline", out=single, workers=0)
    out = tmp_path / "sharded"
    for k in range(2):
        result = cli("annotate", SAMPLES, "--out", out, "--backend", "offline", "--workers", 0, "--shard", f"{k}/2")
        assert result.exit_code == 0, result.output
        assert (out / "parts" / f"shard-{k}-of-2" / "run.json").is_file()
    assert not (out / CLAIMS_FILE).exists(), "shards never write the folder's own table"
    parts = [json.loads((out / "parts" / f"shard-{k}-of-2" / "run.json").read_text())["articles"] for k in range(2)]
    assert sum(parts) == 5 and min(parts) >= 1

    merged = cli("merge", out)
    assert merged.exit_code == 0, merged.output
    assert table_rows(out) == table_rows(single) == expected_rows(out)
    record = json.loads((out / "run.json").read_text())
    assert (record["articles"], record["annotated"], record["claims"]) == (5, 5, len(table_rows(single)))


def test_merge_copies_other_machines_folders_and_reports_missing_shards(tmp_path: Path):
    machines = [tmp_path / f"machine{k}" for k in range(3)]
    for k, out in enumerate(machines[:2]):
        annotator.annotate(SAMPLES, backend="offline", out=out, workers=0, shard=f"{k}/3")
    target = tmp_path / "all"
    result = cli("merge", target, *machines[:2])
    assert result.exit_code == 1, "shard 2 of 3 is missing"
    assert "missing: shard-2-of-3" in result.output
    assert table_rows(target) == expected_rows(target)


def test_merge_refuses_parts_of_different_configurations(tmp_path: Path):
    out = tmp_path / "out"
    annotator.annotate(SAMPLES, backend="offline", out=out, workers=0, part="a")
    other = out / "parts" / "b"
    other.mkdir(parents=True)
    record = json.loads((out / "parts" / "a" / "run.json").read_text())
    (other / "run.json").write_text(json.dumps({**record, "model": "another-model"}))
    with pytest.raises(PartError, match="parts disagree on model"):
        annotator.merge(out)


@pytest.mark.parametrize("text", ["3", "2/2", "-1/2", "a/b", "0/0"])
def test_bad_shard_is_refused(text):
    with pytest.raises(PartError):
        Shard.parse(text)


def test_ctrl_c_stops_within_seconds_and_keeps_finished_work(tmp_path: Path):
    """SIGINT to a real ``annotator annotate`` with two worker processes: it exits with
    130, every finished article is complete, the table matches, and a rerun resumes.
    (How fast, measured on a loaded machine, is in bench/bench_scale.py.)"""
    folder = tmp_path / "in"
    folder.mkdir()
    texts = sorted(SAMPLES.glob("*.txt"))
    for n in range(400):
        source = texts[n % len(texts)]
        (folder / f"{n:04d}.txt").write_text(source.read_text(encoding="utf-8") + f"\n(copy {n})\n", encoding="utf-8")
    out = tmp_path / "out"
    command = [sys.executable, "-c", "from annotator.cli import app; app()",
               "annotate", str(folder), "--out", str(out), "--backend", "offline", "--workers", "2"]
    env = {**os.environ, "COLUMNS": "200"}
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and len(list((out / "articles").glob("*.json"))) < 10:
        time.sleep(0.05)
    process.send_signal(signal.SIGINT)
    asked = time.monotonic()
    output, _ = process.communicate(timeout=30)
    waited = time.monotonic() - asked
    text = output.decode()
    assert process.returncode == 130, text
    assert waited < 10, f"stopped {waited:.1f} s after Ctrl-C"
    assert "interrupted" in text and "Traceback" not in text

    kept = [ArticleResult.model_validate_json(p.read_text()) for p in (out / "articles").glob("*.json")]
    assert 10 <= len(kept) < 400 and all(r.ok for r in kept)
    assert table_rows(out) == expected_rows(out)
    record = json.loads((out / "run.json").read_text())
    assert record["interrupted"] is True and record["annotated"] == len(kept)

    rerun = cli("annotate", folder, "--out", out, "--backend", "offline", "--workers", 2)
    assert rerun.exit_code == 0, rerun.output
    again = json.loads((out / "run.json").read_text())
    assert (again["skipped"], again["annotated"], again["interrupted"]) == (len(kept), 400 - len(kept), False)
    assert table_rows(out) == expected_rows(out)


def _dies_on_boom(article):
    """A worker task that kills its process on one article, as the OOM killer would."""
    if article.id == "boom":
        os._exit(9)
    from annotator.workers import _annotate

    return _annotate(article)


async def test_a_dying_worker_fails_its_article_not_the_run():
    from annotator.models import Article
    from annotator.workers import WorkerDied, WorkerPool

    pool = WorkerPool(1, task=_dies_on_boom)
    text = "The mayor said the bridge would open."
    try:
        assert await pool.extract(Article(id="before", text=text, path="b"))
        with pytest.raises(WorkerDied, match="died"):
            await pool.extract(Article(id="boom", text=text, path="x"))
        assert await pool.extract(Article(id="after", text=text, path="a")), "a new pool takes the next article"
    finally:
        pool.close()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="parent-death signal is Linux's")
def test_workers_do_not_outlive_a_killed_run(tmp_path: Path):
    """SIGKILL leaves the run no chance to stop its workers; they must not go on, orphaned,
    annotating a long article for minutes."""
    folder = tmp_path / "in"
    folder.mkdir()
    sentence = "The minister said the plan would work, and officials agreed with him. "
    (folder / "long.txt").write_text(sentence * 30_000, encoding="utf-8")
    out = tmp_path / "out"
    command = [sys.executable, "-c", "from annotator.cli import app; app()", "annotate", str(folder),
               "--out", str(out), "--backend", "offline", "--workers", "1", "--max-article-chars", "5000000"]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    workers: list[int] = []
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not workers:
        workers = _descendants(process.pid, depth=2)
        time.sleep(0.1)
    assert workers, "no worker process started"
    time.sleep(1.0)
    process.kill()
    process.wait()
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and any(_alive(pid) for pid in workers):
        time.sleep(0.1)
    assert not [pid for pid in workers if _alive(pid)], "workers still running after their run was killed"


def _descendants(pid: int, depth: int) -> list[int]:
    """Processes ``depth`` generations below ``pid`` (run -> fork server -> worker)."""
    level = [pid]
    for _ in range(depth):
        level = [int(child) for parent in level for child in _children(parent)]
    return level


def _children(pid: int) -> list[str]:
    try:
        return Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return []
