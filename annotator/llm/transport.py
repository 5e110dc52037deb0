"""One logical request to the model's endpoint: shaped for the server's dialect, with
transient faults retried here, and only here.

429 (except ``insufficient_quota``), 5xx, timeouts, dropped connections and 200 answers
that are not a chat completion (an HTML error page from a proxy, a body cut off) are
retried with jittered exponential backoff that honours ``Retry-After``. Never retried:
400/401/403, ``insufficient_quota``, and a server refusing the request's shape (see
:func:`annotator.llm.dialects.rejection`), which would refuse it again. Against a local
single-slot server a timed-out request is retried once: the server finishes the
abandoned generation (it does not notice the client left), so the retry waits behind it
and can only gain from the prompt it cached; a second timeout ends the article. The
SDK's own retries are off so nothing retries twice. Every attempt is metered, so failed
ones are paid for too.

Every attempt passes through the run's :class:`~annotator.llm.ratelimit.RateLimiter`,
shared by all requests of the run: it paces them, bounds how many are in flight, and
after a 429 pauses the whole run (jittered), so a rate-limited attempt waits there and
not in the retry loop. Rate-limit answers have their own allowance of attempts
(``RATE_LIMIT_ATTEMPTS``): the run slowing down for them is the cure, not a failure.

Each attempt has an overall deadline (``--timeout``), on top of the HTTP client's timeout
between two reads: a server that trickles one byte every few seconds never trips a read
timeout, but it cannot hold an attempt past the deadline. A missed deadline is a timeout
like any other, so it is retried (only once by a local server, which finishes the
request its client abandoned before it takes the next).
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
from tenacity import AsyncRetrying, RetryCallState, wait_random_exponential

from annotator.llm.dialects import Shaped, ollama_completion, rejection, server_root, shape
from annotator.llm.preflight import EndpointUnusable, ServerInfo, props_context, read_model_list
from annotator.llm.ratelimit import RateLimiter, jitter_spread
from annotator.llm.settings import Dialect, LLMSettings
from annotator.models import Exchange, Usage
from annotator.secrets import redact

RETRY_AFTER_CAP_SECONDS = 120.0
PREFLIGHT_SECONDS = 15.0
LOCAL_TIMEOUT_ATTEMPTS = 2
RATE_LIMIT_ATTEMPTS = 30
"""Attempts of one request answered 429 (rate limit, not quota) before it fails."""
NO_KEY = "no-key-configured"
"""Sent when no key is set: local servers accept anything, OpenAI answers 401."""
BODY_CLIP = 200

Sleep = Callable[[float], Awaitable[None]]


class DeadlineExceeded(openai.APITimeoutError):
    """An attempt took longer in total than the deadline (``--timeout``)."""

    def __init__(self, request: httpx.Request, seconds: float) -> None:
        openai.APIConnectionError.__init__(
            self, message=f"no complete answer within the {seconds:g} s deadline (--timeout)", request=request
        )


class UnreadableResponse(openai.APIError):
    """A 2xx answer that is not a chat completion: an HTML page, a body cut off."""

    def __init__(self, request: httpx.Request, what: str) -> None:
        super().__init__(what, request, body=None)


class RequestRejected(openai.APIError):
    """The server refuses the request's shape; says which dialect or mode to try."""

    def __init__(self, cause: openai.APIStatusError, field: str, dialect: Dialect) -> None:
        self.field = field
        if field in ("response_format", "json_schema"):
            hint = {
                Dialect.openai: "a llama.cpp or llama-cpp-python server takes --dialect llamacpp",
                Dialect.llamacpp: "an OpenAI-style server takes --dialect openai",
                Dialect.ollama: "Ollama's OpenAI route takes --dialect openai",
                Dialect.auto: "choose one with --dialect",
            }[dialect]
        else:
            hint = "try another --mode (json_schema, json, tools)"
        super().__init__(f"the server rejected the request's {field!r} field (dialect {dialect.value}; {hint}): "
                         f"{cause}", cause.request, body=cause.body)


def is_transient(error: BaseException) -> bool:
    """Worth retrying: rate limits (not quota), server errors, timeouts, dropped connections,
    unreadable 200s; never a refusal of the request's shape.

    The SDK reports any exception raised while sending as a connection error; only a
    network fault (``httpx.TransportError``) is retried, not a bug or a refusal below it.
    """
    if isinstance(error, UnreadableResponse):
        return True
    if isinstance(error, openai.RateLimitError):
        return not _insufficient_quota(error)
    if isinstance(error, openai.APIConnectionError) and not isinstance(error, openai.APITimeoutError):
        return error.__cause__ is None or isinstance(error.__cause__, httpx.TransportError)
    if rejection(error) is not None:
        return False
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
        snapshot = json.loads(json.dumps(request, default=str))
        self.exchanges.append(Exchange(request=snapshot, response=dumped, error=error))


class Transport:
    """The endpoint behind one client: pre-flight, dialect, the retry policy applied.

    ``http_client`` and ``sleep`` are the seams tests (and callers with their own proxy
    or event loop) use instead of patching: an ``httpx.AsyncClient`` with any transport,
    and the coroutine that waits between attempts. ``settings`` must be resolved
    (:meth:`LLMSettings.resolved`); :meth:`preflight` may change them for the dialect the
    server turns out to speak.
    """

    def __init__(
        self,
        settings: LLMSettings,
        api_key: str | None,
        *,
        http_client: httpx.AsyncClient | None = None,
        sleep: Sleep = asyncio.sleep,
        chosen: Dialect = Dialect.auto,
        limiter: RateLimiter | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self.settings = settings
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
        self.base_url = str(self._client.base_url).rstrip("/")
        self.endpoint = urlparse(self.base_url).hostname
        self.dialect_chosen = chosen
        """The dialect as the user gave it: ``auto`` lets a refusal change the one in force."""

    @property
    def dialect(self) -> Dialect:
        return self.settings.dialect

    async def aclose(self) -> None:
        """Close the connections, unless the caller passed its own client (theirs to close)."""
        if not self._callers_client:
            await self._client.close()

    def redact(self, text: str) -> str:
        """``text`` without the key this transport sends, or anything key-shaped."""
        return redact(text, self._key)

    # ------------------------------------------------------------------ pre-flight

    async def preflight(self, unresolved: LLMSettings) -> ServerInfo:
        """Ask the server once; raises :class:`EndpointUnusable` when the run cannot work.

        ``unresolved`` are the settings as given, so that what the user left to ``auto``
        can follow the server the pre-flight found.
        """
        try:
            response = await self._get(f"{self.base_url}/models")
        except openai.APITimeoutError:
            return ServerInfo(dialect=self.dialect, notes=[
                f"GET /models had no answer within {PREFLIGHT_SECONDS:g} s (a busy local server "
                "answers after its current request); going on"])
        except openai.APIConnectionError as error:
            raise EndpointUnusable(f"cannot reach {self.base_url}: {self.redact(describe(error))}") from error
        except (openai.AuthenticationError, openai.PermissionDeniedError) as error:
            raise EndpointUnusable(f"the endpoint refused the key: {self.redact(describe(error))}") from error
        except openai.APIStatusError as error:
            info = ServerInfo(dialect=unresolved.guessed_dialect())
            if error.status_code >= 500:
                info.notes.append(f"GET /models answered {error.status_code}; going on")
            return self._adopt(info, unresolved)
        try:
            data = response.json()
        except ValueError:
            data = None
        info = read_model_list(data, unresolved)
        if info.kind == "llama.cpp" and not info.context_tokens:
            info.context_tokens = await self._props_context()
        if info.kind in (None, "openai") and ":11434" in self.base_url and await self._answers("/api/version"):
            info.kind, info.dialect = "ollama", Dialect.ollama
        return self._adopt(info, unresolved)

    def _adopt(self, info: ServerInfo, unresolved: LLMSettings) -> ServerInfo:
        dialect = unresolved.dialect if unresolved.dialect is not Dialect.auto else info.dialect
        if info.context_tokens and not unresolved.context_tokens:
            unresolved = LLMSettings(**{**unresolved.__dict__, "context_tokens": info.context_tokens})
        self.settings = unresolved.resolved(dialect)
        return info

    async def _get(self, url: str) -> httpx.Response:
        seconds = min(PREFLIGHT_SECONDS, self.settings.timeout_seconds or PREFLIGHT_SECONDS)
        try:
            async with asyncio.timeout(seconds):
                return await self._client.get(url, cast_to=httpx.Response, options={"timeout": seconds})
        except TimeoutError as error:
            raise DeadlineExceeded(httpx.Request("GET", url), seconds) from error

    async def _answers(self, path: str) -> bool:
        try:
            await self._get(server_root(self.base_url) + path)
        except openai.APIError:
            return False
        return True

    async def _props_context(self) -> int | None:
        try:
            return props_context((await self._get(server_root(self.base_url) + "/props")).json())
        except (openai.APIError, ValueError):
            return None

    # ---------------------------------------------------------------- the request

    async def send(self, meter: Meter, kwargs: dict[str, Any], max_tokens: int) -> ChatCompletion:
        """One logical request, shaped for the dialect: retried on transient faults,
        every attempt metered. A refusal of the request's shape while the dialect was
        left to ``auto`` switches OpenAI's spelling to llama.cpp's once."""
        try:
            return await self._send(meter, shape(kwargs, self.settings, self.dialect, max_tokens))
        except RequestRejected as refusal:
            spelling = refusal.field in ("response_format", "json_schema")
            if not spelling or self.dialect_chosen is not Dialect.auto or self.dialect is not Dialect.openai:
                raise
            self.settings = LLMSettings(**{**self.settings.__dict__, "dialect": Dialect.llamacpp})
            return await self._send(meter, shape(kwargs, self.settings, self.dialect, max_tokens))

    async def _send(self, meter: Meter, shaped: Shaped) -> ChatCompletion:
        faults = {"rate_limited": 0, "other": 0, "timeouts": 0}

        def spent(state: RetryCallState) -> bool:
            return (
                faults["other"] >= self.settings.transport_attempts
                or faults["rate_limited"] >= RATE_LIMIT_ATTEMPTS
            )

        def retry(state: RetryCallState) -> bool:
            error = state.outcome.exception() if state.outcome else None
            if error is None or not is_transient(error):
                return False
            if isinstance(error, openai.APITimeoutError) and self.dialect.local:
                faults["timeouts"] += 1
                return faults["timeouts"] < LOCAL_TIMEOUT_ATTEMPTS
            return True

        retrying = AsyncRetrying(
            stop=spent,
            retry=retry,
            wait=WaitForServer(
                wait_random_exponential(multiplier=1, max=60), RETRY_AFTER_CAP_SECONDS, self._rng
            ),
            sleep=self._sleep,
            reraise=True,
        )
        estimate = estimate_tokens(shaped.body)
        async for attempt in retrying:
            with attempt:
                async with self.limiter.request(estimate) as permit:
                    try:
                        response, headers = await self._attempt(shaped)
                    except openai.APIError as error:
                        rate_limited = is_rate_limited(error)
                        faults["rate_limited" if rate_limited else "other"] += 1
                        if rate_limited:
                            said = error.response.headers if isinstance(error, openai.APIStatusError) else {}
                            permit.rate_limited(said, retry_after_seconds(error))
                        meter.record(shaped.body, None, self.redact(describe(error)))
                        if (field := rejection(error)) is not None and isinstance(error, openai.APIStatusError):
                            raise RequestRejected(error, field, self.dialect) from error
                        raise
                    used = response.usage.total_tokens if response.usage is not None else None
                    permit.succeeded(headers, used)
                meter.record(shaped.body, response, None)
                return response
        raise AssertionError("unreachable: tenacity re-raises the last error")  # pragma: no cover

    async def _attempt(self, shaped: Shaped) -> tuple[ChatCompletion, httpx.Headers]:
        """One HTTP request, cut off at the deadline however the bytes arrive; the answer
        and its headers (the rate limiter reads the server's limits there)."""
        seconds = self.settings.timeout_seconds or 0
        url = f"{self.base_url}/chat/completions"
        if shaped.route == "ollama":
            url = f"{server_root(self.base_url)}/api/chat"
        try:
            async with asyncio.timeout(seconds):
                if shaped.route == "ollama":
                    raw = await self._client.post(url, body=shaped.body, cast_to=httpx.Response,
                                                  options={"timeout": seconds})
                    return ollama_completion(_json_object(raw, url)), raw.headers
                answer = await self._client.chat.completions.with_raw_response.create(
                    **shaped.body, timeout=seconds
                )
        except TimeoutError as error:
            raise DeadlineExceeded(httpx.Request("POST", url), seconds) from error
        try:
            parsed: object = answer.parse()
        except ValueError:  # a JSON body cut off
            parsed = None
        if isinstance(parsed, ChatCompletion) and parsed.choices:
            return parsed, answer.headers
        raise UnreadableResponse(httpx.Request("POST", url), _what_came(answer.http_response))


def _json_object(response: httpx.Response, url: str) -> dict[str, Any]:
    """The JSON object of a 2xx answer, or :class:`UnreadableResponse` saying what came."""
    try:
        data = json.loads(response.text)
    except ValueError:
        data = None
    if not isinstance(data, dict):
        raise UnreadableResponse(httpx.Request("POST", url), _what_came(response))
    return data


def _what_came(response: httpx.Response) -> str:
    """A 2xx answer that is no chat completion, described for the error message."""
    kind = response.headers.get("content-type", "").split(";")[0].strip() or "no content type"
    text = response.text
    shown = " ".join(text.split())[:BODY_CLIP]
    if not text.strip():
        what = "an empty body"
    elif kind == "application/json" and text.lstrip().startswith("{"):
        try:
            json.loads(text)
            what = "JSON that is not a chat completion (no choices)"
        except ValueError:
            what = f"a JSON body cut off after {len(text)} characters"
    else:
        what = f"{kind}, not a chat completion"
    return f"the server answered {response.status_code} with {what}: {shown!r}"
