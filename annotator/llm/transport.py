"""One logical request to the chat endpoint: transient faults retried here, and only here.

429 (except ``insufficient_quota``), 5xx, timeouts and dropped connections are retried
with jittered exponential backoff that honours ``Retry-After``; 400/401/403 are not
(retrying cannot fix them). The SDK's own retries are off so nothing retries twice.
Every raw response is metered, so failed attempts are paid for too.

Every attempt passes through the run's :class:`~annotator.llm.ratelimit.RateLimiter`,
shared by all requests of the run: it paces them, bounds how many are in flight, and
after a 429 pauses the whole run (jittered), so a rate-limited attempt waits there and
not in the retry loop. Rate-limit answers have their own allowance of attempts
(``RATE_LIMIT_ATTEMPTS``): the run slowing down for them is the cure, not a failure.

Each attempt has an overall deadline of ``LLMSettings.timeout_seconds``, on top of the
HTTP client's timeout between two reads: a server that trickles one byte every few
seconds never trips a read timeout, but it cannot hold an attempt past the deadline. A
missed deadline is a timeout like any other, so it is retried.
"""

from __future__ import annotations

import asyncio
import email.utils
import json
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlparse

import httpx
import openai
from openai.types.chat import ChatCompletion
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception,
    wait_random_exponential,
)

from annotator.llm.ratelimit import RateLimiter, jitter_spread
from annotator.llm.settings import LLMSettings
from annotator.models import Exchange, Usage
from annotator.secrets import redact

RETRY_AFTER_CAP_SECONDS = 120.0
RATE_LIMIT_ATTEMPTS = 30
"""Attempts of one request answered 429 (rate limit, not quota) before it fails."""
NO_KEY = "no-key-configured"
"""Sent when no key is set: local servers accept anything, OpenAI answers 401."""

Sleep = Callable[[float], Awaitable[None]]


class DeadlineExceeded(openai.APITimeoutError):
    """An attempt took longer in total than the deadline (``--timeout``)."""

    def __init__(self, request: httpx.Request, seconds: float) -> None:
        openai.APIConnectionError.__init__(
            self, message=f"no complete answer within the {seconds:g} s deadline (--timeout)", request=request
        )


def is_transient(error: BaseException) -> bool:
    """Worth retrying: rate limits (not quota), server errors, timeouts, dropped connections.

    The SDK reports any exception raised while sending as a connection error; only a
    network fault (``httpx.TransportError``) is retried, not a bug or a refusal below it.
    """
    if isinstance(error, openai.RateLimitError):
        return not _insufficient_quota(error)
    if isinstance(error, openai.APIConnectionError) and not isinstance(error, openai.APITimeoutError):
        return error.__cause__ is None or isinstance(error.__cause__, httpx.TransportError)
    return isinstance(error, (openai.InternalServerError, openai.APITimeoutError))


def is_rate_limited(error: BaseException | None) -> bool:
    """A 429 that waiting cures (a rate limit), not an exhausted quota."""
    return isinstance(error, openai.RateLimitError) and not _insufficient_quota(error)


def describe(error: BaseException) -> str:
    """``Type: message``, with the underlying cause of a connection error, which the
    SDK's own message ("Connection error.") leaves out."""
    text = f"{type(error).__name__}: {error}"
    cause = error.__cause__
    if isinstance(error, openai.APIConnectionError) and cause is not None:
        text += f" ({type(cause).__name__}: {cause})"
    return text


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


class WaitForServer:
    """Tenacity wait for one request: none after a rate limit (the run's limiter already
    pauses every request, jittered), else the server's ``Retry-After`` plus jitter (so
    requests told the same moment do not return at it together), else the fallback."""

    def __init__(self, fallback: Callable[[RetryCallState], float], cap: float, rng: random.Random) -> None:
        self._asked = WaitRetryAfter(lambda state: -1.0, cap)
        self._fallback = fallback
        self._rng = rng

    def __call__(self, state: RetryCallState) -> float:
        error = state.outcome.exception() if state.outcome else None
        if is_rate_limited(error):
            return 0.0
        asked = self._asked(state)
        if asked < 0:
            return self._fallback(state)
        return asked + self._rng.uniform(0.0, jitter_spread(asked))


def estimate_tokens(request: dict[str, Any]) -> int:
    """Tokens a request may cost before it is sent (what rate limits count): its JSON at
    four characters a token, plus the answer it allows (``max_tokens``, when sent)."""
    answer = request.get("max_completion_tokens") or request.get("max_tokens") or 0
    return len(json.dumps(request, default=str)) // 4 + int(answer)


@dataclass
class Meter:
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


class Transport:
    """The chat-completions endpoint behind one client, with the retry policy applied.

    ``http_client`` and ``sleep`` are the seams tests (and callers with their own proxy
    or event loop) use instead of patching: an ``httpx.AsyncClient`` with any transport,
    and the coroutine that waits between attempts.
    """

    def __init__(
        self,
        settings: LLMSettings,
        api_key: str | None,
        *,
        http_client: httpx.AsyncClient | None = None,
        sleep: Sleep = asyncio.sleep,
        limiter: RateLimiter | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self._settings = settings
        self._key = api_key
        self._sleep = sleep
        self._rng = rng or random.Random()
        self.limiter = limiter or RateLimiter(
            settings.requests_per_minute, settings.tokens_per_minute, sleep=sleep, rng=self._rng
        )
        self._callers_client = http_client is not None
        self._client = openai.AsyncOpenAI(
            api_key=api_key or NO_KEY,
            base_url=settings.base_url,
            max_retries=0,
            timeout=settings.timeout_seconds,
            http_client=http_client,
        )
        self.endpoint = urlparse(str(self._client.base_url)).hostname

    async def aclose(self) -> None:
        """Close the connections, unless the caller passed its own client (theirs to close)."""
        if not self._callers_client:
            await self._client.close()

    def redact(self, text: str) -> str:
        """``text`` without the key this transport sends, or anything key-shaped."""
        return redact(text, self._key)

    async def send(self, meter: Meter, **kwargs: Any) -> ChatCompletion:
        """One logical request: retried on transient faults, every attempt metered."""
        faults = {"rate_limited": 0, "other": 0}

        def spent(state: RetryCallState) -> bool:
            return (
                faults["other"] >= self._settings.transport_attempts
                or faults["rate_limited"] >= RATE_LIMIT_ATTEMPTS
            )

        retrying = AsyncRetrying(
            stop=spent,
            retry=retry_if_exception(is_transient),
            wait=WaitForServer(
                wait_random_exponential(multiplier=1, max=60), RETRY_AFTER_CAP_SECONDS, self._rng
            ),
            sleep=self._sleep,
            reraise=True,
        )
        estimate = estimate_tokens(kwargs)
        async for attempt in retrying:
            with attempt:
                async with self.limiter.request(estimate) as permit:
                    try:
                        response, headers = await self._attempt(kwargs)
                    except openai.APIError as error:
                        rate_limited = is_rate_limited(error)
                        faults["rate_limited" if rate_limited else "other"] += 1
                        if rate_limited:
                            said = error.response.headers if isinstance(error, openai.APIStatusError) else {}
                            permit.rate_limited(said, retry_after_seconds(error))
                        meter.record(kwargs, None, self.redact(describe(error)))
                        raise
                    used = response.usage.total_tokens if response.usage is not None else None
                    permit.succeeded(headers, used)
                meter.record(kwargs, response, None)
                return response
        raise AssertionError("unreachable: tenacity re-raises the last error")  # pragma: no cover

    async def _attempt(self, kwargs: dict[str, Any]) -> tuple[ChatCompletion, httpx.Headers]:
        """One HTTP request, cut off at the deadline however the bytes arrive; the answer
        and its headers (the rate limiter reads the server's limits there)."""
        seconds = self._settings.timeout_seconds
        try:
            async with asyncio.timeout(seconds):
                raw = await self._client.chat.completions.with_raw_response.create(**kwargs)
                return raw.parse(), raw.headers
        except TimeoutError as error:
            url = str(self._client.base_url).rstrip("/") + "/chat/completions"
            raise DeadlineExceeded(httpx.Request("POST", url), seconds) from error
