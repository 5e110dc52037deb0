"""One cheap request before the run: is the endpoint there, does it take the key, does it
serve the model, and which dialect does it speak.

Without it, a dead endpoint, a bad key or a misspelt model is found once per article,
each after its own retries (20 articles against a dead endpoint: 54 s and 120 requests
before all failed). ``GET {base}/models`` answers all four questions on every server
measured or documented:

=================  ===========================  ======================================
server             ``owned_by`` in the list     also asked
=================  ===========================  ======================================
llama-cpp-python   ``me``                       (serves any model name with its one model)
llama.cpp          ``llamacpp``                 ``GET /props``: ``n_ctx``
Ollama             ``library``                  ``GET /api/version``
vLLM               ``vllm``                     ``max_model_len`` in the list
OpenAI             ``system``, ``openai``, ...
=================  ===========================  ======================================

A server without the route (404, 405, 501) is not an error: the run goes on with the
dialect guessed from the URL.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from annotator.llm.settings import Dialect, LLMSettings


class EndpointUnusable(RuntimeError):
    """The endpoint cannot serve this run at all: stop before any article is sent."""


@dataclass
class ServerInfo:
    """What the pre-flight learnt of the server."""

    kind: str | None = None
    """``llama-cpp-python``, ``llama.cpp``, ``ollama``, ``vllm``, ``openai`` or ``None``."""
    dialect: Dialect = Dialect.openai
    models: list[str] | None = None
    context_tokens: int | None = None
    notes: list[str] = field(default_factory=list)


KINDS = {"me": "llama-cpp-python", "llamacpp": "llama.cpp", "library": "ollama", "ollama": "ollama",
         "vllm": "vllm"}
DIALECTS = {"llama-cpp-python": Dialect.llamacpp, "llama.cpp": Dialect.llamacpp, "ollama": Dialect.ollama}


def read_model_list(data: Any, settings: LLMSettings) -> ServerInfo:
    """Interpret a ``GET /models`` answer; raises :class:`EndpointUnusable` for a model the
    server does not serve (except llama-cpp-python, which serves any name)."""
    entries = data.get("data") if isinstance(data, dict) else None
    if not isinstance(entries, list):
        return ServerInfo(dialect=settings.guessed_dialect(), notes=["GET /models gave no model list"])
    models = [str(e.get("id")) for e in entries if isinstance(e, dict) and e.get("id")]
    owners = {str(e.get("owned_by", "")).lower() for e in entries if isinstance(e, dict)}
    kind = next((KINDS[o] for o in owners if o in KINDS), "openai")
    info = ServerInfo(kind=kind, dialect=DIALECTS.get(kind, Dialect.openai), models=models)
    for entry in entries:
        if isinstance(entry, dict) and isinstance(entry.get("max_model_len"), int):
            info.context_tokens = entry["max_model_len"]  # vLLM says it outright
    if not models or served(settings.model, models, kind):
        return info
    if kind == "llama-cpp-python":
        info.notes.append(
            f"the server serves {', '.join(models)} and answers any model name with it; "
            f"results are recorded under the name asked for, {settings.model!r}"
        )
        return info
    shown = ", ".join(models[:12]) + (f" and {len(models) - 12} more" if len(models) > 12 else "")
    raise EndpointUnusable(f"model {settings.model!r} is not served at this endpoint; it serves: {shown}")


def served(model: str, models: list[str], kind: str | None) -> bool:
    """Whether ``model`` is in the list (Ollama's ``name`` means ``name:latest``)."""
    if model in models:
        return True
    return kind == "ollama" and ":" not in model and f"{model}:latest" in models


def props_context(data: Any) -> int | None:
    """``n_ctx`` from llama.cpp's ``GET /props``."""
    if not isinstance(data, dict):
        return None
    settings = data.get("default_generation_settings")
    value = settings.get("n_ctx") if isinstance(settings, dict) else data.get("n_ctx")
    return value if isinstance(value, int) and value > 0 else None
