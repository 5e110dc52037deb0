"""The one interface the pipeline needs from a backend, and how a backend is chosen.

Two backends, one claim model: the LLM backend and the offline (rule) backend both
return :class:`Extraction`; grounding, speaker entities, output and resume are the
pipeline's job, so the two can be compared claim for claim.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from enum import Enum
from typing import Protocol

from annotator.extraction import ExtractedClaim
from annotator.models import Article, DroppedClaim, Usage


@dataclass
class Exchange:
    """One HTTP round trip with the model, kept for the per-article log (never the key)."""

    request: dict[str, object]
    response: dict[str, object] | None
    error: str | None = None


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
    """A source of claims. ``model`` and ``prompt_version`` key the output cache."""

    name: str
    model: str
    prompt_version: str
    endpoint: str | None

    async def extract(self, article: Article) -> Extraction:
        """Claims found in ``article``; raising marks the article failed, not the run."""
        ...


class BackendChoice(str, Enum):
    """``auto`` uses the LLM when an endpoint or key is configured, else offline."""

    auto = "auto"
    llm = "llm"
    offline = "offline"


def resolve_choice(choice: BackendChoice, base_url: str | None) -> BackendChoice:
    """Decide ``auto`` from explicit options first, then the environment."""
    if choice is not BackendChoice.auto:
        return choice
    if base_url or os.environ.get("OPENAI_BASE_URL") or os.environ.get("OPENAI_API_KEY"):
        return BackendChoice.llm
    return BackendChoice.offline


class OfflineAdapter:
    """Presents the synchronous rule backend through the async :class:`Backend` interface."""

    name = "offline"
    endpoint = None

    def __init__(self) -> None:
        from annotator.offline.backend import OfflineBackend

        self._backend = OfflineBackend()
        self.model = self._backend.model
        self.prompt_version = self._backend.prompt_version

    async def extract(self, article: Article) -> Extraction:
        return Extraction(claims=self._backend.extract_claims(article))
