"""The context budget: what one request may hold, so none overflows the server's context.

Every request is ``fixed prompt + article piece + answer``; a re-ask adds the claims it
asks about and its feedback. The budget keeps, for the server's context ``C``:

    piece <= C - fixed - max_tokens - reask - margin

so the first request and every re-ask fit, and each re-ask is then given the answer room
left (``answer_room``), at most ``max_tokens``. Tokens are counted with the backend's
counter (tiktoken, or 4 characters a token where tiktoken cannot load its tables: about
a fifth over Qwen's count of English news, measured); ``margin`` absorbs the rest, and a
server's ``context_length_exceeded`` corrects ``C`` for the remainder of the run.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from annotator.chunking import TokenCounter

PER_MESSAGE = 8
"""Chat-template tokens around each message (role markers, separators)."""
MIN_PIECE = 200
"""Fewer tokens of article per request than this is no budget: the settings are wrong."""
MIN_ANSWER = 128


class BudgetError(ValueError):
    """The context cannot hold the prompt, the answer and any article at all."""


@dataclass(frozen=True)
class Budget:
    """Token allowances for one run's requests."""

    context: int
    max_tokens: int
    fixed: int
    """Prompt tokens before any article text: system prompt, user template, and the
    answer schema when the server puts it in the prompt (tools, OpenAI json_schema)."""
    reask: int
    margin: int

    @classmethod
    def of(cls, context: int, max_tokens: int, fixed: int) -> Budget:
        return cls(context=context, max_tokens=max_tokens, fixed=fixed,
                   reask=min(512, context // 16), margin=max(64, context // 50))

    @property
    def piece(self) -> int:
        """Article tokens one request may carry."""
        return self.context - self.fixed - self.max_tokens - self.reask - self.margin

    def check(self) -> None:
        """Raise :class:`BudgetError` when no useful piece fits."""
        if self.piece < MIN_PIECE:
            raise BudgetError(
                f"a context of {self.context} tokens cannot hold the prompt ({self.fixed}), "
                f"--max-tokens {self.max_tokens} and room for re-asks ({self.reask + self.margin}) "
                f"and still leave {MIN_PIECE} tokens of article: raise --context-tokens (and the "
                "server's context) or lower --max-tokens"
            )

    def answer_room(self, prompt_tokens: int) -> int:
        """``max_tokens`` for a request whose prompt is ``prompt_tokens`` long."""
        return min(self.max_tokens, self.context - prompt_tokens - self.margin)

    def with_context(self, context: int) -> Budget:
        """The same budget for a server that turned out to hold ``context`` tokens."""
        max_tokens = min(self.max_tokens, max(MIN_ANSWER, context // 4))
        return Budget.of(context, max_tokens, self.fixed)


def request_tokens(kwargs: dict[str, Any], count: TokenCounter, schema_in_prompt: bool) -> int:
    """Prompt tokens of a chat request as the server will count them (over, not under)."""
    messages = kwargs.get("messages", [])
    total = sum(count(_text(m)) + PER_MESSAGE for m in messages)
    if schema_in_prompt:
        for key in ("tools", "response_format"):
            if key in kwargs:
                total += count(json.dumps(kwargs[key], ensure_ascii=False))
    return total


def _text(message: dict[str, Any]) -> str:
    text = message.get("content") or ""
    for call in message.get("tool_calls") or []:
        text += json.dumps(call.get("function", {}), ensure_ascii=False)
    return str(text)
