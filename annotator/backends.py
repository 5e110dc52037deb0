"""The one interface the pipeline needs from a backend, and how a backend is chosen.

Two backends, one claim contract: the LLM backend and the offline (rule) backend both
return :class:`Extraction`; grounding, speaker entities, output and resume are the
pipeline's job, so the two can be compared claim for claim. The LLM backend is imported
only when it is chosen, so the offline path never loads openai or instructor.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import Protocol

from annotator.claims import ExtractedClaim
from annotator.llm.settings import LLMSettings
from annotator.models import Article, DroppedClaim, Exchange, Usage
from annotator.secrets import api_key


@dataclass
class Extraction:
    """What a backend found in one article, before entities and output."""

    claims: list[ExtractedClaim]
    dropped: list[DroppedClaim] = field(default_factory=list)
    usage: Usage = field(default_factory=Usage)
    chunks: int = 1
    exchanges: list[Exchange] = field(default_factory=list)


class ExtractionFailed(RuntimeError):
    """A backend gave up on an article; carries what it had already spent and logged."""

    def __init__(self, message: str, usage: Usage, exchanges: list[Exchange]) -> None:
        super().__init__(message)
        self.usage = usage
        self.exchanges = exchanges


class Backend(Protocol):
    """A source of claims. ``name``, ``model`` and ``prompt_version`` key the output cache."""

    name: str
    model: str
    prompt_version: str
    endpoint: str | None
    mode: str | None
    """How structured output is requested (LLM backends); ``None`` for others."""

    async def extract(self, article: Article) -> Extraction:
        """Claims found in ``article``; raising marks the article failed, not the run."""
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
        return OfflineAdapter()
    from annotator.llm.backend import LLMBackend
    from annotator.prompts import PromptSet

    return LLMBackend(config.llm, PromptSet(config.prompts))


class OfflineAdapter:
    """Presents the synchronous rule backend through the async :class:`Backend` interface."""

    name: str = "offline"
    endpoint: str | None = None
    mode: str | None = None

    def __init__(self) -> None:
        from annotator.offline.backend import OfflineBackend

        self._backend = OfflineBackend()
        self.model: str = self._backend.model
        self.prompt_version: str = self._backend.prompt_version

    async def extract(self, article: Article) -> Extraction:
        return Extraction(claims=self._backend.extract_claims(article))
