"""One limiter for every request of a run: how fast, how many at once, and when to pause.

Every request of a run, whichever article it belongs to, passes through one
:class:`RateLimiter`, so the run as a whole converges on what the server admits instead
of each article discovering the limit on its own. Three controls, each driven by its
own signal:

- **Pace**: requests and tokens per minute, from ``--rpm`` / ``--tpm`` or learned from the
  ``x-ratelimit-limit-*`` headers OpenAI (and servers copying it) send with every answer.
  Each request reserves the next free moment on both clocks (GCRA, no burst), so the
  run sends at the limit, never above it. ``x-ratelimit-remaining-* = 0`` pauses until
  the matching reset.
- **Pause**: a 429 pauses every request of the run for the server's ``Retry-After`` (or
  an exponential backoff when it gives none). Each waiting request resumes at its own
  jittered moment after the pause, so they do not all return at one instant.
- **Concurrency**: additive increase, multiplicative decrease. The run starts with a few
  requests in flight until the first answer (which may carry the limits), then opens
  up; a 429 halves the limit (from what was actually in flight, once per round of
  requests) and each round of successes grows it by one, only while the limit binds.

aiolimiter (a fixed leaky bucket) was considered: it cannot change its rate from headers
mid-run, charge a request's real token count afterwards, or pause for ``Retry-After``.
"""

from __future__ import annotations

import asyncio
import random
import re
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

Clock = Callable[[], float]
Sleep = Callable[[float], Awaitable[None]]

INITIAL_CONCURRENCY = 4
"""Requests in flight before the first answer tells us anything about the server."""
BACKOFF_BASE_SECONDS = 1.0
BACKOFF_CAP_SECONDS = 60.0
PAUSE_CAP_SECONDS = 120.0
JITTER_SHARE = 0.5
"""Requests resume spread over this share of the pause after it (0.25 s to 5 s)."""
MIN_JITTER_SECONDS = 0.25
MAX_JITTER_SECONDS = 5.0


def jitter_spread(pause: float) -> float:
    """How widely requests told to wait ``pause`` seconds spread their return."""
    return min(MAX_JITTER_SECONDS, max(MIN_JITTER_SECONDS, JITTER_SHARE * pause))

_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|h|m|s)")
_UNIT_SECONDS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}


def parse_reset(value: str | None) -> float | None:
    """Seconds in an ``x-ratelimit-reset-*`` header: ``"1s"``, ``"6m0s"``, ``"20ms"``, ``"0.5"``."""
    if not value:
        return None
    text = value.strip()
    try:
        return max(0.0, float(text))
    except ValueError:
        pass
    parts = _DURATION_PART.findall(text)
    if not parts or "".join(n + u for n, u in parts) != text:
        return None
    return sum(float(number) * _UNIT_SECONDS[unit] for number, unit in parts)


def _number(value: str | None) -> float | None:
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


@dataclass(frozen=True)
class ServerLimits:
    """What one answer's ``x-ratelimit-*`` headers say (absent fields are ``None``)."""

    requests_per_minute: float | None = None
    tokens_per_minute: float | None = None
    remaining_requests: float | None = None
    remaining_tokens: float | None = None
    reset_requests: float | None = None
    reset_tokens: float | None = None

    @classmethod
    def from_headers(cls, headers: Mapping[str, str]) -> ServerLimits:
        return cls(
            requests_per_minute=_number(headers.get("x-ratelimit-limit-requests")),
            tokens_per_minute=_number(headers.get("x-ratelimit-limit-tokens")),
            remaining_requests=_number(headers.get("x-ratelimit-remaining-requests")),
            remaining_tokens=_number(headers.get("x-ratelimit-remaining-tokens")),
            reset_requests=parse_reset(headers.get("x-ratelimit-reset-requests")),
            reset_tokens=parse_reset(headers.get("x-ratelimit-reset-tokens")),
        )


class Pace:
    """A per-minute budget as a schedule (GCRA without burst): each reservation of
    ``cost`` units takes the next free moment and pushes it on by ``cost`` units' time."""

    def __init__(self, per_minute: float | None) -> None:
        self.per_minute = per_minute
        self._next = 0.0

    def reserve(self, cost: float, earliest: float) -> float:
        """The moment a request of ``cost`` may go, no sooner than ``earliest``."""
        if not self.per_minute or cost <= 0:
            return earliest
        start = max(self._next, earliest)
        self._next = start + cost * 60.0 / self.per_minute
        return start

    def charge(self, extra: float) -> None:
        """Correct a reservation once the real cost is known (``extra`` may be negative)."""
        if self.per_minute:
            self._next += extra * 60.0 / self.per_minute


@dataclass
class LimiterStats:
    """What the limiter saw, for benchmarks and the run's summary."""

    requests: int = 0
    rate_limited: int = 0
    paused_seconds: float = 0.0
    lowest_limit: int | None = None


@dataclass
class Permit:
    """One request's place in the limiter; report how it went before leaving."""

    limiter: RateLimiter
    estimate: int
    round: int
    outcome: str | None = field(default=None)

    def succeeded(self, headers: Mapping[str, str], tokens_used: int | None) -> None:
        """The server answered: learn its limits, charge the real tokens, grow."""
        self.outcome = "ok"
        self.limiter._succeeded(self, ServerLimits.from_headers(headers), tokens_used)

    def rate_limited(self, headers: Mapping[str, str], retry_after: float | None) -> None:
        """The server answered 429 (not a quota error): shrink and pause the run."""
        self.outcome = "429"
        self.limiter._rate_limited(self, ServerLimits.from_headers(headers), retry_after)


class RateLimiter:
    """Paces, pauses and bounds every request of a run (see the module docstring).

    ``clock``, ``sleep`` and ``rng`` are seams: a test drives the limiter with a fake
    sleep (delays recorded, never slept) and a seeded random source. Every wait is one
    call to ``sleep``, computed from the clock once, so a fake sleep cannot spin.
    """

    def __init__(
        self,
        requests_per_minute: float | None = None,
        tokens_per_minute: float | None = None,
        *,
        clock: Clock = time.monotonic,
        sleep: Sleep = asyncio.sleep,
        rng: random.Random | None = None,
    ) -> None:
        self._fixed_rpm = requests_per_minute
        self._fixed_tpm = tokens_per_minute
        self._requests = Pace(requests_per_minute)
        self._tokens = Pace(tokens_per_minute)
        self._clock = clock
        self._sleep = sleep
        self._rng = rng or random.Random()
        self._limit: float | None = float(INITIAL_CONCURRENCY)
        self._probing = True
        self._in_flight = 0
        self._sending = 0
        self._grew = False
        self._saturated = False
        self._pauses = 0
        self._round = 0
        self._resume_at = 0.0
        self._consecutive_429 = 0
        self._slots: asyncio.Condition | None = None
        self.stats = LimiterStats()

    @property
    def limit(self) -> int | None:
        """Requests allowed in flight now; ``None`` when only pacing applies."""
        return None if self._limit is None else self._whole_limit()

    def _whole_limit(self) -> int:
        return max(1, int((self._limit or 0) + 1e-9))

    @property
    def requests_per_minute(self) -> float | None:
        return self._requests.per_minute

    @property
    def tokens_per_minute(self) -> float | None:
        return self._tokens.per_minute

    @asynccontextmanager
    async def request(self, estimate: int) -> AsyncIterator[Permit]:
        """Hold a place for one request of about ``estimate`` tokens while it is sent."""
        slots = self._slots = self._slots or asyncio.Condition()
        async with slots:
            while self.limit is not None and self._in_flight >= self.limit:
                await slots.wait()
            self._in_flight += 1
        sending = False
        try:
            await self._wait_turn(estimate)
            self._sending += 1
            sending = True
            self._saturated = self.limit is not None and self._sending >= self.limit
            self.stats.requests += 1
            yield Permit(self, estimate, self._round)
        finally:
            self._sending -= sending
            async with slots:
                self._in_flight -= 1
                if self._grew:
                    self._grew = False
                    slots.notify_all()
                else:
                    slots.notify()

    async def _wait_turn(self, estimate: int) -> None:
        """Sleep until the pause (jittered) is over and both paces allow the request.

        Looks again after sleeping only if a new pause began meanwhile, so a fake sleep
        (which does not move the clock) is called a bounded number of times."""
        seen = -1
        while seen != self._pauses:
            seen = self._pauses
            now = self._clock()
            earliest = now
            if self._resume_at > now:
                earliest = self._resume_at + self._rng.uniform(0.0, jitter_spread(self._resume_at - now))
            start = max(self._requests.reserve(1, earliest), self._tokens.reserve(estimate, earliest))
            if start > now:
                await self._sleep(start - now)

    def _succeeded(self, permit: Permit, limits: ServerLimits, tokens_used: int | None) -> None:
        self._consecutive_429 = 0
        self._learn(limits)
        if tokens_used is not None:
            self._tokens.charge(tokens_used - permit.estimate)
        if self._probing:
            self._probing = False  # the first answer is in: pacing (if any) now knows the limits
            self._limit = None
            self._grew = True
        elif self._limit is not None and self._saturated:
            self._limit += 1.0 / self._whole_limit()  # one more per round of successes, only while it binds
            self._grew = True

    def _rate_limited(self, permit: Permit, limits: ServerLimits, retry_after: float | None) -> None:
        self.stats.rate_limited += 1
        self._learn(limits)
        self._probing = False
        if permit.round == self._round:  # one decrease per round: the rest of it saw the old limit
            self._round += 1
            self._limit = float(max(1, self._sending // 2))
            lowest = self.stats.lowest_limit
            self.stats.lowest_limit = int(self._limit) if lowest is None else min(lowest, int(self._limit))
        self._consecutive_429 += 1
        if retry_after is None:
            retry_after = min(BACKOFF_CAP_SECONDS, BACKOFF_BASE_SECONDS * 2 ** (self._consecutive_429 - 1))
        self._pause(min(retry_after, PAUSE_CAP_SECONDS))

    def _learn(self, limits: ServerLimits) -> None:
        """Adopt the server's per-minute limits (never above the user's), and pause when
        a budget is spent until it resets."""
        if limits.requests_per_minute:
            self._requests.per_minute = _lower(self._fixed_rpm, limits.requests_per_minute)
        if limits.tokens_per_minute:
            self._tokens.per_minute = _lower(self._fixed_tpm, limits.tokens_per_minute)
        if limits.remaining_requests is not None and limits.remaining_requests <= 0 and limits.reset_requests:
            self._pause(limits.reset_requests)
        if limits.remaining_tokens is not None and limits.remaining_tokens <= 0 and limits.reset_tokens:
            self._pause(limits.reset_tokens)

    def _pause(self, seconds: float) -> None:
        now = self._clock()
        until = now + seconds
        if until > self._resume_at:
            self.stats.paused_seconds += until - max(self._resume_at, now)
            self._resume_at = until
            self._pauses += 1


def _lower(fixed: float | None, learned: float) -> float:
    return min(fixed, learned) if fixed else learned
