"""Claims from a chat model, grounded through instructor's validation re-asks.

Two layers of retry, each catching only its own failures: the transport (tenacity, in
:mod:`annotator.llm.transport`) retries transient faults of one request; instructor
re-asks only when an answer does not parse or does not ground, at most ``max_reasks``
times, with the error fed back to the model. After the last attempt the claims that
still cannot be grounded are dropped and counted.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import instructor
from instructor.core.exceptions import AsyncValidationError, InstructorRetryException
from instructor.core.exceptions import ValidationError as InstructorValidationError
from openai.types.chat import ChatCompletion
from pydantic import ValidationError
from tenacity import AsyncRetrying, retry_if_exception_type, stop_after_attempt

from annotator.backends import Extraction, ExtractionFailed
from annotator.chunking import Piece, TokenCounter, merge_duplicates, split, token_counter
from annotator.claims import ExtractedClaim
from annotator.llm.answer import ARTICLE_CONTEXT_KEY, ClaimExtraction, salvage
from annotator.llm.settings import ExtractionMode, LLMSettings
from annotator.llm.transport import Meter, Sleep, Transport, describe
from annotator.models import Article, DroppedClaim
from annotator.prompts import PromptSet
from annotator.secrets import api_key

REASKABLE = (ValidationError, json.JSONDecodeError, InstructorValidationError, AsyncValidationError)
"""Failures of the answer itself: the only ones a re-ask can fix."""

INSTRUCTOR_MODES = {
    ExtractionMode.tools: instructor.Mode.TOOLS,
    ExtractionMode.json_schema: instructor.Mode.JSON_SCHEMA,
    ExtractionMode.json: instructor.Mode.JSON,
}


class LLMBackend:
    """Claims from a chat model, grounded through instructor's validation re-asks.

    The keyword arguments are seams: ``http_client`` (any ``httpx.AsyncClient``, e.g.
    with a recording or mock transport), ``count_tokens`` (how pieces are measured;
    default the model's tiktoken encoding), ``sleep`` (the wait between attempts) and
    ``key`` (default: :func:`annotator.secrets.api_key`).
    """

    name = "llm"

    def __init__(
        self,
        settings: LLMSettings,
        prompts: PromptSet,
        *,
        http_client: httpx.AsyncClient | None = None,
        count_tokens: TokenCounter | None = None,
        sleep: Sleep = asyncio.sleep,
        key: str | None = None,
    ) -> None:
        self.settings = settings
        self.prompts = prompts
        self.model = settings.model
        self.prompt_version = prompts.version
        self._transport = Transport(
            settings, key if key is not None else api_key(), http_client=http_client, sleep=sleep
        )
        self.endpoint: str | None = self._transport.endpoint
        self.rate_limiter = self._transport.limiter
        """Shared by every request of the run (see :mod:`annotator.llm.ratelimit`)."""
        self.mode: str | None = settings.mode.value
        self._count_tokens = count_tokens or token_counter(settings.model)
        self._sleep = sleep

    async def aclose(self) -> None:
        """Close the connections of the run's client."""
        await self._transport.aclose()

    async def extract(self, article: Article) -> Extraction:
        """Annotate each piece of the article and merge the pieces' claims.

        A failure carries what was already spent and exchanged, with the key redacted,
        so a failed article is still paid for in the totals and can be inspected.
        """
        meter = Meter()
        pieces = self.pieces(article)
        claims: list[ExtractedClaim] = []
        dropped: list[DroppedClaim] = []
        try:
            for number, piece in enumerate(pieces, 1):
                found, lost = await self.extract_piece(article, piece, number, len(pieces), meter)
                claims.extend(found)
                dropped.extend(lost)
        except Exception as error:
            message = self._transport.redact(describe(error))
            raise ExtractionFailed(message, meter.usage, meter.exchanges) from error
        return Extraction(
            claims=merge_duplicates(claims),
            dropped=dropped,
            usage=meter.usage,
            chunks=len(pieces),
            exchanges=meter.exchanges,
        )

    def pieces(self, article: Article) -> list[Piece]:
        """The pieces the article is sent in: one, unless it is longer than the budget."""
        return split(article.text, self.settings.max_article_tokens, self._count_tokens)

    async def extract_piece(
        self, article: Article, piece: Piece, number: int, count: int, meter: Meter
    ) -> tuple[list[ExtractedClaim], list[DroppedClaim]]:
        """One piece's claims (piece ``number`` of ``count``), re-asked as needed. Pieces
        do not depend on one another: the batch API sends every piece's first request
        at once by calling this per piece (:mod:`annotator.batch`)."""
        messages = [m.as_dict() for m in self.prompts.render(article, piece.text, number, count)]

        async def send(*args: Any, **kwargs: Any) -> ChatCompletion:
            return await self._transport.send(meter, **kwargs)

        create = instructor.patch(create=send, mode=INSTRUCTOR_MODES[self.settings.mode])
        dropped: list[DroppedClaim] = []
        try:
            result: ClaimExtraction = await create(
                response_model=ClaimExtraction,
                messages=messages,
                model=self.settings.model,
                temperature=self.settings.temperature,
                max_retries=self._reask_policy(),
                context={ARTICLE_CONTEXT_KEY: piece.text},
                strict=False,
                **({"seed": self.settings.seed} if self.settings.seed is not None else {}),
            )
            claims = result.grounded
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
