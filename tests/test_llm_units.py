"""The LLM module's pure helpers: error classification, Retry-After, redaction, reading answers.

No HTTP here except one scripted ``httpx.MockTransport`` exchange for a leak that no
cassette may hold (a key echoed back by a server).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from types import SimpleNamespace

import httpx
import openai
import pytest
from hypothesis import given
from hypothesis import strategies as st
from tenacity import RetryCallState

from annotator.llm.answer import complete_items, read_answer
from annotator.llm.settings import ExtractionMode
from annotator.llm.transport import (
    RETRY_AFTER_CAP_SECONDS,
    WaitRetryAfter,
    describe,
    is_transient,
    retry_after_seconds,
)
from annotator.models import Article
from annotator.secrets import redact

REQUEST = httpx.Request("POST", "https://api.openai.com/v1/chat/completions")


def status_error(status: int, body: dict | None = None, headers: dict | None = None) -> openai.APIStatusError:
    """The exception the SDK raises for this response (same class mapping as the client)."""
    response = httpx.Response(status, json=body or {}, headers=headers or {}, request=REQUEST)
    client = openai.AsyncOpenAI(api_key="unused", max_retries=0)
    data = (body or {}).get("error", body)
    return client._make_status_error(f"Error code: {status} - {body}", body=data, response=response)


def quota_error() -> openai.APIStatusError:
    body = {"error": {"message": "You exceeded your current quota", "type": "insufficient_quota",
                      "param": None, "code": "insufficient_quota"}}
    return status_error(429, body)


@pytest.mark.parametrize(
    ("error", "transient"),
    [
        (status_error(429, {"error": {"message": "slow down", "type": "requests", "param": None,
                                      "code": "rate_limit_exceeded"}}), True),
        (quota_error(), False),
        (status_error(500), True),
        (status_error(503), True),
        (openai.APITimeoutError(request=REQUEST), True),
        (openai.APIConnectionError(request=REQUEST), True),
        (status_error(400), False),
        (status_error(401), False),
        (status_error(403), False),
        (status_error(404), False),
        (ValueError("not an API error"), False),
    ],
    ids=lambda value: type(value).__name__ if isinstance(value, BaseException) else str(value),
)
def test_is_transient(error, transient):
    assert is_transient(error) is transient


def test_error_classes_match_statuses():
    assert isinstance(status_error(401), openai.AuthenticationError)
    assert isinstance(quota_error(), openai.RateLimitError)
    assert isinstance(status_error(503), openai.InternalServerError)


@pytest.mark.parametrize(
    ("headers", "seconds"),
    [
        ({"retry-after": "7"}, 7.0),
        ({"retry-after": "0.5"}, 0.5),
        ({"retry-after-ms": "1500", "retry-after": "9"}, 1.5),
        ({"retry-after": "-3"}, 0.0),
        ({}, None),
    ],
)
def test_retry_after_seconds(headers, seconds):
    assert retry_after_seconds(status_error(429, headers=headers)) == seconds


def test_retry_after_http_date():
    moment = datetime.now(UTC) + timedelta(seconds=30)
    waited = retry_after_seconds(status_error(503, headers={"retry-after": format_datetime(moment, usegmt=True)}))
    assert 25 <= waited <= 31


def test_retry_after_without_response():
    assert retry_after_seconds(openai.APIConnectionError(request=REQUEST)) is None
    assert retry_after_seconds(None) is None


def test_garbled_retry_after_falls_back_to_backoff():
    assert retry_after_seconds(status_error(503, headers={"retry-after": "soon"})) is None


def state_after(error: BaseException, attempt: int = 1) -> RetryCallState:
    state = RetryCallState(retry_object=SimpleNamespace(), fn=None, args=(), kwargs={})
    state.attempt_number = attempt
    state.set_exception((type(error), error, None))
    return state


def test_wait_honours_retry_after_and_caps_it():
    wait = WaitRetryAfter(lambda state: 99.0, RETRY_AFTER_CAP_SECONDS)
    assert wait(state_after(status_error(429, headers={"retry-after": "7"}))) == 7.0
    assert wait(state_after(status_error(429, headers={"retry-after": "3600"}))) == RETRY_AFTER_CAP_SECONDS
    assert wait(state_after(status_error(500))) == 99.0, "no header: the fallback backoff"


KEYS = st.from_regex(r"sk-(proj-)?[A-Za-z0-9_\-]{20,60}", fullmatch=True)


@given(prefix=st.text(max_size=30), key=KEYS, suffix=st.text(max_size=30))
def test_redact_removes_anything_key_shaped(prefix, key, suffix):
    cleaned = redact(f"{prefix} {key} {suffix}")
    assert key not in cleaned and "[redacted]" in cleaned


@given(secret=st.text(alphabet=st.characters(whitelist_categories=("L", "N")), min_size=8, max_size=40))
def test_redact_removes_the_configured_secret_whatever_its_shape(secret):
    assert secret not in redact(f"Received API Key = {secret}.", secret)


TEXT = "The mayor said the bridge would open in May. Critics said it was too expensive."


def completion(raw: str, mode: ExtractionMode, finish_reason: str = "stop") -> SimpleNamespace:
    if mode is ExtractionMode.tools:
        call = SimpleNamespace(id="call_1", function=SimpleNamespace(arguments=raw))
        message = SimpleNamespace(tool_calls=[call], content=None)
    else:
        message = SimpleNamespace(tool_calls=None, content=raw)
    return SimpleNamespace(choices=[SimpleNamespace(message=message, finish_reason=finish_reason)])


def claim(content: str, mention: str = "The mayor", cue: str = "said", **changes) -> dict:
    return {"speaker": "mayor", "speaker_type": "person", "mention": mention, "cue": cue,
            "content": content, "quote_type": "indirect", "hedging": "none", "stance": "neutral",
            "restatement": content, **changes}


ANSWER = {"claims": [
    claim("the bridge would open in May"),
    claim("the bridge will never open"),
    claim("it was too expensive", mention="Critics", hedging="medium"),
]}


@pytest.mark.parametrize(
    ("mode", "raw"),
    [
        (ExtractionMode.tools, json.dumps(ANSWER)),
        (ExtractionMode.json_schema, json.dumps(ANSWER)),
        (ExtractionMode.json, "```json\n" + json.dumps(ANSWER, indent=2) + "\n```"),
    ],
)
def test_reading_keeps_what_grounds_and_explains_the_rest(mode, raw):
    reading = read_answer(completion(raw, mode), TEXT, mode)
    assert [c.content for c in reading.grounded] == ["the bridge would open in May"]
    assert reading.grounded[0].spans.content[0].start == TEXT.index("the bridge would open in May")
    reasons = {f.content: f.reason for f in reading.failed}
    assert reasons["it was too expensive"] == (
        "invalid claim: hedging: Input should be 'none', 'low' or 'high'"
    )
    assert reasons["the bridge will never open"].startswith("content not found verbatim")
    assert [f.item for f in reading.failed] == [ANSWER["claims"][2], ANSWER["claims"][1]], "as written"
    assert reading.problem is None and not reading.truncated and not reading.settled
    assert reading.call_id == ("call_1" if mode is ExtractionMode.tools else None)


def test_reading_json_with_prose_around_the_fence():
    raw = "Here are the claims:\n```json\n" + json.dumps(ANSWER) + "\n```\nLet me know if you need more."
    reading = read_answer(completion(raw, ExtractionMode.json), TEXT, ExtractionMode.json)
    assert [c.content for c in reading.grounded] == ["the bridge would open in May"]


@pytest.mark.parametrize(
    ("raw", "problem"),
    [
        ('{"claims": [', "the answer is not valid JSON (Expecting value: line 1 column 13 (char 12))"),
        ('{"claims": null}', 'the answer\'s "claims" is null, not a list'),
        (json.dumps(ANSWER["claims"]), 'the answer is a bare JSON array; expected an object with a "claims" list'),
        ('{"quotes": []}', 'the answer has no "claims" list'),
        ("", "the answer is empty"),
    ],
    ids=["cut-json", "claims-null", "bare-array", "no-claims-key", "empty"],
)
def test_an_answer_that_is_no_claims_list_is_a_problem_not_zero_claims(raw, problem):
    reading = read_answer(completion(raw, ExtractionMode.tools), TEXT, ExtractionMode.tools)
    assert reading.problem is not None and reading.problem.startswith(problem)
    assert reading.grounded == [] and reading.failed == [] and not reading.settled


def test_no_answer_at_all_is_a_problem():
    assert read_answer(None, TEXT, ExtractionMode.tools).problem == "the server sent no answer (no choices)"
    assert read_answer(SimpleNamespace(choices=[]), TEXT, ExtractionMode.json).problem.startswith("the server sent")


def test_an_answer_cut_at_the_token_limit_keeps_its_complete_claims():
    whole = json.dumps({"claims": [claim("the bridge would open in May"), claim("it was too expensive",
                                                                            mention="Critics")]})
    cut = whole[: whole.index('"it was too') + 5]
    reading = read_answer(completion(cut, ExtractionMode.json_schema, "length"), TEXT, ExtractionMode.json_schema)
    assert reading.truncated and reading.problem is None
    assert [c.content for c in reading.grounded] == ["the bridge would open in May"]
    assert reading.items == [claim("the bridge would open in May")] and not reading.looping
    before_first = read_answer(completion('{"claims": [{"speaker": "may', ExtractionMode.json, "length"), TEXT,
                               ExtractionMode.json)
    assert before_first.truncated and before_first.problem.startswith("the answer was cut off at the token limit")


def test_an_answer_that_used_every_token_is_cut_off_whatever_its_finish_reason():
    """llama-cpp-python, tools mode: a tool call cut at max_tokens comes back as
    finish_reason "tool_calls" (seen on PolNeAR dev with the local model, 2048 of 2048)."""
    whole = json.dumps({"claims": [claim("the bridge would open in May"), claim("it was too expensive",
                                                                            mention="Critics")]})
    cut = completion(whole[: whole.index('"it was too') + 5], ExtractionMode.tools, "tool_calls")
    cut.usage = SimpleNamespace(completion_tokens=2048)
    reading = read_answer(cut, TEXT, ExtractionMode.tools, max_tokens=2048)
    assert reading.truncated and reading.problem is None
    assert [c.content for c in reading.grounded] == ["the bridge would open in May"]
    short = read_answer(cut, TEXT, ExtractionMode.tools, max_tokens=4096)
    assert not short.truncated and short.problem.startswith("the answer is not valid JSON"), \
        "below the limit, broken JSON is broken, not cut off"


def test_complete_items_of_a_cut_list():
    assert complete_items('{"claims": [{"a": 1}, {"b": [2, 3]}, {"c": "x') == [{"a": 1}, {"b": [2, 3]}]
    assert complete_items('{"claims":[]') == [] and complete_items("no list here") == []


def test_a_cut_answer_repeating_itself_is_looping():
    same = claim("the bridge would open in May")
    raw = json.dumps({"claims": [same] * 5 + [claim("it was too expensive", mention="Critics")] * 2})[:-3]
    reading = read_answer(completion(raw, ExtractionMode.json_schema, "length"), TEXT, ExtractionMode.json_schema)
    assert reading.truncated and reading.looping and len(reading.items) == 6
    whole = read_answer(completion(raw + '"}]}', ExtractionMode.json_schema), TEXT, ExtractionMode.json_schema)
    assert not whole.looping, "only an answer cut off while repeating is a loop"


async def test_echoed_key_of_any_shape_never_reaches_the_output(
    monkeypatch, tmp_path, fake_sleep, key_leaks
):
    from annotator.llm.backend import LLMBackend
    from annotator.llm.settings import LLMSettings
    from annotator.pipeline import run
    from annotator.prompts import PromptSet
    from annotator.store import Store

    key = "local-token-7f3a9c2e1b5d"  # e.g. `vllm serve --api-key ...`
    monkeypatch.setenv("OPENAI_API_KEY", key)

    def proxy(request: httpx.Request) -> httpx.Response:  # a proxy that quotes what it received
        presented = request.headers["authorization"].removeprefix("Bearer ")
        return httpx.Response(401, json={"error": {"message": f"Received API Key = {presented}, not valid",
                                                   "type": "auth_error", "param": None, "code": "401"}})

    client = httpx.AsyncClient(transport=httpx.MockTransport(proxy))
    settings = LLMSettings(base_url="http://127.0.0.1:8000/v1")
    backend = LLMBackend(settings, PromptSet(), sleep=fake_sleep, http_client=client)
    totals = await run([Article(id="a", text=TEXT, path="a.txt")], backend, Store(tmp_path / "out"))
    assert totals.failed == 1
    assert key_leaks(tmp_path / "out", key) == []


def test_only_network_faults_beneath_the_sdk_are_retried():
    """The SDK reports any exception while sending as a connection error; a bug or a refusal
    below it (a cassette without the request) must fail at once, not be retried."""
    network = openai.APIConnectionError(request=REQUEST)
    network.__cause__ = httpx.ConnectError("[Errno 111] Connection refused")
    refusal = openai.APIConnectionError(request=REQUEST)
    refusal.__cause__ = RuntimeError("the cassette holds no such request")
    assert is_transient(network) and is_transient(openai.APIConnectionError(request=REQUEST))
    assert not is_transient(refusal)
    assert describe(network) == "APIConnectionError: Connection error. (ConnectError: [Errno 111] Connection refused)"
