"""What shapes the LLM backend's requests, read from options and the environment.

Kept free of openai and instructor imports: the command line builds these before it
knows whether the LLM backend will run at all.
"""

from __future__ import annotations

import ipaddress
import os
from dataclasses import dataclass
from enum import Enum
from typing import Any
from urllib.parse import urlsplit

DEFAULT_MODEL = "gpt-4o-mini"
MODEL_VARIABLE = "ANNOTATOR_MODEL"
BASE_URL_VARIABLE = "OPENAI_BASE_URL"
DEFAULT_MAX_TOKENS = 4096
"""Answer tokens asked for on every request (at most a quarter of the context): some 25
claims. Without it a server's own default decides: llama.cpp's runs to the end of the
context, which a looping small model fills (measured: 6,187 tokens for one article)."""
REMOTE_TIMEOUT = 120.0
LOCAL_TIMEOUT = 600.0
"""A 1.5B model on two CPU cores needs 1-4 minutes for one article's answer."""
REMOTE_CONTEXT = 128_000
LOCAL_CONTEXT = 8192
"""What a local server is assumed to hold when it cannot be asked (llama-cpp-python);
the first answer that says otherwise (``context_length_exceeded``) corrects it."""


class ExtractionMode(str, Enum):
    """How structured output is requested.

    ``auto`` is ``tools`` for a remote API and ``json_schema`` for a local server, whose
    schema grammar costs no prompt tokens (its chat template renders a tool schema into
    the prompt: 787 tokens measured on llama-cpp-python).
    """

    auto = "auto"
    tools = "tools"
    json_schema = "json_schema"
    json = "json"


class Dialect(str, Enum):
    """How a server spells structured output (and what else it accepts).

    * ``openai``: ``response_format: {type: json_schema, json_schema: {...}}`` (OpenAI,
      vLLM, most hosted gateways).
    * ``llamacpp``: ``response_format: {type: json_object, schema: {...}}`` (llama.cpp's
      ``llama-server`` and llama-cpp-python, which answers ``json_schema`` with a 500).
    * ``ollama``: Ollama's own ``/api/chat`` with ``format`` and ``options.num_ctx`` (its
      OpenAI-compatible route cannot set the context, and Ollama silently cuts a prompt
      longer than it).
    * ``auto``: asked of the server before the run (``GET /models``, ``/api/version``).
    """

    auto = "auto"
    openai = "openai"
    llamacpp = "llamacpp"
    ollama = "ollama"

    @property
    def local(self) -> bool:
        """A single-slot server on the user's machine (slow, one request at a time)."""
        return self in (Dialect.llamacpp, Dialect.ollama)


@dataclass(frozen=True)
class LLMSettings:
    """Everything that shapes requests. The key is not here: see :mod:`annotator.secrets`.

    ``None`` for ``timeout_seconds``, ``max_tokens`` and ``context_tokens`` means "as suits
    the server": see :meth:`resolved`.
    """

    model: str = DEFAULT_MODEL
    base_url: str | None = None
    mode: ExtractionMode = ExtractionMode.auto
    dialect: Dialect = Dialect.auto
    temperature: float = 0.0
    seed: int | None = 42
    max_reasks: int = 2
    transport_attempts: int = 6
    timeout_seconds: float | None = None
    max_tokens: int | None = None
    context_tokens: int | None = None
    max_article_tokens: int = 6000
    preflight: bool = True
    """Ask the endpoint once before the run (reachable, key accepted, model served,
    dialect); off only where no server can answer (a replayed cassette without it)."""
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

    @property
    def local(self) -> bool:
        """A server on this machine (or a local network): slow, small context, free."""
        if self.dialect.local:
            return True
        host = urlsplit(self.base_url or "").hostname or ""
        if host in ("localhost", "::1") or host.endswith(".local"):
            return True
        try:
            address = ipaddress.ip_address(host)
        except ValueError:
            return False
        return address.is_loopback or address.is_private

    def guessed_dialect(self) -> Dialect:
        """The dialect when the server cannot be asked: from the URL alone."""
        if self.dialect is not Dialect.auto:
            return self.dialect
        url = (self.base_url or "").lower()
        return Dialect.ollama if ":11434" in url else Dialect.openai

    def resolved(self, dialect: Dialect | None = None) -> LLMSettings:
        """These settings with every ``auto``/``None`` decided for ``dialect``."""
        dialect = dialect or self.guessed_dialect()
        local = self.local or dialect.local
        mode = self.mode
        if mode is ExtractionMode.auto:
            mode = ExtractionMode.json_schema if local else ExtractionMode.tools
        timeout = self.timeout_seconds or (LOCAL_TIMEOUT if local else REMOTE_TIMEOUT)
        context = self.context_tokens or (LOCAL_CONTEXT if local else REMOTE_CONTEXT)
        max_tokens = self.max_tokens or min(DEFAULT_MAX_TOKENS, context // 4)
        return LLMSettings(
            **{**self.__dict__, "dialect": dialect, "mode": mode, "timeout_seconds": timeout,
               "context_tokens": context, "max_tokens": max_tokens}
        )
