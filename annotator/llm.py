"""Call an OpenAI-compatible chat endpoint through instructor, with retries layered once.

Two layers, each catching only its own failures:

* **Transport** (this module, tenacity): 429, 5xx, timeouts and connection errors are
  retried with jittered exponential backoff that honours ``Retry-After``; 400/401/403 and
  ``insufficient_quota`` are not (retrying cannot fix them). The SDK's own retries are off
  so nothing retries twice.
* **Validation** (instructor): only a response that does not parse or does not ground is
  re-asked, with the error fed back to the model, at most ``max_reasks`` times. After the
  last attempt the claims that still cannot be grounded are dropped and counted.

Token usage is metered on every raw response, so failed attempts are paid for too.
"""

from __future__ import annotations

import asyncio
import email.utils
import json
import os
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from enum import Enum
from typing import Any
from urllib.parse import urlparse

import instructor
import openai
from instructor.core.exceptions import AsyncValidationError, InstructorRetryException
from instructor.core.exceptions import ValidationError as InstructorValidationError
from instructor.utils.core import extract_json_from_codeblock
from openai.types.chat import ChatCompletion
from pydantic import ValidationError
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception,
    retry_if_exception_type,
    stop_after_attempt,
    wait_random_exponential,
)

from annotator.backends import Exchange, Extraction, ExtractionFailed
from annotator.chunking import Piece, merge_duplicates, split, token_counter
from annotator.extraction import ARTICLE_CONTEXT_KEY, ClaimExtraction, ExtractedClaim, ground_all
from annotator.models import Article, DroppedClaim, Usage
from annotator.prompts import PromptSet

DEFAULT_MODEL = "gpt-4o-mini"
RETRY_AFTER_CAP_SECONDS = 120.0
_KEY_LIKE = re.compile(r"\b(sk|rk|pk)-[A-Za-z0-9_\-*]{6,}")

REASKABLE = (ValidationError, json.JSONDecodeError, InstructorValidationError, AsyncValidationError)
"""Failures of the answer itself: the only ones a re-ask can fix."""

Sleep = Callable[[float], Awaitable[None]]


class ExtractionMode(str, Enum):
    """How structured output is requested: servers without tool calling use JSON schema."""

    tools = "tools"
    json_schema = "json_schema"
    json = "json"

    @property
    def instructor_mode(self) -> instructor.Mode:
        return {
            ExtractionMode.tools: instructor.Mode.TOOLS,
            ExtractionMode.json_schema: instructor.Mode.JSON_SCHEMA,
            ExtractionMode.json: instructor.Mode.JSON,
        }[self]


class ModelOutputError(RuntimeError):
    """The model's last answer could not be parsed at all, even after re-asking."""


@dataclass(frozen=True)
class LLMSettings:
    """Everything that shapes requests. The key is read from ``OPENAI_API_KEY`` only."""

    model: str = DEFAULT_MODEL
    base_url: str | None = None
    mode: ExtractionMode = ExtractionMode.tools
    temperature: float = 0.0
    seed: int | None = 42
    max_reasks: int = 2
    transport_attempts: int = 6
    timeout_seconds: float = 120.0
    max_article_tokens: int = 6000

    @classmethod
    def from_options(cls, model: str | None, base_url: str | None, **overrides: Any) -> LLMSettings:
        """CLI options first, then ``ANNOTATOR_MODEL`` / ``OPENAI_BASE_URL``, then defaults."""
        return cls(
            model=model or os.environ.get("ANNOTATOR_MODEL") or DEFAULT_MODEL,
            base_url=base_url or os.environ.get("OPENAI_BASE_URL") or None,
            **overrides,
        )


def redact(text: str, secret: str | None = None) -> str:
    """Remove the API key, and anything shaped like one, from text bound for output."""
    if secret:
        text = text.replace(secret, "[redacted]")
    return _KEY_LIKE.sub("[redacted]", text)


def is_transient(error: BaseException) -> bool:
    """Worth retrying: rate limits (not quota), server errors, timeouts, dropped connections."""
    if isinstance(error, openai.RateLimitError):
        return not _insufficient_quota(error)
    return isinstance(
        error, (openai.InternalServerError, openai.APITimeoutError, openai.APIConnectionError)
    )


def _insufficient_quota(error: openai.APIStatusError) -> bool:
    body = error.body if isinstance(error.body, dict) else {}
    detail = body.get("error", body) if isinstance(body.get("error", body), dict) else {}
    return "insufficient_quota" in {error.code, detail.get("code"), detail.get("type")}


def retry_after_seconds(error: BaseException | None) -> float | None:
    """Seconds the server asked us to wait (``retry-after-ms`` or ``Retry-After``), if any."""
    response = getattr(error, "response", None)
    if response is None:
        return None
    headers = response.headers
    if (ms := headers.get("retry-after-ms")) is not None:
        try:
            return max(0.0, float(ms) / 1000)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        moment = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None  # garbled header: fall back to our own backoff
    return max(0.0, moment.timestamp() - time.time())


class WaitRetryAfter:
    """Tenacity wait: the server's ``Retry-After`` when given, else jittered exponential."""

    def __init__(self, fallback: Callable[[RetryCallState], float], cap: float) -> None:
        self._fallback = fallback
        self._cap = cap

    def __call__(self, state: RetryCallState) -> float:
        asked = retry_after_seconds(state.outcome.exception() if state.outcome else None)
        return min(asked, self._cap) if asked is not None else self._fallback(state)


@dataclass
class _Meter:
    """Per-article accounting shared by every request of that article."""

    usage: Usage = field(default_factory=Usage)
    exchanges: list[Exchange] = field(default_factory=list)

    def record(self, request: dict[str, Any], response: ChatCompletion | None, error: str | None) -> None:
        spent = Usage(requests=1)
        if response is not None and response.usage is not None:
            spent = Usage(
                requests=1,
                prompt_tokens=response.usage.prompt_tokens or 0,
                completion_tokens=response.usage.completion_tokens or 0,
                total_tokens=response.usage.total_tokens or 0,
            )
        self.usage = self.usage + spent
        dumped = response.model_dump(mode="json", exclude_none=True) if response else None
        snapshot = json.loads(json.dumps(request, default=str))  # re-asks extend messages in place
        self.exchanges.append(Exchange(request=snapshot, response=dumped, error=error))


class LLMBackend:
    """Claims from a chat model, grounded through instructor's validation re-asks."""

    name = "llm"

    def __init__(
        self, settings: LLMSettings, prompts: PromptSet, *, sleep: Sleep = asyncio.sleep
    ) -> None:
        self.settings = settings
        self.prompts = prompts
        self.model = settings.model
        self.prompt_version = prompts.version
        self._key = os.environ.get("OPENAI_API_KEY")
        self._client = openai.AsyncOpenAI(
            api_key=self._key or "no-key-configured",
            base_url=settings.base_url,
            max_retries=0,
            timeout=settings.timeout_seconds,
        )
        self.endpoint = urlparse(str(self._client.base_url)).hostname
        self._sleep = sleep

    async def extract(self, article: Article) -> Extraction:
        """Annotate each piece of the article and merge the pieces' claims.

        A failure carries what was already spent and exchanged, with the key redacted,
        so a failed article is still paid for in the totals and can be inspected.
        """
        meter = _Meter()
        pieces = split(article.text, self.settings.max_article_tokens, token_counter(self.model))
        claims: list[ExtractedClaim] = []
        dropped: list[DroppedClaim] = []
        try:
            for number, piece in enumerate(pieces, 1):
                found, lost = await self._extract_piece(article, piece, number, len(pieces), meter)
                claims.extend(found)
                dropped.extend(lost)
        except Exception as error:  # noqa: BLE001 - reported per article by the pipeline
            message = redact(f"{type(error).__name__}: {error}", self._key)
            raise ExtractionFailed(message, meter.usage, meter.exchanges) from error
        return Extraction(
            claims=merge_duplicates(claims),
            dropped=dropped,
            usage=meter.usage,
            chunks=len(pieces),
            exchanges=meter.exchanges,
        )

    async def _extract_piece(
        self, article: Article, piece: Piece, number: int, count: int, meter: _Meter
    ) -> tuple[list[ExtractedClaim], list[DroppedClaim]]:
        messages = [m.as_dict() for m in self.prompts.render(article, piece.text, number, count)]

        async def send(*args: Any, **kwargs: Any) -> ChatCompletion:
            return await self._send(meter, **kwargs)

        create = instructor.patch(create=send, mode=self.settings.mode.instructor_mode)
        try:
            result = await create(
                response_model=ClaimExtraction,
                messages=messages,
                model=self.settings.model,
                temperature=self.settings.temperature,
                max_retries=self._reask_policy(),
                context={ARTICLE_CONTEXT_KEY: piece.text},
                strict=False,
                **({"seed": self.settings.seed} if self.settings.seed is not None else {}),
            )
            claims, dropped = list(result.claims), []
        except InstructorRetryException as error:
            claims, dropped = salvage(error.last_completion, piece.text, self.settings.mode)
        for claim in claims:
            claim.shift(piece.start)
        return claims, dropped

    def _reask_policy(self) -> AsyncRetrying:
        """Instructor re-asks on parse and grounding failures only, never on API errors."""
        return AsyncRetrying(
            stop=stop_after_attempt(1 + self.settings.max_reasks),
            retry=retry_if_exception_type(REASKABLE),
            sleep=self._sleep,
        )

    async def _send(self, meter: _Meter, **kwargs: Any) -> ChatCompletion:
        """One logical request: transient transport faults are retried here, and only here."""
        retrying = AsyncRetrying(
            stop=stop_after_attempt(self.settings.transport_attempts),
            retry=retry_if_exception(is_transient),
            wait=WaitRetryAfter(wait_random_exponential(multiplier=1, max=60), RETRY_AFTER_CAP_SECONDS),
            sleep=self._sleep,
            reraise=True,
        )
        async for attempt in retrying:
            with attempt:
                try:
                    response = await self._client.chat.completions.create(**kwargs)
                except openai.APIError as error:
                    meter.record(kwargs, None, redact(f"{type(error).__name__}: {error}", self._key))
                    raise
                meter.record(kwargs, response, None)
                return response
        raise AssertionError("unreachable: tenacity re-raises the last error")  # pragma: no cover


def salvage(
    completion: Any, text: str, mode: ExtractionMode
) -> tuple[list[ExtractedClaim], list[DroppedClaim]]:
    """Keep what grounds from the model's last answer; drop and explain the rest."""
    data = _last_answer(completion, mode)
    items = data.get("claims", []) if isinstance(data, dict) else []
    claims: list[ExtractedClaim] = []
    dropped: list[DroppedClaim] = []
    for item in items if isinstance(items, list) else []:
        try:
            claims.append(ExtractedClaim.model_validate(item))
        except ValidationError as error:
            content = str(item.get("content", "")) if isinstance(item, dict) else str(item)
            reason = error.errors()[0]
            dropped.append(DroppedClaim(content=content, reason=f"invalid claim: {reason['msg']}"))
    failures = ground_all(text, claims)
    failed = {f.index for f in failures}
    dropped.extend(DroppedClaim(content=f.claim.content, reason=f.reason) for f in failures)
    return [c for i, c in enumerate(claims) if i not in failed], dropped


def _last_answer(completion: Any, mode: ExtractionMode) -> Any:
    """The JSON the model last returned, whichever mode carried it."""
    if completion is None or not getattr(completion, "choices", None):
        raise ModelOutputError("the model returned no answer")
    message = completion.choices[0].message
    if mode is ExtractionMode.tools and message.tool_calls:
        raw = message.tool_calls[0].function.arguments
    else:
        raw = message.content or ""
    if mode is not ExtractionMode.tools:
        raw = extract_json_from_codeblock(raw)  # the same leniency instructor applies
    try:
        return json.loads(raw)
    except json.JSONDecodeError as error:
        raise ModelOutputError(f"the model's last answer is not valid JSON: {error}") from error
