"""How each kind of server is asked for structured output, and how it says no.

instructor shapes a request the OpenAI way; :func:`shape` rewrites it for the server's
dialect (measured against llama-cpp-python 0.3.36; Ollama's from its API reference):

* ``openai``: unchanged, plus ``max_tokens``.
* ``llamacpp``: ``response_format: {type: json_schema, json_schema: {schema}}`` becomes
  ``{type: json_object, schema}``, which llama.cpp turns into a grammar (and which costs no
  prompt tokens); llama-cpp-python answers the OpenAI spelling with a 500.
* ``ollama``: the JSON modes go to Ollama's own ``POST /api/chat`` with ``format`` (the
  schema, or ``"json"``) and ``options`` (``num_ctx``, ``num_predict``, ``temperature``,
  ``seed``), the only route on which the context can be set per request; the answer is
  mapped back to a chat completion. Tools mode stays on the OpenAI route.

:func:`rejection` recognises a server refusing the request's shape, which no retry can
fix: a 400/422 naming the offending field, or llama-cpp-python's 500 carrying a request
validation dump (``'loc': ('body', 'response_format', 'type')``).
"""

from __future__ import annotations

import copy
import re
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import openai
from openai.types.chat import ChatCompletion

from annotator.llm.settings import Dialect, LLMSettings

SHAPE_FIELDS = ("response_format", "tools", "tool_choice", "max_tokens", "seed", "messages", "format")
_VALIDATION_DUMP = re.compile(r"validation error.*'loc': \('body', '([a-z_]+)'", re.S)
_FIELD_NAMED = re.compile(r"\b(" + "|".join(SHAPE_FIELDS[:5]) + r"|json_schema)\b")
_CONTEXT_LIMIT = re.compile(r"maximum context length is (\d+)")


@dataclass(frozen=True)
class Shaped:
    """A request ready for the wire: which route, and the body."""

    route: str
    """``chat`` (``POST {base}/chat/completions``) or ``ollama`` (``POST {root}/api/chat``)."""
    body: dict[str, Any]


def shape(kwargs: dict[str, Any], settings: LLMSettings, dialect: Dialect, max_tokens: int) -> Shaped:
    """The request for ``dialect``: instructor's OpenAI-shaped ``kwargs`` rewritten."""
    body = copy.deepcopy(kwargs)
    body["max_tokens"] = max_tokens
    response_format = body.get("response_format") or {}
    if dialect is Dialect.llamacpp and response_format.get("type") == "json_schema":
        body["response_format"] = {"type": "json_object", "schema": response_format["json_schema"]["schema"]}
    if dialect is Dialect.ollama and "tools" not in body:
        return Shaped("ollama", ollama_body(body, settings, max_tokens))
    return Shaped("chat", body)


def ollama_body(body: dict[str, Any], settings: LLMSettings, max_tokens: int) -> dict[str, Any]:
    """Ollama's ``/api/chat`` request for an OpenAI-shaped JSON-mode request."""
    response_format = body.get("response_format") or {}
    schema = (response_format.get("json_schema") or {}).get("schema")
    options: dict[str, Any] = {"temperature": body.get("temperature", settings.temperature),
                               "num_predict": max_tokens}
    if settings.context_tokens:
        options["num_ctx"] = settings.context_tokens
    if body.get("seed") is not None:
        options["seed"] = body["seed"]
    return {
        "model": body["model"],
        "messages": body["messages"],
        "stream": False,
        "format": schema if schema is not None else "json",
        "options": options,
    }


def ollama_completion(data: dict[str, Any]) -> ChatCompletion:
    """An Ollama ``/api/chat`` answer as the chat completion the rest of the code reads."""
    message = data.get("message") or {}
    prompt, completion = int(data.get("prompt_eval_count") or 0), int(data.get("eval_count") or 0)
    return ChatCompletion.model_validate({
        "id": f"ollama-{data.get('created_at', '')}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": data.get("model", ""),
        "choices": [{
            "index": 0,
            "finish_reason": "length" if data.get("done_reason") == "length" else "stop",
            "message": {"role": "assistant", "content": message.get("content", "")},
        }],
        "usage": {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion},
    })


def server_root(base_url: str) -> str:
    """``http://host:port`` of an OpenAI-style base URL (``.../v1``): where Ollama's and
    llama.cpp's own routes live."""
    parts = urlsplit(base_url)
    path = re.sub(r"/v1/?$", "", parts.path.rstrip("/"))
    return urlunsplit((parts.scheme, parts.netloc, path, "", "")).rstrip("/")


def rejection(error: BaseException) -> str | None:
    """The request field a server refused (the shape of the request, not its content), or
    ``None`` if it refused nothing of the kind.

    A refusal is never retried: the same request gets the same answer.
    """
    if not isinstance(error, openai.APIStatusError):
        return None
    message = _message(error)
    if isinstance(error, openai.InternalServerError):
        dump = _VALIDATION_DUMP.search(message)
        return dump.group(1) if dump else None
    if error.status_code in (400, 422) and context_limit(error) is None:
        named = _FIELD_NAMED.search(message)
        return named.group(1) if named else None
    return None


def context_limit(error: BaseException) -> int | None:
    """The context size a ``context_length_exceeded`` error states, if it is one."""
    if not isinstance(error, openai.APIStatusError):
        return None
    found = _CONTEXT_LIMIT.search(_message(error))
    return int(found.group(1)) if found else None


def _message(error: openai.APIStatusError) -> str:
    body = error.body
    if isinstance(body, dict):
        inner = body.get("error", body)
        if isinstance(inner, dict) and isinstance(inner.get("message"), str):
            return inner["message"]
        if isinstance(body.get("detail"), str):
            return body["detail"]
    return str(error)
