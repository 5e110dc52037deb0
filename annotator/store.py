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
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import IO, overload

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
    flagged: int = 0
    """Articles annotated with warnings (e.g. no claims in a text full of quotations)."""
    deferred: int = 0
    """Articles waiting for a provider batch: nothing written for them yet."""
    usage: Usage
    dialect: str | None = None
    max_tokens: int | None = None
    context_tokens: int | None = None
    timeout_seconds: float | None = None
    notes: list[str] = Field(default_factory=list)
    """What the backend's pre-flight found (server, dialect, budget)."""
    input_articles: int | None = None
    """Articles the input held, when ``--limit`` or ``--sample`` ran fewer."""
    load_failures: list[SkippedInput] = Field(default_factory=list)
    article_ids: list[str] | None = None
    """Every article of the run, done or taken unchanged (``None`` in runs recorded before
    it was kept): outputs in the folder that are not listed are left from an earlier run."""
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


def is_fresh(stored: ArticleResult | None, key: CacheKey, article_id: str) -> bool:
    """A stored result stands for the article under ``key``: clean, made under it, and
    the output of that very article (not another whose id shares the file name)."""
    return stored is not None and stored.ok and stored.cache_key == key and stored.article == article_id


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

    def open(self, part: Path | None = None) -> None:
        """Make the folder ready for a run, or raise :class:`OutputError` saying why not.

        A run that writes one ``part`` of a shared folder (:mod:`annotator.parts`) locks
        only that part, so shards run at once; it leaves other runs' temporary files in
        the shared folders alone (they may be live)."""
        self._created = not self.root.exists()
        for folder in (self.root, self.articles_dir, *([part] if part else [])):
            _make_folder(self.root, folder)
        self._lock = _acquire(part or self.root)
        owned = (part,) if part else (self.root, self.articles_dir, self.logs_dir)
        try:
            for folder in (self.root, self.articles_dir, self.logs_dir, *owned):
                if folder.is_dir():
                    _check_writable(folder)
                    if folder in owned:
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
        atomic_write(path, self.masked(text))

    def masked(self, text: str) -> str:
        """``text`` as it may be written here: no key, nothing key-shaped."""
        return mask(text, self._secret)

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
        return stored if is_fresh(stored, key, article_id) else None

    def write(self, result: ArticleResult, exchanges: list[Exchange]) -> None:
        """Write the article's result, and its exchange log when there is one."""
        if exchanges:
            lines = (e.model_dump_json() for e in exchanges)
            self._write(self.logs_dir / f"{file_stem(result.article)}.jsonl", "\n".join(lines) + "\n")
        self._write(self.article_path(result.article), result.model_dump_json(indent=2) + "\n")

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
                    handle.write(self.masked(row.model_dump_json()) + "\n")
                    count += 1
        return count

    def claims_table(self, path: Path | None = None) -> ClaimsTable:
        """``claims.jsonl`` (or ``path``) opened for a run to append to."""
        return ClaimsTable(self, path or self.root / CLAIMS_FILE)

    def write_run(self, record: RunRecord) -> None:
        self._write(self.root / RUN_FILE, record.model_dump_json(indent=2) + "\n")

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
        """Repair what a killed run left; files are created only once there is something
        to write (a run that finds nothing leaves the folder as it was)."""
        if self._journal_path.exists():
            self._repair()
        self._clean = self.path.stat().st_size if self.path.exists() else 0
        return self

    def begin(self, article_id: str, had_rows: bool) -> None:
        """An article is about to be redone; ``had_rows``: its earlier output had claims."""
        with self._lock:
            if had_rows:
                self._stale.add(article_id)
            self._note({"begin": article_id})

    def append(self, result: ArticleResult) -> None:
        """The article's output file is written: add its rows (one write, all together),
        masked like every file of the folder."""
        lines = "".join(self._store.masked(row.model_dump_json()) + "\n" for row in claim_rows(result))
        with self._lock:
            if lines:
                if self._table is None:
                    self.path.parent.mkdir(parents=True, exist_ok=True)
                    self._table = open(self.path, "a", encoding="utf-8")  # noqa: SIM115 - held for the run
                self._table.write(lines)
                self._table.flush()
            if result.article in self._stale:
                self._redone.add(result.article)
            self._note({"end": result.article})

    def close(self, touch: bool = False) -> None:
        """End of the run (finished or interrupted): drop stale rows, remove the journal;
        ``touch``: the run had articles, so the table exists even when it has no row.

        Only articles redone to the end lose their older rows; one interrupted before
        its output was rewritten keeps them, since its older output still stands."""
        with self._lock:
            if self._table is not None:
                self._table.flush()
                os.fsync(self._table.fileno())
                self._table.close()
                self._table = None
            elif touch and not self.path.exists():
                atomic_write(self.path, "")
            if self._redone:
                self._compact(self._redone, set(), self._clean)
            if self._journal is not None:
                self._journal.close()
                self._journal = None
            self._journal_path.unlink(missing_ok=True)

    def _note(self, entry: dict[str, object]) -> None:
        if self._journal is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._journal = open(self._journal_path, "a", encoding="utf-8")  # noqa: SIM115 - held for the run
            self._journal.write(json.dumps({"clean": self._clean}) + "\n")
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
                        table.write("".join(self._store.masked(r.model_dump_json()) + "\n" for r in claim_rows(stored)))
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
