"""Batch jobs: submit a folder, follow its jobs, collect their answers into the output folder.

Everything a later collect needs is in ``OUT/batch/`` (never the key)::

    OUT/batch/state.json        settings, prompt version, every job (id, round, status,
                                files), tokens billed; rewritten atomically after each change
    OUT/batch/articles.jsonl    the articles as submitted (a collect needs no input folder)
    OUT/batch/requests.jsonl    one line per request sent: its key, its article, its job
    OUT/batch/answers/          the jobs' output and error files, as downloaded

So ``batch collect`` after a restart, days later, on another machine with the folder,
picks up where ``submit`` left off. Results land in ``OUT/articles/`` exactly as an
online run writes them (the same pipeline grounds and stores them), and
``claims.jsonl`` and ``run.json`` follow; re-asks go out as a follow-up batch (round 2,
3, ...) or, with ``reask="online"``, at once through the online transport.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import Enum
from pathlib import Path
from typing import Any, Final

import httpx
import openai
from pydantic import BaseModel, Field

from annotator.articles import ArticleSource, LoadFailure
from annotator.backends import BackendChoice, BackendConfig
from annotator.batch.replay import AnswerIndex, BatchBackend, BatchTransport, Deferral
from annotator.llm.backend import LLMBackend
from annotator.llm.pricing import Price, price_of
from annotator.llm.settings import Dialect, ExtractionMode, LLMSettings
from annotator.llm.transport import NO_KEY
from annotator.models import Article, Usage
from annotator.prompts import PromptSet
from annotator.runs import RunObserver, RunOptions, RunReport, execute
from annotator.secrets import api_key, mask, redact
from annotator.store import atomic_write

BATCH_DIR = "batch"
STATE_FILE = "state.json"
ENDPOINT: Final = "/v1/chat/completions"
MAX_REQUESTS_PER_JOB = 50_000
MAX_BYTES_PER_JOB = 190 * 1024 * 1024
"""OpenAI's limits are 50,000 requests and 200 MB per input file."""
TERMINAL = frozenset({"completed", "expired", "cancelled", "failed"})
FAILURES_KEPT = 100


class BatchError(RuntimeError):
    """A batch folder or request that cannot be used; the message says why."""


class ReaskMode(str, Enum):
    """Where re-asks (answers that did not ground) go: a follow-up batch, or online now."""

    batch = "batch"
    online = "online"


class Job(BaseModel):
    """One provider batch job and what became of it."""

    id: str
    round: int
    input_file: str
    requests: int
    status: str = "validating"
    output_file: str | None = None
    error_file: str | None = None
    completed_requests: int = 0
    failed_requests: int = 0
    created: str
    collected: bool = False
    errors: list[str] = Field(default_factory=list)


class BatchState(BaseModel):
    """``OUT/batch/state.json``: how the requests were made, and every job."""

    schema_version: int = 1
    settings: dict[str, Any]
    prompts: str | None = None
    prompt_version: str
    reask: ReaskMode = ReaskMode.batch
    price: tuple[float, float] | None = None
    jobs: list[Job] = Field(default_factory=list)
    billed_batch: Usage = Field(default_factory=Usage)
    """Tokens of every answer the collected jobs returned, at the batch price."""
    billed_online: Usage = Field(default_factory=Usage)
    """Tokens of re-asks sent online, at the list price."""

    def llm_settings(self) -> LLMSettings:
        values = dict(self.settings)
        values["mode"] = ExtractionMode(values["mode"])
        values["dialect"] = Dialect(values.get("dialect", Dialect.auto))
        return LLMSettings(**values)

    @property
    def rounds(self) -> int:
        return max((job.round for job in self.jobs), default=0)

    def cost(self) -> float | None:
        """Dollars spent so far (an estimate from list prices), ``None`` if unknown."""
        price = price_of(self.settings["model"], Price(*self.price) if self.price else None)
        if price is None:
            return None
        return price.cost(self.billed_batch, batch=True) + price.cost(self.billed_online)


@dataclass
class BatchReport:
    """What one submit, status or collect did and found."""

    state: BatchState
    submitted: list[Job] = field(default_factory=list)
    run: RunReport | None = None
    waiting: int = 0
    """Articles still waiting for a job that has not finished."""
    failed: list[tuple[str, str]] = field(default_factory=list)
    """Articles that failed this time, with the reason (expired, cancelled, ...)."""


class BatchFolder:
    """The ``OUT/batch/`` folder: state, articles, request map, answers."""

    def __init__(self, out: Path) -> None:
        self.out = out
        self.root = out / BATCH_DIR
        self.answers_dir = self.root / "answers"
        self.inputs_dir = self.root / "inputs"

    @property
    def state_path(self) -> Path:
        return self.root / STATE_FILE

    def read_state(self) -> BatchState | None:
        if not self.state_path.exists():
            return None
        try:
            return BatchState.model_validate_json(self.state_path.read_text(encoding="utf-8"))
        except ValueError as error:
            raise BatchError(f"{self.state_path}: unreadable batch state: {error}") from error

    def write_state(self, state: BatchState) -> None:
        atomic_write(self.state_path, state.model_dump_json(indent=2) + "\n")

    def articles(self) -> Iterator[Article]:
        """Every article submitted, once (an article resubmitted later keeps its latest copy)."""
        path = self.root / "articles.jsonl"
        if not path.exists():
            return
        latest: dict[str, int] = {}
        with open(path, "rb") as handle:
            offset = 0
            for raw in handle:
                latest[json.loads(raw)["id"]] = offset
                offset += len(raw)
        with open(path, "rb") as handle:
            for offset in sorted(latest.values()):
                handle.seek(offset)
                yield Article.model_validate_json(handle.readline())

    def add_articles(self, articles: list[Article]) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        with open(self.root / "articles.jsonl", "a", encoding="utf-8") as handle:
            handle.writelines(article.model_dump_json() + "\n" for article in articles)

    def requests(self) -> Iterator[dict[str, str]]:
        path = self.root / "requests.jsonl"
        if path.exists():
            with open(path, encoding="utf-8") as handle:
                for line in handle:
                    yield json.loads(line)

    def add_requests(self, lines: list[dict[str, str]]) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        with open(self.root / "requests.jsonl", "a", encoding="utf-8") as handle:
            handle.writelines(json.dumps(line) + "\n" for line in lines)


class _InputWriter:
    """Deferred requests into batch input files, a new file at each provider limit, and
    their articles into ``articles.jsonl``; a request two articles share goes once."""

    def __init__(self, folder: BatchFolder, round_: int, already: set[str]) -> None:
        self._folder = folder
        self._round = round_
        self._seen = set(already)
        self.files: list[tuple[Path, list[dict[str, str]]]] = []
        self._handle: Any = None
        self._bytes = 0

    def add(self, article: Article, deferrals: list[Deferral]) -> None:
        fresh = [d for d in deferrals if d.key not in self._seen]
        if not fresh:
            return
        self._folder.add_articles([article])
        for deferral in fresh:
            self._seen.add(deferral.key)
            line = json.dumps({"custom_id": deferral.key, "method": "POST", "url": ENDPOINT, "body": deferral.body})
            if self._handle is None or len(self.files[-1][1]) >= MAX_REQUESTS_PER_JOB or (
                self._bytes + len(line) > MAX_BYTES_PER_JOB
            ):
                self._next_file()
            self._handle.write(line + "\n")
            self._bytes += len(line) + 1
            self.files[-1][1].append({"key": deferral.key, "article": article.id})

    def _next_file(self) -> None:
        if self._handle is not None:
            self._handle.close()
        self._folder.inputs_dir.mkdir(parents=True, exist_ok=True)
        path = self._folder.inputs_dir / f"round-{self._round}-{len(self.files) + 1:03d}.jsonl"
        self._handle = open(path, "w", encoding="utf-8")  # noqa: SIM115 - closed at the next file or close()
        self._bytes = 0
        self.files.append((path, []))

    def close(self) -> None:
        if self._handle is not None:
            self._handle.close()
            self._handle = None


def _stored(settings: LLMSettings) -> dict[str, Any]:
    """The settings as ``state.json`` keeps them (enums by value)."""
    return dataclasses.asdict(settings) | {"mode": settings.mode.value, "dialect": settings.dialect.value}


ClientFactory = Callable[[LLMSettings], openai.AsyncOpenAI]


def default_client(settings: LLMSettings) -> openai.AsyncOpenAI:
    """The files and batches endpoints of the configured provider, with the SDK's retries."""
    return openai.AsyncOpenAI(api_key=api_key() or NO_KEY, base_url=settings.base_url, max_retries=3)


class Batches:
    """Submit, follow and collect batch jobs for one output folder."""

    def __init__(
        self,
        out: Path,
        *,
        client_factory: ClientFactory = default_client,
        observer: RunObserver | None = None,
        concurrency: int = 16,
    ) -> None:
        self.folder = BatchFolder(out)
        self.out = out
        self._client_factory = client_factory
        self._observer = observer
        self._concurrency = concurrency

    async def submit(
        self,
        source: Path,
        settings: LLMSettings,
        prompts: Path | None = None,
        reask: ReaskMode = ReaskMode.batch,
        price: Price | None = None,
    ) -> BatchReport:
        """Send one request per piece of every article of ``source`` not yet annotated
        in OUT nor already in a job, as batch jobs of round 1 (or the next round)."""
        prompt_set = PromptSet(prompts)
        state = self.folder.read_state()
        if state is None:
            state = BatchState(
                settings=_stored(settings),
                prompts=str(prompts) if prompts else None,
                prompt_version=prompt_set.version,
                reask=reask,
                price=(price.input, price.output) if price else None,
            )
        else:
            self._check_same(state, settings, prompt_set)
        report = BatchReport(state=state)
        round_ = max(1, state.rounds + (1 if state.jobs else 0))
        run, writer, watch = await self._replay(state, source, round_, online=False)
        report.run = run
        report.failed = watch.failed
        report.submitted = await self._send(state, writer, round_)
        return report

    async def status(self) -> BatchReport:
        """Every job's status, fetched from the provider (nothing is collected)."""
        state = self._state()
        async with self._client(state) as client:
            for job in state.jobs:
                if not job.collected:
                    _update(job, await client.batches.retrieve(job.id))
        self.folder.write_state(state)
        return BatchReport(state=state, waiting=sum(1 for j in state.jobs if j.status not in TERMINAL))

    async def collect(self) -> BatchReport:
        """Download what finished jobs returned, store every article whose answers are
        all in, send its re-asks (follow-up batch, or online), report the rest."""
        state = self._state()
        async with self._client(state) as client:
            for job in state.jobs:
                if job.collected:
                    continue
                _update(job, await client.batches.retrieve(job.id))
                if job.status in TERMINAL:
                    state.billed_batch = state.billed_batch + await self._download(client, job)
                    job.collected = True
                self.folder.write_state(state)
        round_ = state.rounds + 1
        run, writer, watch = await self._replay(state, None, round_, online=state.reask is ReaskMode.online)
        report = BatchReport(state=state, run=run, failed=watch.failed)
        report.submitted = await self._send(state, writer, round_)
        report.waiting = run.record.deferred
        self.folder.write_state(state)
        return report

    async def _replay(
        self, state: BatchState, source: Path | None, round_: int, online: bool
    ) -> tuple[RunReport, _InputWriter, _Watch]:
        """Run the online path over the articles against every answer collected so far;
        what it still needs goes to an input writer for round ``round_``."""
        answers, awaited = self._answers(state, resubmit=source is not None)
        settings = state.llm_settings()
        writer = _InputWriter(self.folder, round_, awaited)
        online_transport = httpx.AsyncHTTPTransport() if online else None
        client = httpx.AsyncClient(transport=BatchTransport(answers, awaited, online_transport))
        prompts = PromptSet(Path(state.prompts) if state.prompts else None)
        backend = BatchBackend(LLMBackend(settings, prompts, http_client=client), writer.add)
        config = BackendConfig(choice=BackendChoice.llm, llm=settings)
        items = (
            _masked(ArticleSource(source).items(exclude=[self.out])) if source is not None else self.folder.articles()
        )
        options = RunOptions(out=self.out, concurrency=self._concurrency)
        watch = _Watch(self._observer)
        try:
            run = await execute(items, config, options, watch, backend=backend)
        finally:
            writer.close()
            await client.aclose()
        state.billed_online = state.billed_online + backend.spent.online
        return run, writer, watch

    async def _send(self, state: BatchState, writer: _InputWriter, round_: int) -> list[Job]:
        """Upload each input file and create its job; the state is saved after each."""
        jobs: list[Job] = []
        if not writer.files:
            return jobs
        async with self._client(state) as client:
            for path, lines in writer.files:
                uploaded = await client.files.create(file=(path.name, path.read_bytes(), "application/jsonl"),
                                                     purpose="batch")
                created = await client.batches.create(
                    input_file_id=uploaded.id, endpoint=ENDPOINT, completion_window="24h",
                    metadata={"annotator": "annotator", "round": str(round_)},
                )
                job = Job(id=created.id, round=round_, input_file=uploaded.id, requests=len(lines),
                          created=datetime.now(UTC).isoformat())
                _update(job, created)
                self.folder.add_requests([line | {"job": job.id} for line in lines])
                state.jobs.append(job)
                self.folder.write_state(state)
                path.unlink()  # the provider has it; the request map says what was in it
                jobs.append(job)
        return jobs

    async def _download(self, client: openai.AsyncOpenAI, job: Job) -> Usage:
        """Save the job's output and error files; the tokens its answers billed."""
        billed = Usage()
        self.folder.answers_dir.mkdir(parents=True, exist_ok=True)
        for kind, file_id in (("output", job.output_file), ("errors", job.error_file)):
            if not file_id:
                continue
            content = await client.files.content(file_id)
            path = self.folder.answers_dir / f"{job.id}.{kind}.jsonl"
            atomic_write(path, mask(content.text))
            if kind == "output":
                for raw in path.read_text(encoding="utf-8").splitlines():
                    body = (json.loads(raw).get("response") or {}).get("body") or {}
                    usage = body.get("usage") or {} if isinstance(body, dict) else {}
                    billed = billed + Usage(
                        requests=1,
                        prompt_tokens=int(usage.get("prompt_tokens") or 0),
                        completion_tokens=int(usage.get("completion_tokens") or 0),
                        total_tokens=int(usage.get("total_tokens") or 0),
                    )
        return billed

    def _answers(self, state: BatchState, resubmit: bool) -> tuple[AnswerIndex, set[str]]:
        """Answers of collected jobs, requests those jobs never answered (failed, with
        the job's reason, unless they are to be sent again), and the keys still awaited
        from jobs not yet finished."""
        answers = AnswerIndex()
        collected = {job.id: job for job in state.jobs if job.collected}
        for job in collected.values():
            for kind in ("output", "errors"):
                path = self.folder.answers_dir / f"{job.id}.{kind}.jsonl"
                if path.exists():
                    answers.add_file(path, job.id)
        awaited = {line["key"] for line in self.folder.requests() if line["job"] not in collected}
        for line in self.folder.requests():
            done = collected.get(line["job"])
            if not resubmit and done is not None and line["key"] not in answers and line["key"] not in awaited:
                reason = answers.not_run.get(line["key"]) or "; ".join(done.errors) or "no answer in its output"
                answers.fail([line["key"]], f"{line['key']} in batch {done.id} ({done.status}): {reason}")
        return answers, awaited

    def _state(self) -> BatchState:
        state = self.folder.read_state()
        if state is None:
            raise BatchError(f"{self.folder.state_path}: no batch here (run `annotator batch submit` first)")
        return state

    def _check_same(self, state: BatchState, settings: LLMSettings, prompts: PromptSet) -> None:
        given = _stored(settings)
        changed = sorted(k for k in given if state.settings.get(k) != given[k])
        if changed or prompts.version != state.prompt_version:
            what = ", ".join(changed) + (" prompt templates" if prompts.version != state.prompt_version else "")
            raise BatchError(
                f"{self.out}: a batch with other settings ({what.strip(', ')}) is already here; "
                "submit to a new --out, or with the same options"
            )

    def _client(self, state: BatchState) -> _ClientContext:
        return _ClientContext(self._client_factory(state.llm_settings()))


class _ClientContext:
    def __init__(self, client: openai.AsyncOpenAI) -> None:
        self._client = client

    async def __aenter__(self) -> openai.AsyncOpenAI:
        return self._client

    async def __aexit__(self, *exc: object) -> None:
        await self._client.close()


def _update(job: Job, batch: Any) -> None:
    """Copy what the provider says of the job into its record."""
    job.status = batch.status
    job.output_file = batch.output_file_id or job.output_file
    job.error_file = batch.error_file_id or job.error_file
    counts = batch.request_counts
    if counts is not None:
        job.completed_requests, job.failed_requests = counts.completed, counts.failed
    errors = getattr(batch.errors, "data", None) or []
    job.errors = [redact(f"{e.code}: {e.message}") for e in errors] or job.errors


def _masked(items: Iterator[Article | LoadFailure]) -> Iterator[Article | LoadFailure]:
    """Articles with the key and anything key-shaped masked (same length, so offsets
    hold) before their requests are built: the batch's files (articles, inputs,
    answers) are written in OUT, where no key may go, and a collect must rebuild the
    very requests that were submitted from what OUT holds."""
    for item in items:
        if isinstance(item, Article):
            item = item.model_copy(update={"text": mask(item.text), "title": mask(item.title) if item.title else None})
        yield item


class _Watch:
    """Forwards a run to the caller's observer and keeps its failures (at most
    ``FAILURES_KEPT``, with their first error) for the report."""

    def __init__(self, observer: RunObserver | None) -> None:
        self._observer = observer
        self.failed: list[tuple[str, str]] = []
        self.failures = 0

    def started(self, backend: Any, automatic: bool, articles: int | None) -> None:
        if self._observer is not None:
            self._observer.started(backend, automatic, articles)

    def skipped(self, failure: Any) -> None:
        if self._observer is not None:
            self._observer.skipped(failure)

    def noted(self, message: str) -> None:
        if self._observer is not None:
            self._observer.noted(message)

    def article_done(self, result: Any, cached: bool, totals: Any) -> None:
        if result.errors and not cached:
            self.failures += 1
            if len(self.failed) < FAILURES_KEPT:
                self.failed.append((result.article, result.errors[0]))
        if self._observer is not None:
            self._observer.article_done(result, cached, totals)
