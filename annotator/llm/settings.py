"""What shapes the LLM backend's requests, read from options and the environment.

Kept free of openai and instructor imports: the command line builds these before it
knows whether the LLM backend will run at all.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from enum import Enum
from typing import Any

DEFAULT_MODEL = "gpt-4o-mini"
MODEL_VARIABLE = "ANNOTATOR_MODEL"
BASE_URL_VARIABLE = "OPENAI_BASE_URL"


class ExtractionMode(str, Enum):
    """How structured output is requested: servers without tool calling use JSON schema."""

    tools = "tools"
    json_schema = "json_schema"
    json = "json"


@dataclass(frozen=True)
class LLMSettings:
    """Everything that shapes requests. The key is not here: see :mod:`annotator.secrets`."""

    model: str = DEFAULT_MODEL
    base_url: str | None = None
    mode: ExtractionMode = ExtractionMode.tools
    temperature: float = 0.0
    seed: int | None = 42
    max_reasks: int = 2
    transport_attempts: int = 6
    timeout_seconds: float = 120.0
    max_article_tokens: int = 6000
    requests_per_minute: float | None = None
    """The run's pace (``--rpm``); ``None``: learned from the server's rate-limit headers."""
    tokens_per_minute: float | None = None
    """Tokens per minute (``--tpm``) as rate limits count them; ``None``: learned."""

    @classmethod
    def from_options(cls, model: str | None, base_url: str | None, **overrides: Any) -> LLMSettings:
        """CLI options first, then ``ANNOTATOR_MODEL`` / ``OPENAI_BASE_URL``, then defaults."""
        return cls(
            model=model or os.environ.get(MODEL_VARIABLE) or DEFAULT_MODEL,
            base_url=base_url or os.environ.get(BASE_URL_VARIABLE) or None,
            **overrides,
        )
