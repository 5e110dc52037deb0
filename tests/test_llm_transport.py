"""Transport faults, replayed: what is retried, how long it waits, what is never retried.

The sleep is injected (``fake_sleep``), so the waits are recorded instead of slept. The
cassettes (``cassettes/test_llm_transport/``) are synthetic by nature: a live endpoint
cannot be asked to fail on cue.
"""

from __future__ import annotations

import pytest

from annotator.llm.ratelimit import jitter_spread
from annotator.models import Usage

pytestmark = pytest.mark.vcr


def billed(http_log) -> Usage:
    total = Usage()
    for sent in http_log:
        usage = sent.response.json().get("usage") if sent.status == 200 else None
        fields = ("prompt_tokens", "completion_tokens", "total_tokens")
        total = total + Usage(requests=1, **({f: usage[f] for f in fields} if usage else {}))
    return total


async def test_rate_limit_honours_retry_after(
    annotate, llm_article, http_log, fake_sleep, llm_env, key_leaks
):
    article = llm_article("mali_bbc.txt")
    run = await annotate([article])
    result = run.result(article.id)

    assert [s.status for s in http_log] == [429, 200]
    assert http_log[0].response.headers["retry-after"] == "7"
    assert http_log[0].body == http_log[1].body, "the same request, sent again"
    (waited,) = fake_sleep.waits
    assert 7.0 <= waited <= 7.0 + jitter_spread(7.0), "the server's Retry-After plus jitter, not our own backoff"
    assert result.ok and len(result.claims) == 7, "one logical answer"
    assert result.usage == billed(http_log) and result.usage.requests == 2
    first, second = run.log(article.id)
    assert first["response"] is None and first["error"].startswith("RateLimitError: Error code: 429")
    assert second["error"] is None and second["response"]["id"] == http_log[1].response.json()["id"]
    assert key_leaks(run.out, llm_env) == []


async def test_server_error_is_retried_after_bounded_backoff(
    annotate, llm_article, http_log, fake_sleep, llm_env, key_leaks
):
    article = llm_article("mali_bbc.txt")
    run = await annotate([article])
    result = run.result(article.id)

    assert [s.status for s in http_log] == [500, 200]
    assert len(fake_sleep.delays) == 1
    assert 0 <= fake_sleep.delays[0] <= 1, "first backoff is jittered within [0, 1] s"
    assert result.ok and len(result.claims) == 7
    assert result.usage == billed(http_log)
    assert key_leaks(run.out, llm_env) == []


async def test_server_errors_stop_after_transport_attempts(
    annotate, llm_article, http_log, fake_sleep, llm_env, key_leaks
):
    article = llm_article("mali_bbc.txt")
    run = await annotate([article])
    result = run.result(article.id)

    assert [s.status for s in http_log] == [503] * 6, "transport_attempts=6, then give up"
    assert len(fake_sleep.delays) == 5
    for attempt, delay in enumerate(fake_sleep.delays):
        assert 0 <= delay <= min(2**attempt, 60), "jittered exponential backoff, capped"
    assert not result.ok
    (error,) = result.errors
    assert error.startswith("InternalServerError: Error code: 503")
    assert "overloaded" in error
    assert run.report.record.failed == 1
    assert key_leaks(run.out, llm_env) == []


async def test_authentication_error_is_not_retried(
    annotate, llm_article, http_log, fake_sleep, llm_env, key_leaks
):
    article = llm_article("mali_bbc.txt")
    run = await annotate([article])
    result = run.result(article.id)

    assert [s.status for s in http_log] == [401]
    assert fake_sleep.delays == []
    assert not result.ok and result.claims == []
    (error,) = result.errors
    assert error.startswith("AuthenticationError: Error code: 401")
    assert "Incorrect API key provided" in error and "invalid_api_key" in error
    assert llm_env not in error and "sk-" not in error
    assert key_leaks(run.out, llm_env) == []


async def test_insufficient_quota_is_not_retried(
    annotate, llm_article, http_log, fake_sleep, llm_env, key_leaks
):
    article = llm_article("mali_bbc.txt")
    run = await annotate([article])
    result = run.result(article.id)

    assert [s.status for s in http_log] == [429]
    assert fake_sleep.delays == [], "no quota comes back by waiting"
    assert not result.ok
    (error,) = result.errors
    assert error.startswith("RateLimitError: Error code: 429") and "insufficient_quota" in error
    assert "exceeded your current quota" in error
    assert key_leaks(run.out, llm_env) == []
