"""One output folder written by many runs: shards of a corpus, partitions of a job.

A corpus too large for one machine is split deterministically by article id
(``--shard K/N``: the article goes to shard ``sha256(id) mod N``, stable across
machines, Python versions and runs). Each run, a shard or a partition of a distributed
job, is a *part*: it writes its articles' outputs into the shared ``articles/`` and
``logs/`` folders as any run does (their files never collide), and its own claims table
and run record into ``parts/<name>/``::

    OUT/articles/<id>.json          every part's articles, side by side
    OUT/parts/<name>/claims.jsonl   the rows of that part's articles
    OUT/parts/<name>/run.json       that part's run record

``eval``, ``view`` and ``compare`` read ``articles/`` and so see the whole run at once;
:func:`merge` writes the folder's own ``claims.jsonl`` and ``run.json`` from the parts.
Folders written on machines without a shared file system can be copied onto one
another first (``rsync -a``): no two parts write the same file.
"""

from __future__ import annotations

import hashlib
import re
import shutil
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from annotator.store import (
    ARTICLES_DIR,
    CLAIMS_FILE,
    LOGS_DIR,
    RUN_FILE,
    RunRecord,
    SkippedInput,
    Store,
    atomic_lines,
    atomic_write,
    row_article,
)

PARTS_DIR = "parts"
_PART_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,80}$")


class PartError(ValueError):
    """A shard or part specification, or a folder to merge, that cannot be used."""


@dataclass(frozen=True)
class Shard:
    """Shard ``index`` of ``count`` (0-based, as job arrays number their tasks)."""

    index: int
    count: int

    @classmethod
    def parse(cls, text: str) -> Shard:
        """``"K/N"`` with 0 <= K < N, e.g. ``--shard 0/4`` ... ``--shard 3/4``."""
        match = re.fullmatch(r"\s*(\d+)\s*/\s*(\d+)\s*", text)
        if not match:
            raise PartError(f"--shard {text!r}: expected K/N, e.g. 0/4 (shards are numbered from 0)")
        index, count = int(match.group(1)), int(match.group(2))
        if count < 1 or not 0 <= index < count:
            raise PartError(f"--shard {text!r}: need 0 <= K < N")
        return cls(index, count)

    def takes(self, article_id: str) -> bool:
        """Whether this shard annotates the article (every id belongs to exactly one)."""
        digest = hashlib.sha256(article_id.encode("utf-8")).digest()
        return int.from_bytes(digest[:8], "big") % self.count == self.index

    @property
    def part(self) -> str:
        return f"shard-{self.index}-of-{self.count}"


def check_part_name(name: str) -> str:
    if not _PART_NAME.match(name):
        raise PartError(f"part name {name!r}: use letters, digits, '.', '_' or '-' (at most 81)")
    return name


def part_dir(out: Path, name: str) -> Path:
    return out / PARTS_DIR / check_part_name(name)


@dataclass(frozen=True)
class MergeReport:
    """What :func:`merge` found and wrote."""

    parts: list[str]
    rows: int
    record: RunRecord
    missing_shards: list[str]
    copied: int
    conflicts: list[str]


def merge(out: Path, sources: list[Path] | None = None) -> MergeReport:
    """Make ``out`` one run: copy ``sources`` into it (articles, logs, parts), then write
    its ``claims.jsonl`` from the parts' tables and its ``run.json`` from their records.

    An article output present in two sources with different contents is a conflict:
    the one already in ``out`` is kept and the conflict reported. Raises
    :class:`PartError` when ``out`` has no parts or the parts were made by different
    backends, models or prompt versions (one run must mean one configuration).
    """
    copied, conflicts = 0, []
    for source in sources or []:
        if source.resolve() == out.resolve():
            continue
        for sub in (ARTICLES_DIR, LOGS_DIR, PARTS_DIR):
            n, clashes = _copy_tree(source / sub, out / sub)
            copied += n
            conflicts.extend(clashes)
    parts = sorted(p for p in (out / PARTS_DIR).glob("*") if (p / RUN_FILE).is_file())
    if not parts:
        raise PartError(f"{out}: no parts to merge (expected {PARTS_DIR}/<name>/{RUN_FILE})")
    records = [_read_record(p) for p in parts]
    record = _combined(records)
    rows = _concatenate([p / CLAIMS_FILE for p in parts], out / CLAIMS_FILE)
    atomic_write(out / RUN_FILE, record.model_dump_json(indent=2) + "\n")
    return MergeReport(
        parts=[p.name for p in parts],
        rows=rows,
        record=record,
        missing_shards=_missing_shards([p.name for p in parts]),
        copied=copied,
        conflicts=conflicts,
    )


def _copy_tree(source: Path, target: Path) -> tuple[int, list[str]]:
    copied, conflicts = 0, []
    if not source.is_dir():
        return 0, []
    for path in sorted(source.rglob("*")):
        if not path.is_file() or path.name.startswith("."):
            continue
        destination = target / path.relative_to(source)
        if destination.exists():
            if destination.read_bytes() != path.read_bytes():
                conflicts.append(str(destination))
            continue
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, destination)
        copied += 1
    return copied, conflicts


def _read_record(part: Path) -> RunRecord:
    record = Store(part).read_run()
    if record is None:
        raise PartError(f"{part / RUN_FILE}: unreadable run record")
    return record


def _combined(records: list[RunRecord]) -> RunRecord:
    first = records[0]
    for record in records[1:]:
        for name in ("backend", "model", "prompt_version"):
            if getattr(record, name) != getattr(first, name):
                raise PartError(
                    f"parts disagree on {name}: {getattr(first, name)!r} and {getattr(record, name)!r}; "
                    "one run must use one configuration"
                )
    started = min(records, key=lambda r: datetime.fromisoformat(r.started)).started
    finished = max(records, key=lambda r: datetime.fromisoformat(r.finished)).finished
    usage = first.usage
    for record in records[1:]:
        usage = usage + record.usage
    failures: list[SkippedInput] = [f for r in records for f in r.load_failures]
    return first.model_copy(
        update={
            "started": started,
            "finished": finished,
            "seconds": round(sum(r.seconds for r in records), 3),
            "articles": sum(r.articles for r in records),
            "annotated": sum(r.annotated for r in records),
            "skipped": sum(r.skipped for r in records),
            "failed": sum(r.failed for r in records),
            "claims": sum(r.claims for r in records),
            "dropped_claims": sum(r.dropped_claims for r in records),
            "usage": usage,
            "load_failures": failures,
        }
    )


def _concatenate(tables: list[Path], target: Path) -> int:
    """The parts' rows in one table, streamed; an article in two parts (a shard rerun
    under another N) keeps the rows of the first part only."""
    seen: set[str] = set()
    rows = 0
    with atomic_lines(target) as handle:
        for table in tables:
            if not table.is_file():
                continue
            mine: set[str] = set()
            with open(table, "rb") as source:
                for raw in source:
                    article = row_article(raw)
                    if article is None or article in seen:
                        continue
                    mine.add(article)
                    handle.write(raw.decode("utf-8"))
                    rows += 1
            seen |= mine
    return rows


def _missing_shards(names: list[str]) -> list[str]:
    """Shards of a K-of-N series that are not (yet) in the folder."""
    found: dict[int, set[int]] = {}
    for name in names:
        match = re.fullmatch(r"shard-(\d+)-of-(\d+)", name)
        if match:
            found.setdefault(int(match.group(2)), set()).add(int(match.group(1)))
    return [f"shard-{k}-of-{n}" for n, have in sorted(found.items()) for k in range(n) if k not in have]
