"""The online path, answered from a batch: how requests are captured and answers replayed.

The batch API must send exactly what the online path sends, and treat answers exactly as
the online path treats them. So nothing here builds a request or parses an answer: the
real :class:`~annotator.llm.backend.LLMBackend` runs, with an HTTP transport
(:class:`BatchTransport`) in place of the network. Each chat request the backend sends
is looked up by its key (a hash of its JSON body):

- answered by a collected batch: the recorded answer is returned, and the backend
  grounds it, re-asks or salvages as it would online;
- not answered yet: the request is *deferred* (recorded for the next batch) and the
  article stops here (:class:`~annotator.backends.ExtractionDeferred`): nothing is
  written for it until a later collect has its answer;
- or, with re-asks online, sent to the endpoint through the online transport itself.

Submitting is the same replay with no answers at all: every piece's first request is
deferred, and those are the batch. A re-ask is a request the online path builds from an
answer, so it only appears once that answer is in; it is deferred to a follow-up batch
(or sent online). The backend is deterministic given its answers, so the same article
replayed days later sends the same requests, with the same keys.
"""

from __future__ import annotations

import contextvars
import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from annotator.backends import Extraction, ExtractionDeferred, ExtractionFailed
from annotator.llm.backend import LLMBackend
from annotator.llm.transport import Meter
from annotator.models import Article, Usage

CHAT_PATH = "/chat/completions"


def request_key(body: dict[str, Any]) -> str:
    """The request's identity: a hash of its JSON body, key order aside. Used as the
    batch line's ``custom_id`` (identical requests of two articles share one answer)."""
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return "req-" + hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:40]


class BatchRequestFailed(RuntimeError):
    """The batch did not answer this request: expired, cancelled, failed, or answered
    with an error status. The article fails with this message (a rerun redoes it)."""


@dataclass(frozen=True)
class Answer:
    """Where one request's answer sits: a line of a downloaded output or error file."""

    path: Path
    offset: int


class AnswerIndex:
    """Every answer collected so far, by request key, kept as file offsets: the answers
    themselves stay on disk (a corpus of answers does not fit in memory)."""

    def __init__(self) -> None:
        self._where: dict[str, Answer] = {}
        self._failed: dict[str, str] = {}
        self.not_run: dict[str, str] = {}
        """Requests a job listed as never run (expired, cancelled), with its reason: not
        answers, so a new submit sends them again."""

    def add_file(self, path: Path, job: str) -> None:
        """Index a downloaded output or error file of batch ``job``."""
        with open(path, "rb") as handle:
            offset = 0
            for raw in handle:
                at, offset = offset, offset + len(raw)
                try:
                    line = json.loads(raw)
                except ValueError:
                    continue
                key = line.get("custom_id")
                if not isinstance(key, str) or key in self._where:
                    continue
                error = line.get("error")
                if line.get("response") is None and isinstance(error, dict):
                    self.not_run[key] = f"batch {job}: request not run: {error.get('code')}: {error.get('message')}"
                else:
                    self._where[key] = Answer(path, at)

    def fail(self, keys: Iterable[str], reason: str) -> None:
        """Requests the batch will never answer (its job failed, expired or was cancelled
        before they ran)."""
        for key in keys:
            if key not in self._where:
                self._failed.setdefault(key, reason)

    def __contains__(self, key: str) -> bool:
        return key in self._where or key in self._failed

    def response(self, key: str, request: httpx.Request) -> tuple[httpx.Response, Usage]:
        """The answer as the endpoint would have sent it, and the tokens it billed."""
        if key in self._failed:
            raise BatchRequestFailed(self._failed[key])
        answer = self._where[key]
        with open(answer.path, "rb") as handle:
            handle.seek(answer.offset)
            line = json.loads(handle.readline())
        response, error = line.get("response") or {}, line.get("error")
        status, body = response.get("status_code"), response.get("body")
        if status == 200 and isinstance(body, dict):
            return httpx.Response(200, json=body, request=request), _usage(body)
        if error:
            raise BatchRequestFailed(f"batch request {key} not run: {error.get('code')}: {error.get('message')}")
        detail = body.get("error", body) if isinstance(body, dict) else body
        raise BatchRequestFailed(f"batch request {key} answered {status}: {json.dumps(detail)[:500]}")


def _usage(body: dict[str, Any]) -> Usage:
    usage = body.get("usage") or {}
    return Usage(
        requests=1,
        prompt_tokens=int(usage.get("prompt_tokens") or 0),
        completion_tokens=int(usage.get("completion_tokens") or 0),
        total_tokens=int(usage.get("total_tokens") or 0),
    )


@dataclass
class Deferral:
    """One request the batch has not answered: its key and its body, as sent."""

    key: str
    body: dict[str, Any]


@dataclass
class _ArticleTrace:
    """What one article's replay needed and spent, by the source of each answer."""

    deferred: list[Deferral] = field(default_factory=list)
    batch: Usage = field(default_factory=Usage)
    online: Usage = field(default_factory=Usage)
    sent_online: dict[str, tuple[int, list[tuple[str, str]], bytes]] = field(default_factory=dict)
    """Online answers by key, so replaying the article again does not pay twice."""


_trace: contextvars.ContextVar[_ArticleTrace] = contextvars.ContextVar("annotator_batch_trace")


class _Deferred(Exception):
    """A signal carried through the SDK to the batch backend; never reaches a user."""



class BatchTransport(httpx.AsyncBaseTransport):
    """Answers chat requests from an :class:`AnswerIndex`; defers what it cannot answer,
    or, given an ``online`` transport, sends it to the endpoint when it is a request no
    batch was asked (a re-ask): a request already in a batch (``awaited``) waits for it.
    Traced per article through a context variable, so articles replayed concurrently
    keep their own account."""

    def __init__(
        self,
        answers: AnswerIndex,
        awaited: set[str] | None = None,
        online: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self._answers = answers
        self._awaited = awaited or set()
        self._online = online

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        trace = _trace.get()
        if not request.url.path.endswith(CHAT_PATH):
            raise RuntimeError(f"the batch replay only answers chat requests, not {request.url.path}")
        body = json.loads(request.content)
        key = request_key(body)
        if key in self._answers:
            response, usage = self._answers.response(key, request)
            trace.batch = trace.batch + usage
            return response
        if key not in trace.sent_online and self._online is not None and key not in self._awaited:
            sent = await self._online.handle_async_request(request)
            content = await sent.aread()
            trace.sent_online[key] = (sent.status_code, list(sent.headers.multi_items()), content)
        if key in trace.sent_online:  # sent once, answered again from here when replayed
            status, headers, content = trace.sent_online[key]
            if status == 200:
                trace.online = trace.online + _usage(json.loads(content))
            return httpx.Response(status, headers=headers, content=content, request=request)
        trace.deferred.append(Deferral(key, body))
        raise _Deferred(key)

    async def aclose(self) -> None:
        if self._online is not None:
            await self._online.aclose()


def _batch_failure(error: BaseException) -> BatchRequestFailed | None:
    """The batch's own reason, under the SDK's connection error that carried it."""
    seen: BaseException | None = error
    while seen is not None:
        if isinstance(seen, BatchRequestFailed):
            return seen
        seen = seen.__cause__
    return None


@dataclass
class Spent:
    """Tokens answered by batches and by online re-asks, over every article replayed."""

    batch: Usage = field(default_factory=Usage)
    online: Usage = field(default_factory=Usage)


class BatchBackend:
    """The LLM backend replayed against batch answers (see the module docstring).

    ``on_deferred(article, deferrals)`` receives every request an article still needs;
    the run then writes nothing for that article. An article whose pieces all have
    their answers is extracted by the backend's own ``extract`` (so pieces, re-asks and
    merging are the online path's), and grounded and stored by the pipeline as any.
    """

    name = "llm"

    def __init__(self, backend: LLMBackend, on_deferred: Any) -> None:
        self._backend = backend
        self._on_deferred = on_deferred
        self.model = backend.model
        self.prompt_version = backend.prompt_version
        self.endpoint = backend.endpoint
        self.mode = backend.mode
        self.spent = Spent()

    async def prepare(self) -> list[str]:
        """No pre-flight: the requests wait in provider batches, asked of no live server."""
        return []

    async def extract(self, article: Article) -> Extraction:
        trace = _ArticleTrace()
        token = _trace.set(trace)
        try:
            pieces = self._backend.pieces(article)
            for number, piece in enumerate(pieces, 1):  # every piece's next request, in one round
                try:
                    await self._backend.extract_piece(article, piece, number, len(pieces), Meter())
                except Exception:  # noqa: BLE001 - a deferral, or a failure extract() reports
                    continue
            if trace.deferred:
                self._on_deferred(article, trace.deferred)
                raise ExtractionDeferred(f"{article.id}: {len(trace.deferred)} requests wait for a batch")
            trace.batch = trace.online = Usage()  # counted once, by the extraction itself
            try:
                return await self._backend.extract(article)
            except ExtractionFailed as error:
                if trace.deferred:  # pragma: no cover - the probes above saw every request
                    self._on_deferred(article, trace.deferred)
                    raise ExtractionDeferred(article.id) from error
                failed = _batch_failure(error)
                if failed is not None:
                    raise ExtractionFailed(str(failed), error.usage, error.exchanges) from failed
                raise
        finally:
            self.spent.batch = self.spent.batch + trace.batch
            self.spent.online = self.spent.online + trace.online
            _trace.reset(token)

    async def aclose(self) -> None:
        await self._backend.aclose()
