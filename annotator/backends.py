"""The one interface the pipeline needs from a backend, and how a backend is chosen.

Two backends, one claim contract: the LLM backend and the offline (rule) backend both
return :class:`Extraction`; grounding, speaker entities, output and resume are the
pipeline's job, so the two can be compared claim for claim. The LLM backend is imported
only when it is chosen, so the offline path never loads openai or instructor.
"""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import Protocol

from annotator.claims import ExtractedClaim
from annotator.llm.settings import LLMSettings
from annotator.models import Article, ArticleResult, DroppedClaim, Exchange, Usage
from annotator.secrets import api_key


@dataclass
class Extraction:
    """What a backend found in one article, before entities and output."""

    claims: list[ExtractedClaim]
    dropped: list[DroppedClaim] = field(default_factory=list)
    usage: Usage = field(default_factory=Usage)
    chunks: int = 1
    exchanges: list[Exchange] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    """What the user should check although the article succeeded (an answer cut short)."""
    result: ArticleResult | None = None
    """The finished result, when the backend built it with ``pipeline.build_result``
    itself (in a worker process, so that grounding and speakers use every core too)."""


class ExtractionFailed(RuntimeError):
    """A backend gave up on an article; carries what it had already spent and logged."""

    def __init__(self, message: str, usage: Usage, exchanges: list[Exchange]) -> None:
        super().__init__(message)
        self.usage = usage
        self.exchanges = exchanges


class BackendUnavailable(RuntimeError):
    """The backend cannot serve this run at all (a dead endpoint, a refused key, a model
    the endpoint does not serve): the run stops before any article is sent."""


class ExtractionDeferred(RuntimeError):
    """The article's answer is not here yet (it waits in a provider batch): the run
    writes nothing for it and counts it as deferred; a later run finishes it."""


class Maker(Protocol):
    """Who made a result: what keys the output cache."""

    name: str
    model: str
    prompt_version: str


class Backend(Maker, Protocol):
    """A source of claims. ``name``, ``model`` and ``prompt_version`` key the output cache."""
    endpoint: str | None

    @property
    def mode(self) -> str | None:
        """How structured output is requested (LLM backends); ``None`` for others."""
        ...

    async def prepare(self) -> list[str]:
        """Called once before the first article that needs work: checks what the run
        depends on and returns notes for the user. Raising stops the run before anything
        is sent (an LLM endpoint that cannot serve it)."""
        ...

    async def extract(self, article: Article) -> Extraction:
        """Claims found in ``article``; raising marks the article failed, not the run."""
        ...

    async def aclose(self) -> None:
        """The run is over (or interrupted): release connections, stop worker processes."""
        ...


class BackendChoice(str, Enum):
    """``auto`` uses the LLM when an endpoint or key is configured, else offline."""

    auto = "auto"
    llm = "llm"
    offline = "offline"


@dataclass(frozen=True)
class BackendConfig:
    """Which backend to run and, for the LLM, how: everything a run needs to build one."""

    choice: BackendChoice = BackendChoice.auto
    llm: LLMSettings = field(default_factory=LLMSettings)
    prompts: Path | None = None
    """A folder of prompt templates; ``None``: the bundled set."""
    workers: int | None = None
    """Processes for the offline backend; ``None``: the cores available; 0: none (the
    backend runs in a thread of this process, still off the event loop)."""

    def resolve(self) -> BackendChoice:
        """Decide ``auto``: the LLM when a base URL (option or environment) or a key is set."""
        if self.choice is not BackendChoice.auto:
            return self.choice
        if self.llm.base_url or api_key():
            return BackendChoice.llm
        return BackendChoice.offline


def build_backend(config: BackendConfig) -> Backend:
    """The backend ``config`` asks for. Raises ``PromptError`` for a bad template folder."""
    if config.resolve() is BackendChoice.offline:
        return OfflineAdapter(config.workers)
    from annotator.llm.backend import LLMBackend
    from annotator.prompts import PromptSet

    return LLMBackend(config.llm, PromptSet(config.prompts))


class OfflineAdapter:
    """Presents the synchronous rule backend through the async :class:`Backend` interface,
    off the event loop: in worker processes (:mod:`annotator.workers`), or with
    ``workers=0`` in a thread of this process."""

    name: str = "offline"
    endpoint: str | None = None
    mode: str | None = None

    def __init__(self, workers: int | None = None) -> None:
        from annotator.offline.backend import OfflineBackend
        from annotator.workers import WorkerPool, available_cores

        self._backend = OfflineBackend()
        self.model: str = self._backend.model
        self.prompt_version: str = self._backend.prompt_version
        self.workers = available_cores() if workers is None else max(0, workers)
        self._pool = WorkerPool(self.workers) if self.workers else None
        self._thread: ThreadPoolExecutor | None = None
        """workers=0: one thread, since the backend's taggers are not safe to share."""

    async def prepare(self) -> list[str]:
        return []

    async def extract(self, article: Article) -> Extraction:
        if self._pool is not None:
            return await self._pool.extract(article)
        self._thread = self._thread or ThreadPoolExecutor(1, thread_name_prefix="annotator-offline")
        future = self._thread.submit(self._backend.extract_claims, article)
        return Extraction(claims=await asyncio.wrap_future(future))

    async def aclose(self) -> None:
        if self._pool is not None:
            self._pool.close()
        if self._thread is not None:
            self._thread.shutdown(wait=False, cancel_futures=True)
            self._thread = None
