"""The output folder: one JSON per article, a flat claims.jsonl, run.json, prompt logs.

Every file is written atomically (temporary file in the same folder, fsync, rename), so
an interrupted run leaves either the old file or the new one, never half of one, and
with the permissions the umask gives (as ``open`` would). An article's file doubles as
its cache entry: a rerun skips the article when the stored result has the same
:class:`~annotator.models.CacheKey` and no errors.

Layout::

    OUT/articles/<id>.json   ArticleResult: text, gold-shaped claims with offsets, provenance
    OUT/logs/<id>.jsonl      every request/response exchanged for that article (LLM only)
    OUT/claims.jsonl         one ClaimRow per claim of every article output in the folder
    OUT/run.json             RunRecord: model, endpoint host, versions, times, totals

``claims.jsonl`` is appended as articles finish, never rebuilt on the way (see
:class:`ClaimsTable`): a run of any size holds no row in memory. Outputs of schema 1
(no text, ``claim`` for the restatement) are still read.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import re
import tempfile
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import IO, overload

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
CLAIMS_JOURNAL = ".claims.journal"
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
    deferred: int = 0
    """Articles waiting for a provider batch: nothing written for them yet."""
    usage: Usage
    load_failures: list[SkippedInput] = Field(default_factory=list)
    interrupted: bool = False
    """The run was stopped (Ctrl-C) before its input was exhausted; rerun to resume."""
    part: str | None = None
    """The part of a shared output folder this run wrote (see :mod:`annotator.parts`)."""


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


def is_fresh(stored: ArticleResult | None, key: CacheKey) -> bool:
    """A stored result stands for the article under ``key``: clean and made under it."""
    return stored is not None and stored.ok and stored.cache_key == key


class StoredResults(Sequence[ArticleResult]):
    """A run's results in input order, read from its output folder on access: the run
    keeps only their ids, so a corpus of any size returns in constant memory."""

    def __init__(self, store: Store, ids: list[str]) -> None:
        self._store = store
        self._ids = ids

    def __len__(self) -> int:
        return len(self._ids)

    @overload
    def __getitem__(self, index: int) -> ArticleResult: ...

    @overload
    def __getitem__(self, index: slice) -> list[ArticleResult]: ...

    def __getitem__(self, index: int | slice) -> ArticleResult | list[ArticleResult]:
        if isinstance(index, slice):
            return [self._read(i) for i in self._ids[index]]
        return self._read(self._ids[index])

    def _read(self, article_id: str) -> ArticleResult:
        result = self._store.load(article_id)
        if result is None:
            raise LookupError(f"{self._store.article_path(article_id)}: missing or unreadable")
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
        return stored if is_fresh(stored, key) else None

    def write(self, result: ArticleResult, exchanges: list[Exchange]) -> None:
        """Write the article's result, and its exchange log when there is one."""
        if exchanges:
            lines = (e.model_dump_json() for e in exchanges)
            atomic_write(self.logs_dir / f"{file_stem(result.article)}.jsonl", "\n".join(lines) + "\n")
        atomic_write(self.article_path(result.article), result.model_dump_json(indent=2) + "\n")

    def results(self) -> list[ArticleResult]:
        """Every readable article output of the folder, in file-name order."""
        return list(self.iter_results())

    def iter_results(self) -> Iterator[ArticleResult]:
        """The same, one at a time (a folder of any size in constant memory)."""
        for path in sorted(self.articles_dir.glob("*.json")):
            try:
                yield read_result(path.read_text(encoding="utf-8"))
            except (OSError, ValidationError, ValueError):
                continue

    def write_claims(self, results: Iterable[ArticleResult], path: Path | None = None) -> int:
        """Rebuild ``claims.jsonl`` (or ``path``) from the given results, streaming;
        returns the number of rows. Runs append instead (:meth:`claims_table`); this is
        for repairs and merges."""
        target = path or self.root / CLAIMS_FILE
        count = 0
        with atomic_lines(target) as handle:
            for result in results:
                for row in claim_rows(result):
                    handle.write(row.model_dump_json() + "\n")
                    count += 1
        return count

    def claims_table(self, path: Path | None = None) -> ClaimsTable:
        """``claims.jsonl`` (or ``path``) opened for a run to append to."""
        return ClaimsTable(self, path or self.root / CLAIMS_FILE)

    def write_run(self, record: RunRecord) -> None:
        atomic_write(self.root / RUN_FILE, record.model_dump_json(indent=2) + "\n")

    def read_run(self) -> RunRecord | None:
        """``run.json``, or ``None`` when the folder has none (or it is unreadable)."""
        try:
            return RunRecord.model_validate_json((self.root / RUN_FILE).read_text(encoding="utf-8"))
        except (OSError, ValidationError, ValueError):
            return None


@contextmanager
def atomic_lines(path: Path) -> Iterator[IO[str]]:
    """A file written line by line into a temporary sibling, renamed over ``path`` only
    when complete (as :func:`atomic_write`, for output too large to build in memory)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.fchmod(fd, _file_mode())
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    finally:
        Path(tmp).unlink(missing_ok=True)


class ClaimsTable:
    """``claims.jsonl`` kept in step with ``articles/`` by appending, never rebuilding.

    Invariant at the end of every run: one row per claim of every article output in the
    folder, each article's rows together, no duplicate or stale row. A run appends an
    article's rows after its output file is written. Rows an article had before it was
    redone (changed text, ``--force``, an earlier failure) are stale: they are removed in
    one streaming pass when the run closes, only if there were any.

    A journal beside the table (``.claims.journal``) makes this safe against a killed
    run: it records where the table was clean and each article redone (``begin`` before
    its work, ``end`` once its rows are appended). A run that finds a journal repairs
    the table first: rows of ended articles before the clean point are dropped (stale),
    and articles begun but never ended get their rows again from their output file.
    Only ids are held in memory, and only for articles redone over earlier rows.
    """

    def __init__(self, store: Store, path: Path) -> None:
        self._store = store
        self.path = path
        self._journal_path = path.with_name(CLAIMS_JOURNAL if path.name == CLAIMS_FILE else f".{path.name}.journal")
        self._lock = threading.Lock()
        self._stale: set[str] = set()
        self._redone: set[str] = set()
        self._table: IO[str] | None = None
        self._journal: IO[str] | None = None
        self._clean = 0

    def open(self) -> ClaimsTable:
        """Repair what a killed run left, then start this run's journal."""
        if self._journal_path.exists():
            self._repair()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._table = open(self.path, "a", encoding="utf-8")  # noqa: SIM115 - held for the run
        self._clean = self._table.tell()
        self._journal = open(self._journal_path, "a", encoding="utf-8")  # noqa: SIM115
        self._note({"clean": self._clean})
        return self

    def begin(self, article_id: str, had_rows: bool) -> None:
        """An article is about to be redone; ``had_rows``: its earlier output had claims."""
        with self._lock:
            if had_rows:
                self._stale.add(article_id)
            self._note({"begin": article_id})

    def append(self, result: ArticleResult) -> None:
        """The article's output file is written: add its rows (one write, all together)."""
        lines = "".join(row.model_dump_json() + "\n" for row in claim_rows(result))
        with self._lock:
            if self._table is None:
                raise RuntimeError("claims table is not open")
            if lines:
                self._table.write(lines)
                self._table.flush()
            if result.article in self._stale:
                self._redone.add(result.article)
            self._note({"end": result.article})

    def close(self) -> None:
        """End of the run (finished or interrupted): drop stale rows, remove the journal.

        Only articles redone to the end lose their older rows; one interrupted before
        its output was rewritten keeps them, since its older output still stands."""
        with self._lock:
            if self._table is None:
                return
            self._table.flush()
            os.fsync(self._table.fileno())
            self._table.close()
            self._table = None
            if self._redone:
                self._compact(self._redone, set(), self._clean)
            if self._journal is not None:
                self._journal.close()
                self._journal = None
            self._journal_path.unlink(missing_ok=True)

    def _note(self, entry: dict[str, object]) -> None:
        if self._journal is not None:
            self._journal.write(json.dumps(entry) + "\n")
            self._journal.flush()

    def _repair(self) -> None:
        """Finish what a killed run left: stale rows out, lost rows back."""
        clean, compacted, begun, ended = 0, None, set(), set()
        for line in self._journal_path.read_text(encoding="utf-8").splitlines():
            try:
                entry = json.loads(line)
            except ValueError:
                continue  # a line cut by the kill
            clean = entry.get("clean", clean)
            compacted = entry.get("compacted", compacted)
            if "begin" in entry:
                begun.add(entry["begin"])
            if "end" in entry:
                ended.add(entry["end"])
        lost = begun - ended
        size = self.path.stat().st_size if self.path.exists() else 0
        if compacted == size:
            ended = set()  # the killed run had compacted already: only lost rows remain
        self._compact(ended, lost, clean)
        if lost:
            with open(self.path, "a", encoding="utf-8") as table:
                for article_id in sorted(lost):
                    stored = self._store.load(article_id)
                    if stored is not None:
                        table.write("".join(row.model_dump_json() + "\n" for row in claim_rows(stored)))
        self._journal_path.unlink(missing_ok=True)

    def _compact(self, redone: set[str], lost: set[str], clean: int) -> None:
        """Rewrite the table without rows of ``redone`` articles written before ``clean``
        (their older version) and without any row of ``lost`` ones. The new size goes
        to the journal before the rename, so a repair knows whether this happened."""
        if not self.path.exists() or not (redone or lost):
            return
        fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=f".{self.path.name}.", suffix=".tmp")
        try:
            os.fchmod(fd, _file_mode())
            with open(self.path, "rb") as source, os.fdopen(fd, "wb") as target:
                offset = 0
                for raw in source:
                    at, offset = offset, offset + len(raw)
                    if not raw.endswith(b"\n"):
                        continue  # a row cut by a kill: its article is redone or repaired
                    article = row_article(raw)
                    if article in lost or (article in redone and at < clean):
                        continue
                    target.write(raw)
                target.flush()
                os.fsync(target.fileno())
                size = target.tell()
            with open(self._journal_path, "a", encoding="utf-8") as journal:
                journal.write(json.dumps({"compacted": size}) + "\n")
            os.replace(tmp, self.path)
        finally:
            Path(tmp).unlink(missing_ok=True)


def row_article(line: bytes) -> str | None:
    try:
        value = json.loads(line).get("article")
    except (ValueError, AttributeError):
        return None
    return value if isinstance(value, str) else None


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
