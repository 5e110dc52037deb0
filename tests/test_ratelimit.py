"""The run's one rate limiter: pace, pause with jitter, adaptive concurrency.

Unit tests drive :class:`RateLimiter` with a fake clock and sleep (no time passes);
the end-to-end test runs a whole LLM run against an in-process server that admits
four requests at once (issue 8: with ``--concurrency 64`` and ``Retry-After: 1``, 2 of
30 articles failed because every retry came back at the same instant).
"""

from __future__ import annotations

import asyncio
import random

import httpx
import pytest
from stub_server import ConcurrencyCappedServer

from annotator.llm.ratelimit import (
    INITIAL_CONCURRENCY,
    RateLimiter,
    ServerLimits,
    jitter_spread,
    parse_reset,
)


class FakeTime:
    """A clock that only a (fake) sleep moves."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        if not self.frozen:
            self.now += seconds

    frozen = False
    """When set, sleeps are only recorded: waiters that start together all see one clock."""


def limiter(time: FakeTime, **kwargs) -> RateLimiter:
    return RateLimiter(clock=time.clock, sleep=time.sleep, rng=random.Random(0), **kwargs)


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("1s", 1.0), ("6m0s", 360.0), ("20ms", 0.02), ("1h2m3.5s", 3723.5), ("0.5", 0.5), ("", None), ("soon", None)],
)
def test_reset_durations(text, seconds):
    assert parse_reset(text) == seconds


def test_server_limits_from_openai_headers():
    limits = ServerLimits.from_headers({
        "x-ratelimit-limit-requests": "600", "x-ratelimit-remaining-requests": "0",
        "x-ratelimit-reset-requests": "100ms", "x-ratelimit-limit-tokens": "150000",
    })
    assert (limits.requests_per_minute, limits.remaining_requests, limits.reset_requests) == (600, 0, 0.1)
    assert limits.tokens_per_minute == 150000 and limits.remaining_tokens is None


async def test_requests_are_paced_at_the_given_rpm():
    time = FakeTime()
    rpm = limiter(time, requests_per_minute=600)
    sent = []
    for _ in range(5):
        async with rpm.request(10) as permit:
            sent.append(time.now)
            permit.succeeded({}, 10)
    assert [round(t - sent[0], 6) for t in sent] == [0.0, 0.1, 0.2, 0.3, 0.4], "one every 60/600 s, no burst"


async def test_tokens_are_paced_and_charged_at_their_real_count():
    time = FakeTime()
    tpm = limiter(time, tokens_per_minute=6000)  # 100 tokens a second
    async with tpm.request(100) as permit:
        permit.succeeded({}, 300)  # the answer cost three times the estimate
    start = time.now
    async with tpm.request(100) as permit:
        permit.succeeded({}, 100)
    assert time.now - start == pytest.approx(3.0), "the next request waits for the 300 tokens really spent"


async def test_limits_are_learned_from_headers_never_above_the_users():
    time = FakeTime()
    learned = limiter(time)
    async with learned.request(10) as permit:
        permit.succeeded({"x-ratelimit-limit-requests": "120", "x-ratelimit-limit-tokens": "90000"}, 10)
    assert (learned.requests_per_minute, learned.tokens_per_minute) == (120, 90000)
    capped = limiter(time, requests_per_minute=60)
    async with capped.request(10) as permit:
        permit.succeeded({"x-ratelimit-limit-requests": "120"}, 10)
    assert capped.requests_per_minute == 60


async def test_spent_budget_pauses_until_its_reset():
    time = FakeTime()
    spent = limiter(time)
    async with spent.request(10) as permit:
        permit.succeeded({"x-ratelimit-remaining-requests": "0", "x-ratelimit-reset-requests": "2s"}, 10)
    start = time.now
    async with spent.request(10) as permit:
        permit.succeeded({}, 10)
    assert 2.0 <= time.now - start <= 2.0 + jitter_spread(2.0)


async def test_429_pauses_the_whole_run_and_waiters_resume_spread_out():
    time = FakeTime()
    time.frozen = True
    run = limiter(time)
    async with run.request(10) as permit:
        permit.rate_limited({}, 1.0)

    async def one() -> None:
        async with run.request(10) as permit:
            permit.succeeded({}, 10)

    await asyncio.gather(*(one() for _ in range(3)))
    delays = time.sleeps
    assert len(delays) == 3 and len(set(delays)) == 3, "each waiter draws its own moment"
    assert all(1.0 <= d <= 1.0 + jitter_spread(1.0) for d in delays)


async def test_429_halves_concurrency_once_per_round_and_successes_grow_it_back():
    time = FakeTime()
    run = limiter(time)
    assert run.limit == INITIAL_CONCURRENCY, "a few at once until the first answer"
    async with run.request(10) as permit:
        permit.succeeded({}, 10)
    assert run.limit is None, "after the first answer only pacing applies"

    gate = asyncio.Event()
    permits = []

    async def hold() -> None:
        async with run.request(10) as permit:
            permits.append(permit)
            await gate.wait()
            permit.rate_limited({}, 0.0)

    tasks = [asyncio.create_task(hold()) for _ in range(16)]
    while len(permits) < 16:
        await asyncio.sleep(0)
    gate.set()
    await asyncio.gather(*tasks)
    assert run.limit == 8, "16 in flight answered 429: halved once, not sixteen times"
    assert run.stats.rate_limited == 16

    for _ in range(40):  # one request at a time never binds a limit of 8: no growth
        async with run.request(10) as permit:
            permit.succeeded({}, 10)
    assert run.limit == 8

    async def busy() -> None:
        async with run.request(10) as permit:
            await asyncio.sleep(0)
            permit.succeeded({}, 10)

    await asyncio.gather(*(busy() for _ in range(8)))
    assert run.limit == 9, "a round of successes while the limit binds adds one"
    await asyncio.gather(*(busy() for _ in range(8)))
    assert run.limit == 9, "8 at a time no longer reach a limit of 9: it stays"
    await asyncio.gather(*(busy() for _ in range(30)))
    assert run.limit is not None and 10 <= run.limit <= 12


async def test_capped_server_every_article_succeeds(tmp_path, monkeypatch):
    """Issue 8: 30 articles, --concurrency 64, a server admitting 4 at once with
    ``Retry-After: 1``. The run converges at the server's capacity: no article fails."""
    from annotator.backends import BackendChoice, BackendConfig
    from annotator.chunking import estimate_tokens
    from annotator.llm.backend import LLMBackend
    from annotator.llm.settings import LLMSettings
    from annotator.models import Article
    from annotator.prompts import PromptSet
    from annotator.runs import RunOptions, execute

    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-unused000000000000000000")
    server = ConcurrencyCappedServer(capacity=4, latency=0.2, retry_after="1")
    client = httpx.AsyncClient(transport=httpx.MockTransport(server))
    settings = LLMSettings(base_url="http://127.0.0.1:9/v1", preflight=False)  # the stub serves chat only
    backend = LLMBackend(settings, PromptSet(), http_client=client, count_tokens=estimate_tokens)
    articles = [Article(id=f"a{n}", text=f"Article {n}: the mayor said the bridge would open.", path=f"a{n}")
                for n in range(30)]
    config = BackendConfig(choice=BackendChoice.llm, llm=settings)
    report = await execute(articles, config, RunOptions(out=tmp_path / "out", concurrency=64), backend=backend)

    assert report.record.failed == 0 and report.record.annotated == 30
    assert server.answered == 30 and server.peak <= 4
    limiter_stats = backend.rate_limiter.stats
    assert limiter_stats.rate_limited == server.rejected
    assert report.record.usage.requests == 30 + server.rejected, "every attempt, 429s included, is counted"
