"""The output folder: one JSON per article, a flat claims.jsonl, run.json, prompt logs.

Every file is written atomically (temporary file in the same folder, fsync, rename), so
an interrupted run leaves either the old file or the new one, never half of one, and
with the permissions the umask gives (as ``open`` would). An article's file doubles as
its cache entry: a rerun skips the article when the stored result has the same
:class:`~annotator.models.CacheKey` and no errors.

Layout::

    OUT/articles/<id>.json   ArticleResult: text, gold-shaped claims with offsets, provenance
    OUT/logs/<id>.jsonl      every request/response exchanged for that article (LLM only)
    OUT/claims.jsonl         one ClaimRow per claim of every article of the run
    OUT/run.json             RunRecord: model, endpoint host, versions, times, totals

Outputs of schema 1 (no text, ``claim`` for the restatement) are still read.
"""

from __future__ import annotations

import functools
import hashlib
import os
import re
import tempfile
from collections.abc import Iterable
from pathlib import Path

from pydantic import BaseModel, Field, ValidationError

from annotator.models import (
    SCHEMA_VERSION,
    ArticleResult,
    CacheKey,
    ClaimLabels,
    Exchange,
    SpeakerType,
    Usage,
)

_SAFE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,150}$")
ARTICLES_DIR = "articles"
LOGS_DIR = "logs"
CLAIMS_FILE = "claims.jsonl"
RUN_FILE = "run.json"


class _RowHead(BaseModel):
    """The leading columns of a claim row: which claim, and whose."""

    article: str
    index: int
    speaker_id: str
    speaker: str
    speaker_type: SpeakerType


class ClaimRow(ClaimLabels, _RowHead):
    """One line of ``claims.jsonl``: a claim's labels with its article, speaker and offsets."""

    start: int | None
    end: int | None
    alignment: str | None


class SkippedInput(BaseModel):
    """An input file (or record) that could not be read, and why."""

    path: str
    reason: str


class RunRecord(BaseModel):
    """``run.json``: what produced this folder, when, and what it cost."""

    schema_version: int = SCHEMA_VERSION
    annotator_version: str
    backend: str
    model: str
    endpoint: str | None
    prompt_version: str
    mode: str | None
    started: str
    finished: str
    seconds: float
    articles: int
    annotated: int
    skipped: int
    failed: int
    claims: int
    dropped_claims: int
    usage: Usage
    load_failures: list[SkippedInput] = Field(default_factory=list)


@functools.cache
def _file_mode() -> int:
    """What ``open`` would give a new file under this process's umask."""
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def atomic_write(path: Path, text: str) -> None:
    """Replace ``path`` with ``text`` in one step."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.fchmod(fd, _file_mode())  # mkstemp creates 0600 whatever the umask
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def file_stem(article_id: str) -> str:
    """A file name for an id; unsafe ids get a readable prefix plus a hash to stay unique."""
    if _SAFE_ID.match(article_id):
        return article_id
    readable = re.sub(r"[^A-Za-z0-9._-]+", "_", article_id)[:80].strip("._") or "article"
    return f"{readable}-{hashlib.sha256(article_id.encode()).hexdigest()[:10]}"


def read_result(text: str) -> ArticleResult:
    """Parse one stored article output, of this schema or an earlier one.

    Schema 1 differs only by what it lacks (the text and its metadata) and by calling
    the restatement ``claim``, which the model reads under either name; it keeps its
    ``schema_version`` of 1 so readers know its text must be found elsewhere.
    """
    result = ArticleResult.model_validate_json(text)
    if '"schema_version"' not in text:
        result.schema_version = 1
    return result


class Store:
    """Reads and writes one output folder."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.articles_dir = root / ARTICLES_DIR
        self.logs_dir = root / LOGS_DIR

    def article_path(self, article_id: str) -> Path:
        return self.articles_dir / f"{file_stem(article_id)}.json"

    def load(self, article_id: str) -> ArticleResult | None:
        """The stored result, or ``None`` when absent or unreadable (it will be redone)."""
        path = self.article_path(article_id)
        try:
            return read_result(path.read_text(encoding="utf-8"))
        except (OSError, ValidationError, ValueError):
            return None

    def fresh(self, article_id: str, key: CacheKey) -> ArticleResult | None:
        """The stored result if it is clean and was made under ``key``."""
        stored = self.load(article_id)
        if stored is None or not stored.ok or stored.cache_key != key:
            return None
        return stored

    def write(self, result: ArticleResult, exchanges: list[Exchange]) -> None:
        """Write the article's result, and its exchange log when there is one."""
        if exchanges:
            lines = (e.model_dump_json() for e in exchanges)
            atomic_write(self.logs_dir / f"{file_stem(result.article)}.jsonl", "\n".join(lines) + "\n")
        atomic_write(self.article_path(result.article), result.model_dump_json(indent=2) + "\n")

    def results(self) -> list[ArticleResult]:
        """Every readable article output of the folder, in file-name order."""
        found = []
        for path in sorted(self.articles_dir.glob("*.json")):
            try:
                found.append(read_result(path.read_text(encoding="utf-8")))
            except (OSError, ValidationError, ValueError):
                continue
        return found

    def write_claims(self, results: Iterable[ArticleResult]) -> int:
        """Rebuild ``claims.jsonl`` from the given results; returns the number of rows."""
        rows = [row.model_dump_json() for result in results for row in claim_rows(result)]
        atomic_write(self.root / CLAIMS_FILE, "".join(f"{row}\n" for row in rows))
        return len(rows)

    def write_run(self, record: RunRecord) -> None:
        atomic_write(self.root / RUN_FILE, record.model_dump_json(indent=2) + "\n")

    def read_run(self) -> RunRecord | None:
        """``run.json``, or ``None`` when the folder has none (or it is unreadable)."""
        try:
            return RunRecord.model_validate_json((self.root / RUN_FILE).read_text(encoding="utf-8"))
        except (OSError, ValidationError, ValueError):
            return None


def claim_rows(result: ArticleResult) -> list[ClaimRow]:
    """Flatten an article's claims, joining each to its speaker entity."""
    speakers = {s.id: s for s in result.speakers}
    rows = []
    for index, claim in enumerate(result.claims):
        speaker = speakers[claim.speaker]
        content = claim.spans.content if claim.spans else []
        rows.append(
            ClaimRow(
                article=result.article,
                index=index,
                speaker_id=speaker.id,
                speaker=speaker.name,
                speaker_type=speaker.type,
                start=content[0].start if content else None,
                end=content[-1].end if content else None,
                alignment=content[0].alignment.value if content else None,
                **claim.labels(),
            )
        )
    return rows
