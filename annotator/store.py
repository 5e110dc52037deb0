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

A run opens the folder before it sends anything (:meth:`Store.open`): the folder must be
creatable and writable, one run at a time holds it (a lock naming its holder), and
temporary files an earlier run left when it was killed are removed. Every file written
here passes through :func:`annotator.secrets.mask` on its way out, so neither the key
nor anything key-shaped reaches the folder, whoever put it in the text (an endpoint that
echoes it, an article that contains it).
"""

from __future__ import annotations

import fcntl
import functools
import hashlib
import json
import os
import re
import socket
import tempfile
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType

from pydantic import BaseModel, Field, ValidationError

from annotator.models import (
    RESTATEMENT_BY_DESCRIPTION,
    SCHEMA_VERSION,
    ArticleResult,
    CacheKey,
    ClaimLabels,
    Exchange,
    SpeakerType,
    Unverified,
    Usage,
)
from annotator.secrets import mask

_SAFE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,150}$")
_HASHED_STEM = re.compile(r"-[0-9a-f]{10}$")
"""How a hashed file stem ends; an id that ends so is hashed too, so no two ids share a file."""
_ORPHAN = re.compile(r"^\..+\.jsonl?\.[A-Za-z0-9_]+\.tmp$")
"""A temporary file of :func:`atomic_write` (``.NAME.XXXXXXXX.tmp``)."""
LOCK_FILE = ".annotator.lock"
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
    unverified: Unverified | None = None
    restatement_by: str | None = Field(default=None, description=RESTATEMENT_BY_DESCRIPTION)


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
    article_ids: list[str] | None = None
    """Every article of the run, done or taken unchanged (``None`` in runs recorded before
    it was kept): outputs in the folder that are not listed are left from an earlier run."""


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
    """A file name for an id, one per id: a safe id is its own name; any other id (and any
    id shaped like a hashed name, so that ``a_b-<hash of "a/b">`` cannot take the file of
    ``a/b``) gets a readable prefix plus a hash of the id."""
    if _SAFE_ID.match(article_id) and not _HASHED_STEM.search(article_id):
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


class OutputError(ValueError):
    """The output folder cannot be used: a file is in the way, it is read-only, or another
    run holds it. Raised by :meth:`Store.open` before any article is sent."""


class Store:
    """Reads and writes one output folder.

    Reading needs nothing; a run that writes opens the store first (``with store:`` or
    :meth:`open`) and closes it at the end, which releases its lock.
    """

    def __init__(self, root: Path, *, secret: str | None = None) -> None:
        self.root = root
        self.articles_dir = root / ARTICLES_DIR
        self.logs_dir = root / LOGS_DIR
        self._secret = secret
        self._lock: int | None = None
        self._created = False

    def open(self) -> None:
        """Make the folder ready for a run, or raise :class:`OutputError` saying why not."""
        self._created = not self.root.exists()
        for folder in (self.root, self.articles_dir):
            _make_folder(self.root, folder)
        self._lock = _acquire(self.root)
        try:
            for folder in (self.root, self.articles_dir, self.logs_dir):
                if folder.is_dir():
                    _check_writable(folder)
                    _remove_orphans(folder)
        except BaseException:
            self.close()
            raise

    def abandon(self) -> None:
        """Undo :meth:`open` for a run that wrote nothing: a folder it created is removed
        again (a run that found no article leaves no output folder behind)."""
        if not self._created or self._lock is None:
            return
        leftovers = {p.name for p in self.root.iterdir()} - {LOCK_FILE, ARTICLES_DIR}
        if leftovers or any(self.articles_dir.iterdir()):
            return
        self.articles_dir.rmdir()
        (self.root / LOCK_FILE).unlink()
        self.close()
        self.root.rmdir()

    def close(self) -> None:
        """Release the folder's lock (a killed process releases it too: it is an flock)."""
        if self._lock is not None:
            os.close(self._lock)
            self._lock = None

    def __enter__(self) -> Store:
        self.open()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.close()

    def _write(self, path: Path, text: str) -> None:
        atomic_write(path, mask(text, self._secret))

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
        if stored is None or not stored.ok or stored.cache_key != key or stored.article != article_id:
            return None
        return stored

    def write(self, result: ArticleResult, exchanges: list[Exchange]) -> None:
        """Write the article's result, and its exchange log when there is one."""
        if exchanges:
            lines = (e.model_dump_json() for e in exchanges)
            self._write(self.logs_dir / f"{file_stem(result.article)}.jsonl", "\n".join(lines) + "\n")
        self._write(self.article_path(result.article), result.model_dump_json(indent=2) + "\n")

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
        self._write(self.root / CLAIMS_FILE, "".join(f"{row}\n" for row in rows))
        return len(rows)

    def write_run(self, record: RunRecord) -> None:
        self._write(self.root / RUN_FILE, record.model_dump_json(indent=2) + "\n")

    def read_run(self) -> RunRecord | None:
        """``run.json``, or ``None`` when the folder has none (or it is unreadable)."""
        try:
            return RunRecord.model_validate_json((self.root / RUN_FILE).read_text(encoding="utf-8"))
        except (OSError, ValidationError, ValueError):
            return None


def _make_folder(root: Path, folder: Path) -> None:
    """Create ``folder`` (and its parents), naming the file that stands in the way."""
    for ancestor in (folder, *folder.parents):
        if ancestor.exists() and not ancestor.is_dir():
            where = "is a file" if ancestor == root else f"lies under {ancestor}, which is a file"
            raise OutputError(f"output folder {root} {where}, not a folder; choose another --out")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise OutputError(
            f"output folder {root} is not writable: cannot create {folder} ({error.strerror or error})"
        ) from error


def _check_writable(folder: Path) -> None:
    """Write and remove a probe: permission bits do not tell (root, ACLs, read-only mounts)."""
    try:
        fd, probe = tempfile.mkstemp(dir=folder, prefix=".probe.", suffix=".tmp")
        os.close(fd)
        os.unlink(probe)
    except OSError as error:
        raise OutputError(f"output folder {folder} is not writable: {error.strerror or error}") from error


def _acquire(root: Path) -> int:
    """Hold ``root``'s lock for this process, or say who holds it."""
    path = root / LOCK_FILE
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, _file_mode())
    except OSError as error:
        raise OutputError(f"output folder {root} is not writable: {error.strerror or error}") from error
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        holder = _holder(fd)
        os.close(fd)
        raise OutputError(
            f"output folder {root} is in use by another annotator run ({holder}); "
            "wait for it to finish or choose another --out"
        ) from None
    me = {"pid": os.getpid(), "host": socket.gethostname(), "started": datetime.now(UTC).isoformat()}
    os.ftruncate(fd, 0)
    os.pwrite(fd, (json.dumps(me) + "\n").encode(), 0)
    return fd


def _holder(fd: int) -> str:
    try:
        info = json.loads(os.pread(fd, 4096, 0) or b"{}")
        return f"pid {info['pid']} on {info['host']}, started {info['started']}"
    except (OSError, ValueError, KeyError, TypeError):
        return "holder unknown"


def _remove_orphans(folder: Path) -> None:
    """Temporary files left by a killed run (SIGKILL skips every cleanup). Safe: the
    lock is held, so no live run is writing them."""
    for path in folder.iterdir():
        if _ORPHAN.match(path.name) and path.is_file():
            path.unlink(missing_ok=True)


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
                unverified=claim.unverified,
                restatement_by=claim.restatement_by,
                **claim.labels(),
            )
        )
    return rows
