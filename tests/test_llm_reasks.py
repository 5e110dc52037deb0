"""Re-asks that stay inside the context, answers cut short, loops, refusals, unreadable 200s,
empty answers that look wrong: the LLM backend against scripted servers in memory.

Every server here is an ``httpx.MockTransport`` answering in the OpenAI wire format (or
llama-cpp-python's refusal, measured), so each case states exactly what the server did
and the assertions say what the run made of it.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from annotator.backends import BackendChoice, BackendConfig
from annotator.chunking import estimate_tokens
from annotator.llm.backend import LLMBackend
from annotator.llm.budget import request_tokens
from annotator.llm.settings import Dialect, ExtractionMode, LLMSettings
from annotator.models import Article
from annotator.prompts import PromptSet
from annotator.runs import RunOptions, execute

TEXT = (
    'The mayor said the bridge would open in May. "We are on schedule," she told reporters.\n\n'
    "Critics said the project was too expensive. The council said it would publish the accounts."
)
LOCAL = "http://127.0.0.1:8765/v1"
LLAMA_CPP_REFUSAL = {"error": {
    "message": "1 validation error:\n  {'type': 'literal_error', 'loc': ('body', 'response_format', 'type'), "
               "'msg': \"Input should be 'text' or 'json_object'\", 'input': 'json_schema'}",
    "type": "internal_server_error", "param": None, "code": None}}


def claim(content: str, mention: str = "The mayor", cue: str = "said", **extra: Any) -> dict[str, Any]:
    return {"speaker": mention, "speaker_type": "person", "mention": mention, "cue": cue, "content": content,
            "quote_type": "indirect", "hedging": "none", "stance": "neutral", "restatement": content, **extra}


MAYOR = claim("the bridge would open in May")
QUOTE = claim("We are on schedule", mention="she", cue="told", quote_type="direct")
CRITICS = claim("the project was too expensive", mention="Critics")
INVENTED = claim("the bridge would never open")


def answer(claims: list[dict[str, Any]] | None = None, *, raw: str | None = None, finish: str = "stop",
           mode: ExtractionMode = ExtractionMode.json_schema) -> httpx.Response:
    text = raw if raw is not None else json.dumps({"claims": claims})
    message: dict[str, Any] = {"role": "assistant", "content": text}
    if mode is ExtractionMode.tools:
        message = {"role": "assistant", "content": None, "tool_calls": [
            {"id": "call_1", "type": "function", "function": {"name": "ClaimExtraction", "arguments": text}}]}
    body = {"id": "chatcmpl-1", "object": "chat.completion", "created": 1, "model": "m",
            "choices": [{"index": 0, "finish_reason": finish, "message": message}],
            "usage": {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15}}
    return httpx.Response(200, json=body)


@dataclass
class Server:
    """Answers chat requests in turn (a callable gets the request body); lists one model."""

    replies: list[httpx.Response | Callable[[dict[str, Any]], httpx.Response]]
    bodies: list[dict[str, Any]] = field(default_factory=list)
    owned_by: str = "me"

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if request.method == "GET":
            return httpx.Response(200, json={"object": "list", "data": [{"id": "m", "owned_by": self.owned_by}]})
        body = json.loads(request.content)
        self.bodies.append(body)
        reply = self.replies[min(len(self.bodies), len(self.replies)) - 1]
        return reply(body) if callable(reply) else reply


async def run(server: Server, text: str = TEXT, **settings: Any):
    async def no_sleep(_: float) -> None:
        return None

    llm = LLMSettings(**{"base_url": LOCAL, "model": "m", **settings})
    backend = LLMBackend(llm, PromptSet(), http_client=httpx.AsyncClient(transport=httpx.MockTransport(server)),
                         sleep=no_sleep, count_tokens=estimate_tokens, key="local-test-token")
    report = await execute([Article(id="a", text=text, path="a.txt")], BackendConfig(BackendChoice.llm, llm),
                           RunOptions(), backend=backend)
    (result,) = report.results
    return result, report, backend


async def test_an_answer_cut_at_the_token_limit_is_continued_from_its_last_claim():
    whole = json.dumps({"claims": [MAYOR, QUOTE]})
    cut = whole[: whole.index('"We are') + 4]
    server = Server([answer(raw=cut, finish="length"), answer([QUOTE, CRITICS])])
    result, _, _ = await run(server)
    first, second = server.bodies
    assert json.loads(second["messages"][2]["content"]) == {"claims": [MAYOR]}
    feedback = second["messages"][3]["content"]
    assert feedback.startswith("Your answer was cut off at the token limit after 1 claims; its last complete "
                               "claim is claims[0] above. Also give the claims that come after it")
    assert second["messages"][:2] == first["messages"]
    assert [c.content for c in result.claims] == [MAYOR["content"], QUOTE["content"], CRITICS["content"]]
    assert result.ok and result.warnings == [] and result.dropped_claims == 0


async def test_an_answer_looping_to_the_token_limit_is_not_continued():
    looping = json.dumps({"claims": [MAYOR] * 7})[:-30]
    server = Server([answer(raw=looping, finish="length")])
    result, _, backend = await run(server)
    assert len(server.bodies) == 1, "a continuation would only prolong the loop"
    assert [c.content for c in result.claims] == [MAYOR["content"]], "the repeats merged into one claim"
    (warning,) = result.warnings
    assert warning == (f"piece 1: the model repeated itself until --max-tokens {backend.budget().max_tokens}; "
                       "the distinct claims are kept, others may be missing")


async def test_a_claim_the_model_withdraws_when_reasked_is_dropped_and_counted():
    server = Server([answer([MAYOR, CRITICS, claim("the mayor had resigned", mention="Bystanders")]),
                     answer([])])
    result, _, _ = await run(server)
    assert len(server.bodies) == 2
    assert [c.content for c in result.claims] == [MAYOR["content"], CRITICS["content"]]
    (dropped,) = result.dropped
    assert dropped.content == "the mayor had resigned"
    assert dropped.reason == ("withdrawn by the model when re-asked: content not found verbatim in the article: "
                              "'the mayor had resigned'")


async def test_reasks_about_many_failed_claims_are_trimmed_to_the_context():
    invented = [claim(f"claim number {n} " + "padding " * 120, mention=f"Source {n}") for n in range(12)]
    server = Server([answer([MAYOR, *invented]), answer([])])
    result, _, backend = await run(server, context_tokens=4096, max_tokens=1024)
    budget = backend.budget()
    _, second = server.bodies
    echoed = json.loads(second["messages"][2]["content"])["claims"]
    assert 0 < len(echoed) < 12
    for body in server.bodies:
        tokens = request_tokens(body, estimate_tokens, backend._schema_in_prompt())
        assert tokens + body["max_tokens"] <= budget.context, "every request within the context"
    reasons = [d.reason for d in result.dropped]
    assert len(reasons) == 12
    assert sum(r.startswith("not re-asked (no room left in the context budget): ") for r in reasons) == \
        12 - len(echoed)
    assert sum(r.startswith("withdrawn by the model when re-asked: ") for r in reasons) == len(echoed)


async def test_a_context_smaller_than_assumed_splits_the_article_again():
    long_text = "\n\n".join(f"Speaker {n} said the bridge number {n} would open in May. " * 24 for n in range(6))

    def overflow_or_answer(body: dict[str, Any]) -> httpx.Response:  # a server of 4096 tokens, counting as we do
        if request_tokens(body, estimate_tokens, False) + body["max_tokens"] > 4096:
            return httpx.Response(400, json={"error": {
                "message": "This model's maximum context length is 4096 tokens. However, you requested 9080 "
                           "tokens (9030 in the messages, 50 in the completion).",
                "type": "invalid_request_error", "param": "messages", "code": "context_length_exceeded"}})
        return answer([])

    server = Server([overflow_or_answer])
    result, _, backend = await run(server, text=long_text)
    assert result.ok, result.errors
    assert result.chunks == len(server.bodies) - 1 > 1, "one refused request, then one per piece"
    assert server.bodies[0]["messages"][1]["content"].count("Speaker") == long_text.count("Speaker")
    for body in server.bodies[1:]:
        assert request_tokens(body, estimate_tokens, False) + body["max_tokens"] <= 4096
    assert result.warnings[0] == f"the server's context is 4096 tokens; the article was split again into " \
                                 f"{result.chunks} pieces"
    assert backend.budget().context == 4096


async def test_llama_cpp_refusing_the_openai_spelling_switches_it_once_when_auto():
    def spelling(body: dict[str, Any]) -> httpx.Response:
        if body["response_format"]["type"] == "json_schema":
            return httpx.Response(500, json=LLAMA_CPP_REFUSAL)
        return answer([MAYOR])

    server = Server([spelling], owned_by="someone")
    result, report, backend = await run(server, mode=ExtractionMode.json_schema)
    assert [b["response_format"]["type"] for b in server.bodies] == ["json_schema", "json_object"]
    assert result.ok and backend.dialect is Dialect.llamacpp and report.record.dialect == "llamacpp"
    chosen = Server([spelling], owned_by="someone")
    refused, _, _ = await run(chosen, mode=ExtractionMode.json_schema, dialect=Dialect.openai)
    assert len(chosen.bodies) == 1, "a dialect the user chose is not second-guessed, nor retried"
    assert refused.errors[0].startswith("RequestRejected: the server rejected the request's 'response_format' "
                                        "field (dialect openai; a llama.cpp or llama-cpp-python server takes "
                                        "--dialect llamacpp)")


@pytest.mark.parametrize(
    ("body", "headers", "says"),
    [
        (b"<html><head><title>502 Bad Gateway</title></head></html>", {"content-type": "text/html"},
         "the server answered 200 with text/html, not a chat completion: '<html><head><title>502 Bad Gateway"),
        (b'{"id": "chatcmpl-1", "object": "chat.compl', {"content-type": "application/json"},
         "the server answered 200 with a JSON body cut off after 42 characters: '{\"id\": \"chatcmpl-1\""),
        (b'{"id": "x", "choices": []}', {"content-type": "application/json"},
         "the server answered 200 with JSON that is not a chat completion (no choices)"),
    ],
    ids=["html", "cut-json", "no-choices"],
)
async def test_a_200_that_is_no_chat_completion_is_retried_then_named(body, headers, says):
    server = Server([httpx.Response(200, content=body, headers=headers)])
    result, _, _ = await run(server, transport_attempts=3)
    assert len(server.bodies) == 3, "retried like any transient fault"
    (error,) = result.errors
    assert error.startswith(f"UnreadableResponse: {says}") and "AttributeError" not in error


async def test_a_local_server_that_timed_out_is_asked_once_more_only():
    async def slow(request: httpx.Request) -> httpx.Response:
        if request.method == "GET":
            return httpx.Response(200, json={"data": [{"id": "m", "owned_by": "me"}]})
        await asyncio.sleep(1.0)
        return answer([MAYOR])

    seen: list[float] = []

    async def handler(request: httpx.Request) -> httpx.Response:
        if request.method == "POST":
            seen.append(time.perf_counter())
        return await slow(request)

    llm = LLMSettings(base_url=LOCAL, model="m", timeout_seconds=0.2, transport_attempts=6)
    backend = LLMBackend(llm, PromptSet(), http_client=httpx.AsyncClient(transport=httpx.MockTransport(handler)),
                         count_tokens=estimate_tokens, key="local-test-token")
    report = await execute([Article(id="a", text=TEXT, path="a.txt")], BackendConfig(BackendChoice.llm, llm),
                           RunOptions(), backend=backend)
    assert len(seen) == 2, "the server finishes the abandoned request; a third try would queue behind two"
    assert "DeadlineExceeded: no complete answer within the 0.2 s deadline" in report.results[0].errors[0]


async def test_no_claims_for_a_text_full_of_quotations_is_flagged_not_silently_ok():
    result, report, _ = await run(Server([answer([])]))
    assert result.ok and result.claims == []
    (warning,) = result.warnings
    assert warning.startswith("no claims, although the text has 1 quotation(s) and 4 reporting verb(s)")
    assert report.record.flagged == 1


async def test_an_answer_that_never_parses_into_claims_fails_the_article():
    server = Server([answer(raw='{"claims": null}')])
    result, report, _ = await run(server)
    assert len(server.bodies) == 2, "the same answer again: asking a third time is the same request"
    assert "Your last answer could not be used: the answer's \"claims\" is null, not a list" in \
        server.bodies[1]["messages"][-1]["content"]
    (error,) = result.errors
    assert error == ('ModelOutputError: no answer could be read as claims (2 answers); the last: the answer\'s '
                     '"claims" is null, not a list')
    assert report.record.failed == 1 and result.claims == []


async def test_a_tools_mode_reask_answers_the_tool_call_with_a_string_content():
    server = Server([answer([MAYOR, INVENTED], mode=ExtractionMode.tools), answer([], mode=ExtractionMode.tools)])
    await run(server, mode=ExtractionMode.tools)
    assistant, tool = server.bodies[1]["messages"][2:]
    assert assistant["content"] == "" and assistant["tool_calls"][0]["id"] == "call_1"
    assert (tool["role"], tool["tool_call_id"]) == ("tool", "call_1")


async def test_a_reask_the_server_refuses_keeps_the_first_answers_claims():
    refusal = {"error": {"message": "10 validation errors:\n  {'type': 'string_type', 'loc': ('body', 'messages', 2, "
                                    "'ChatCompletionRequestAssistantMessage', 'content'), 'msg': 'Input should be a "
                                    "valid string', 'input': []}", "type": "internal_server_error", "param": None,
                         "code": None}}
    server = Server([answer([MAYOR, INVENTED]), httpx.Response(500, json=refusal)])
    result, _, _ = await run(server, transport_attempts=3)
    assert len(server.bodies) == 2, "refused once, not retried"
    assert result.ok and [c.content for c in result.claims] == [MAYOR["content"]]
    (dropped,) = result.dropped
    assert dropped.reason.startswith("not re-asked (the server refused the re-ask): content not found verbatim")
    assert result.warnings == ["piece 1: the server refused the re-ask (messages)"]


async def test_every_round_of_reasks_is_the_same_size_and_stops_at_max_reasks():
    june = claim("the bridge would open in June")
    july = claim("the bridge would open in July")
    server = Server([answer([MAYOR, INVENTED]), answer([june]), answer([july]), answer([MAYOR])])
    result, _, _ = await run(server)
    assert len(server.bodies) == 3, "one request and max_reasks=2 re-asks, each about something new"
    first, *reasks = server.bodies
    for body, shown in zip(reasks, (INVENTED, june), strict=True):
        assert body["messages"][:2] == first["messages"] and len(body["messages"]) == 4
        assert json.loads(body["messages"][2]["content"]) == {"claims": [shown]}
    sizes = [len(json.dumps(b["messages"])) for b in reasks]
    assert abs(sizes[0] - sizes[1]) < 200, "the second re-ask is no longer than the first"
    assert [d.content for d in result.dropped] == [july["content"]]
