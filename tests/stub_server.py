"""Scripted OpenAI-compatible chat answers for tests and benchmarks that need many.

``empty_answer(request)`` answers any chat request the way the request asks to be
answered (a tool call to the tool it offers, or JSON in the content), with no claims:
a valid, grounded answer for any article. ``ConcurrencyCappedServer`` is an
``httpx.MockTransport`` handler admitting a fixed number of requests at once and
answering 429 with ``Retry-After`` beyond it, as a small provider tier would.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import re
from typing import Any

import httpx

_ARTICLE = re.compile(r"<<<ARTICLE (\w+)>>>\n(.*?)\n<<<END ARTICLE \1>>>", re.S)


def empty_answer(request: dict[str, Any], claims: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """A chat completion answering ``request`` with ``claims`` (default none); its ids
    derive from the request, so the same request always gets the same answer."""
    arguments = json.dumps({"claims": claims or []})
    tag = hashlib.sha256(json.dumps(request, sort_keys=True).encode()).hexdigest()[:12]
    message: dict[str, Any] = {"role": "assistant", "content": None}
    tools = request.get("tools")
    if tools:
        name = tools[0]["function"]["name"]
        message["tool_calls"] = [
            {"id": f"call_{tag}", "type": "function", "function": {"name": name, "arguments": arguments}}
        ]
    else:
        message["content"] = arguments
    prompt = len(json.dumps(request)) // 4
    return {
        "id": f"chatcmpl-{tag}",
        "object": "chat.completion",
        "created": 1767225600,
        "model": request.get("model", "stub"),
        "choices": [{"index": 0, "message": message, "finish_reason": "tool_calls" if tools else "stop"}],
        "usage": {"prompt_tokens": prompt, "completion_tokens": 12, "total_tokens": prompt + 12},
    }


def article_text(request: dict[str, Any]) -> str:
    for message in request.get("messages", []):
        content = message.get("content")
        if message.get("role") == "user" and isinstance(content, str) and (found := _ARTICLE.search(content)):
            return found.group(2)
    raise ValueError("no fenced article in the request")


def said_claims(text: str) -> list[dict[str, Any]]:
    """One claim per 'Speaker said content.' sentence, every field verbatim."""
    claims = []
    for speaker, content in re.findall(r"([A-Z][\w ]*?) said ([^.]+)\.", text):
        claims.append({
            "speaker": speaker, "speaker_type": "person", "speaker_role": None, "mention": speaker,
            "cue": "said", "content": content, "quote_type": "indirect", "via": [], "hedging": "none",
            "hedge_cues": [], "stance": "neutral", "restatement": f"{speaker} said {content}.",
        })
    return claims


class ConcurrencyCappedServer:
    """Admits ``capacity`` requests at once; beyond that, 429 with ``Retry-After``."""

    def __init__(self, capacity: int, latency: float, retry_after: str = "1") -> None:
        self.capacity = capacity
        self.latency = latency
        self.retry_after = retry_after
        self.active = 0
        self.peak = 0
        self.answered = 0
        self.rejected = 0

    async def __call__(self, request: httpx.Request) -> httpx.Response:
        if self.active >= self.capacity:
            self.rejected += 1
            error = {"error": {"message": "Rate limit reached: too many requests at once",
                               "type": "requests", "param": None, "code": "rate_limit_exceeded"}}
            return httpx.Response(429, json=error, headers={"retry-after": self.retry_after})
        self.active += 1
        self.peak = max(self.peak, self.active)
        try:
            await asyncio.sleep(self.latency)
        finally:
            self.active -= 1
        self.answered += 1
        return httpx.Response(200, json=empty_answer(json.loads(request.content)))
