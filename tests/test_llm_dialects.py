"""Request shapes per server dialect, refusals, the pre-flight's reading, the context budget.

Pure functions and in-memory transports (``httpx.MockTransport``); the error bodies are
the ones llama-cpp-python 0.3.36 sent (notes in docs/local-models.md).
"""

from __future__ import annotations

import json

import httpx
import openai
import pytest

from annotator.backends import BackendUnavailable
from annotator.chunking import estimate_tokens
from annotator.llm.budget import Budget, BudgetError, request_tokens
from annotator.llm.dialects import context_limit, ollama_completion, rejection, server_root, shape
from annotator.llm.preflight import EndpointUnusable, props_context, read_model_list
from annotator.llm.settings import Dialect, ExtractionMode, LLMSettings
from annotator.llm.transport import is_transient

REQUEST = httpx.Request("POST", "http://127.0.0.1:8765/v1/chat/completions")
SCHEMA = {"type": "object", "properties": {"claims": {"type": "array"}}}
KWARGS = {
    "model": "m", "temperature": 0.0, "seed": 42,
    "messages": [{"role": "system", "content": "s"}, {"role": "user", "content": "u"}],
    "response_format": {"type": "json_schema", "json_schema": {"name": "ClaimExtraction", "schema": SCHEMA}},
}
# llama-cpp-python's answer to response_format json_schema (measured; path shortened)
LLAMA_CPP_REFUSAL = {"error": {
    "message": "1 validation error:\n  {'type': 'literal_error', 'loc': ('body', 'response_format', 'type'), "
               "'msg': \"Input should be 'text' or 'json_object'\", 'input': 'json_schema', 'ctx': {'expected': "
               "\"'text' or 'json_object'\"}}\n\n  File \".../llama_cpp/server/app.py\", line 376, in "
               "create_chat_completion\n    POST /v1/chat/completions",
    "type": "internal_server_error", "param": None, "code": None}}
CONTEXT_EXCEEDED = {"error": {
    "message": "This model's maximum context length is 8192 tokens. However, you requested 9080 tokens (9030 in "
               "the messages, 50 in the completion). Please reduce the length of the messages or completion.",
    "type": "invalid_request_error", "param": "messages", "code": "context_length_exceeded"}}


def status_error(status: int, body: dict) -> openai.APIStatusError:
    response = httpx.Response(status, json=body, request=REQUEST)
    client = openai.AsyncOpenAI(api_key="unused", max_retries=0)
    return client._make_status_error(f"Error code: {status} - {body}", body=body, response=response)


# ---------------------------------------------------------------------------- shapes


def test_openai_dialect_sends_instructors_request_plus_max_tokens():
    shaped = shape(KWARGS, LLMSettings(), Dialect.openai, 512)
    assert shaped.route == "chat"
    assert shaped.body == {**KWARGS, "max_tokens": 512}
    assert "max_tokens" not in KWARGS, "the caller's request is not changed"


def test_llamacpp_dialect_spells_the_schema_as_json_object():
    shaped = shape(KWARGS, LLMSettings(), Dialect.llamacpp, 512)
    assert shaped.body["response_format"] == {"type": "json_object", "schema": SCHEMA}
    tools = {**KWARGS, "tools": [{"type": "function"}], "response_format": None}
    assert shape(tools, LLMSettings(), Dialect.llamacpp, 64).body["tools"] == [{"type": "function"}]


def test_ollama_dialect_uses_its_own_route_with_format_and_context():
    settings = LLMSettings(base_url="http://127.0.0.1:11434/v1", context_tokens=8192).resolved(Dialect.ollama)
    shaped = shape(KWARGS, settings, Dialect.ollama, 2048)
    assert shaped.route == "ollama"
    assert shaped.body == {
        "model": "m", "messages": KWARGS["messages"], "stream": False, "format": SCHEMA,
        "options": {"temperature": 0.0, "num_predict": 2048, "num_ctx": 8192, "seed": 42},
    }
    free = shape({**KWARGS, "response_format": {"type": "json_object"}}, settings, Dialect.ollama, 10)
    assert free.body["format"] == "json"
    assert shape({**KWARGS, "tools": []}, settings, Dialect.ollama, 10).route == "chat", "tools: the OpenAI route"


def test_an_ollama_answer_becomes_a_chat_completion():
    answer = {"model": "qwen2.5-coder:1.5b", "created_at": "2026-12-01T12:00:00Z",
              "message": {"role": "assistant", "content": '{"claims": []}'}, "done_reason": "length",
              "done": True, "prompt_eval_count": 2005, "eval_count": 359}
    completion = ollama_completion(answer)
    assert completion.choices[0].message.content == '{"claims": []}'
    assert completion.choices[0].finish_reason == "length"
    assert completion.usage is not None and (completion.usage.prompt_tokens, completion.usage.total_tokens) == (
        2005, 2364)


@pytest.mark.parametrize(("base", "root"), [
    ("http://127.0.0.1:11434/v1", "http://127.0.0.1:11434"),
    ("http://127.0.0.1:11434/v1/", "http://127.0.0.1:11434"),
    ("https://gateway.example/ollama/v1", "https://gateway.example/ollama"),
])
def test_server_root(base, root):
    assert server_root(base) == root


# -------------------------------------------------------------------------- refusals


def test_llama_cpp_pythons_500_on_json_schema_is_a_refusal_never_retried():
    error = status_error(500, LLAMA_CPP_REFUSAL)
    assert isinstance(error, openai.InternalServerError)
    assert rejection(error) == "response_format"
    assert not is_transient(error)


def test_an_ordinary_500_is_still_transient():
    error = status_error(500, {"error": {"message": "The server had an error", "type": "server_error",
                                         "param": None, "code": None}})
    assert rejection(error) is None and is_transient(error)


def test_a_400_naming_a_request_field_is_a_refusal_and_an_overflow_is_not():
    refused = status_error(400, {"error": {"message": "Invalid schema for response_format 'ClaimExtraction'",
                                           "type": "invalid_request_error", "param": None, "code": None}})
    assert rejection(refused) == "response_format"
    overflow = status_error(400, CONTEXT_EXCEEDED)
    assert rejection(overflow) is None and context_limit(overflow) == 8192
    assert context_limit(refused) is None


# ------------------------------------------------------------------------ pre-flight


def test_llama_cpp_python_is_recognised_and_serves_any_name():
    listed = {"object": "list", "data": [{"id": "qwen", "object": "model", "owned_by": "me", "permissions": []}]}
    info = read_model_list(listed, LLMSettings(model="gpt-4o-mini"))
    assert (info.kind, info.dialect, info.models) == ("llama-cpp-python", Dialect.llamacpp, ["qwen"])
    assert info.notes == ["the server serves qwen and answers any model name with it; results are recorded "
                          "under the name asked for, 'gpt-4o-mini'"]


def test_a_model_the_server_does_not_serve_stops_the_run():
    listed = {"data": [{"id": "gpt-4o", "owned_by": "system"}, {"id": "gpt-4o-mini", "owned_by": "system"}]}
    with pytest.raises(EndpointUnusable, match=r"model 'gpt-4o-mnii' is not served at this endpoint; it serves: "
                                               r"gpt-4o, gpt-4o-mini"):
        read_model_list(listed, LLMSettings(model="gpt-4o-mnii"))
    assert read_model_list(listed, LLMSettings(model="gpt-4o-mini")).dialect is Dialect.openai


def test_ollama_names_vllm_context_llama_cpp_props():
    ollama = {"data": [{"id": "qwen2.5-coder:latest", "owned_by": "library"}]}
    assert read_model_list(ollama, LLMSettings(model="qwen2.5-coder")).dialect is Dialect.ollama
    vllm = {"data": [{"id": "Qwen/Qwen2.5-7B-Instruct", "owned_by": "vllm", "max_model_len": 32768}]}
    info = read_model_list(vllm, LLMSettings(model="Qwen/Qwen2.5-7B-Instruct"))
    assert (info.kind, info.dialect, info.context_tokens) == ("vllm", Dialect.openai, 32768)
    assert props_context({"default_generation_settings": {"n_ctx": 4096}}) == 4096
    assert props_context({"n_ctx": 0}) is None and props_context([]) is None
    assert read_model_list({"detail": "x"}, LLMSettings()).notes == ["GET /models gave no model list"]


def backend_with(handler, **settings):
    from annotator.llm.backend import LLMBackend
    from annotator.prompts import PromptSet

    async def no_sleep(_: float) -> None:
        return None

    client = httpx.AsyncClient(transport=httpx.MockTransport(handler))
    return LLMBackend(LLMSettings(**settings), PromptSet(), http_client=client, sleep=no_sleep,
                      count_tokens=estimate_tokens, key="sk-test-PREFLIGHTk3y000000000000000")


async def test_preflight_of_a_dead_endpoint_stops_the_run_naming_it():
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("[Errno 111] Connection refused", request=request)

    backend = backend_with(refuse, base_url="http://127.0.0.1:9/v1")
    with pytest.raises(BackendUnavailable, match=r"cannot reach http://127.0.0.1:9/v1: APIConnectionError: "
                                                 r"Connection error. \(ConnectError: \[Errno 111\] Connection"):
        await backend.prepare()


async def test_preflight_of_a_refused_key_stops_the_run_without_the_key():
    seen = []

    def refuse(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        key = request.headers["authorization"].removeprefix("Bearer ")
        return httpx.Response(401, json={"error": {"message": f"Incorrect API key provided: {key}",
                                                   "type": "invalid_request_error", "param": None,
                                                   "code": "invalid_api_key"}})

    backend = backend_with(refuse)
    with pytest.raises(BackendUnavailable) as stopped:
        await backend.prepare()
    assert len(seen) == 1 and seen[0].url.path == "/v1/models"
    assert str(stopped.value).startswith("the endpoint refused the key: AuthenticationError: Error code: 401")
    assert "PREFLIGHTk3y" not in str(stopped.value) and "[redacted]" in str(stopped.value)


async def test_preflight_without_a_model_route_goes_on_with_the_guessed_dialect():
    backend = backend_with(lambda r: httpx.Response(404, json={"detail": "Not Found"}),
                           base_url="http://127.0.0.1:8000/v1")
    notes = await backend.prepare()
    assert backend.dialect is Dialect.openai and backend.mode == "json_schema", "local: the schema mode"
    assert notes == ["server speaks dialect openai: mode json_schema, context 8192 tokens, --max-tokens 2048, "
                     f"pieces of at most {backend.budget().piece} tokens, --timeout 600 s"]


async def test_preflight_finds_llama_cpp_and_its_context():
    def serve(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/props":
            return httpx.Response(200, json={"default_generation_settings": {"n_ctx": 4096}})
        return httpx.Response(200, json={"object": "list", "data": [{"id": "m", "owned_by": "llamacpp"}]})

    backend = backend_with(serve, base_url="http://127.0.0.1:8080/v1", model="m")
    await backend.prepare()
    settings = backend.settings
    assert (backend.server, settings.dialect, settings.context_tokens, settings.max_tokens) == (
        "llama.cpp", Dialect.llamacpp, 4096, 1024)


# ---------------------------------------------------------------------------- budget


def test_budget_keeps_room_for_the_answer_and_a_reask():
    budget = Budget.of(8192, 2048, 1400)
    assert (budget.reask, budget.margin) == (512, 163)
    assert budget.piece == 8192 - 1400 - 2048 - 512 - 163
    assert budget.answer_room(2000) == 2048 and budget.answer_room(7000) == 8192 - 7000 - 163
    small = budget.with_context(4096)
    assert (small.context, small.max_tokens) == (4096, 1024)
    with pytest.raises(BudgetError, match="a context of 2048 tokens cannot hold the prompt"):
        Budget.of(2048, 1024, 1400).check()


def test_request_tokens_counts_the_schema_only_where_the_server_reads_it():
    kwargs = {**KWARGS, "messages": [{"role": "user", "content": "x" * 400}]}
    without = request_tokens(kwargs, estimate_tokens, schema_in_prompt=False)
    assert without == 100 + 8
    assert request_tokens(kwargs, estimate_tokens, schema_in_prompt=True) > without
    call = {"role": "assistant", "content": "", "tool_calls": [{"function": {"name": "C", "arguments": "{}"}}]}
    assert request_tokens({"messages": [call]}, estimate_tokens, False) == estimate_tokens(
        json.dumps({"name": "C", "arguments": "{}"})) + 8


def test_auto_settings_follow_the_server():
    remote = LLMSettings().resolved()
    assert (remote.mode, remote.timeout_seconds, remote.context_tokens, remote.max_tokens) == (
        ExtractionMode.tools, 120.0, 128_000, 4096)
    local = LLMSettings(base_url="http://192.168.1.20:8000/v1").resolved()
    assert (local.mode, local.timeout_seconds, local.context_tokens, local.max_tokens) == (
        ExtractionMode.json_schema, 600.0, 8192, 2048)
    given = LLMSettings(base_url="http://127.0.0.1:1/v1", mode=ExtractionMode.json, timeout_seconds=5,
                        context_tokens=4096, max_tokens=100).resolved(Dialect.llamacpp)
    assert (given.mode, given.timeout_seconds, given.context_tokens, given.max_tokens) == (
        ExtractionMode.json, 5, 4096, 100)
    assert LLMSettings(base_url="http://host:11434/v1").guessed_dialect() is Dialect.ollama
