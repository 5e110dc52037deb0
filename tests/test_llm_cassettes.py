"""The cassettes themselves: no secrets, the OpenAI wire format, each one owned by a test.

The storage format, matcher and scrubbers are tested in ``test_cassette_format.py``.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import cassette_format
import pytest
import yaml
from openai.types.chat import ChatCompletion
from vcr.serialize import deserialize

ROOT = Path(__file__).resolve().parent.parent
CASSETTES = ROOT / "cassettes"
YAMLS = sorted(CASSETTES.rglob("*.yaml"))
EVERY_FILE = sorted(p for p in CASSETTES.rglob("*") if p.is_file() and "__pycache__" not in p.parts)
HAND_WRITTEN = "# HAND-WRITTEN CASSETTE."
RECORDED = "# RECORDED FROM A LIVE SERVER."
LIVE_MODULES = ("test_llm_live", "test_llm_sample_local")
"""Modules whose cassettes cassettes/record_live.py writes from a real model."""

KEY_PATTERNS = {
    "OpenAI-style key": re.compile(r"\b(?:sk|rk)-[A-Za-z0-9_\-]{8,}"),
    "masked OpenAI key": re.compile(r"\bsk-[A-Za-z0-9_\-]*\*{4,}[A-Za-z0-9]*"),
    "bearer token": re.compile(r"\bBearer\s+(?!\[redacted\])[A-Za-z0-9._\-~+/]{8,}"),
    "key header with a value": re.compile(
        r"(?im)^\s*[\"']?(?:authorization|api-key|x-api-key|openai-organization|openai-project|cookie|set-cookie)"
        r"[\"']?\s*:\s*(?:\n\s*-\s*)?[\"']?\w"
    ),
    "key assignment": re.compile(
        r"(?i)\b(?:api[-_]?key|secret|access[-_]?token)[\"']?\s*[:=]\s*[\"']?[A-Za-z0-9_\-]{16,}"
    ),
    "AWS access key": re.compile(r"\bAKIA[0-9A-Z]{16}\b"),
}
SENSITIVE = {"authorization", "api-key", "x-api-key", "openai-organization", "openai-project", "cookie", "set-cookie"}


def rel(path: Path) -> str:
    return path.relative_to(CASSETTES).as_posix()


def interactions(path: Path) -> list[dict]:
    """The interactions as VCR gets them: bodies back as JSON text."""
    return cassette_format.deserialize(path.read_text(encoding="utf-8"))["interactions"]


def test_the_cassettes_are_there():
    modules = {p.parent.name for p in YAMLS}
    assert {"test_llm_backend", "test_llm_transport", "test_pipeline_cli", *LIVE_MODULES} <= modules
    assert len(YAMLS) >= 20


@pytest.mark.parametrize(
    "leak",
    [
        "sk-proj-AbCdEf0123456789xyz",
        "sk-test-" + "*" * 20 + "abcd",
        "Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.payload",
        "      authorization:\n      - Bearer abcdefgh12345678",
        "api-key: 0123456789abcdef0123",
        '"api_key": "abcdefghijklmnop1234"',
        "set-cookie:\n      - __cf_bm=abc123",
    ],
)
def test_the_key_scanner_catches_leaks(leak):
    assert any(pattern.search(leak) for pattern in KEY_PATTERNS.values())


@pytest.mark.parametrize("path", EVERY_FILE, ids=rel)
def test_no_file_under_cassettes_holds_a_key(path):
    text = path.read_text(encoding="utf-8", errors="replace")
    found = {name: pattern.search(text).group(0) for name, pattern in KEY_PATTERNS.items() if pattern.search(text)}
    assert found == {}


@pytest.mark.parametrize("path", YAMLS, ids=rel)
def test_cassette_headers_are_scrubbed(path):
    for interaction in interactions(path):
        for side in ("request", "response"):
            names = {name.lower() for name in interaction[side]["headers"]}
            assert not names & SENSITIVE, f"{side} keeps {names & SENSITIVE}"
            assert not any(n.startswith("x-stainless-") for n in names)


@pytest.mark.parametrize("path", YAMLS, ids=rel)
def test_cassette_is_openai_wire_format(path):
    text = path.read_text(encoding="utf-8")
    assert yaml.safe_load(text)["version"] == 1
    requests, responses = deserialize(text, cassette_format)  # what VCR itself will load
    assert len(requests) == len(responses) >= 1
    for interaction in interactions(path):
        request, response = interaction["request"], interaction["response"]
        if request["method"] == "GET":  # the pre-flight
            check_preflight(request, response)
            continue
        if request["uri"].endswith("/api/chat"):  # Ollama's own route
            check_ollama(request, response)
            continue
        assert request["method"] == "POST"
        assert request["uri"].endswith("/v1/chat/completions")
        sent = json.loads(request["body"])
        assert isinstance(sent["model"], str) and sent["messages"][0]["role"] == "system"
        request_headers = {k.lower(): v for k, v in request["headers"].items()}
        assert request_headers["content-type"] == ["application/json"]
        assert request_headers["user-agent"][0].startswith("AsyncOpenAI/Python ")

        status = response["status"]["code"]
        headers = {k.lower(): v for k, v in response["headers"].items()}
        assert headers["content-type"] == ["application/json"]
        body = json.loads(response["body"]["string"])
        if headers.get("server") != ["uvicorn"]:  # OpenAI proper, not a local vLLM
            assert headers["x-request-id"][0].startswith("req_")
        if status == 200:
            assert body["object"] == "chat.completion" and body["id"].startswith("chatcmpl-")
            assert isinstance(body["created"], int) and body["model"]
            ChatCompletion.model_validate(body)
            (choice,) = body["choices"]
            assert choice["index"] == 0 and choice["finish_reason"] in ("stop", "length", "tool_calls")
            message = choice["message"]
            assert message["role"] == "assistant"
            if "tools" in sent:
                (call,) = message["tool_calls"]
                assert call["id"].startswith("call_") and call["type"] == "function"
                assert call["function"]["name"] == "ClaimExtraction"
                assert isinstance(call["function"]["arguments"], str)
            else:
                assert isinstance(message["content"], str) and not message.get("tool_calls")
            usage = body["usage"]
            assert usage["total_tokens"] == usage["prompt_tokens"] + usage["completion_tokens"]
        else:
            assert 400 <= status < 600
            assert set(body) == {"error"}
            assert set(body["error"]) == {"message", "type", "param", "code"}
            if body["error"]["code"] == "rate_limit_exceeded":
                assert "retry-after" in headers


def check_preflight(request: dict, response: dict) -> None:
    """``GET /models`` and its model list, as OpenAI and OpenAI-compatible servers answer."""
    assert request["uri"].endswith("/v1/models") and not request["body"]
    assert {k.lower(): v for k, v in request["headers"].items()}["user-agent"][0].startswith("AsyncOpenAI/Python ")
    assert response["status"]["code"] == 200
    body = json.loads(response["body"]["string"])
    assert body["object"] == "list" and body["data"]
    for model in body["data"]:
        assert isinstance(model["id"], str) and model["object"] == "model" and isinstance(model["owned_by"], str)


def check_ollama(request: dict, response: dict) -> None:
    """Ollama's ``/api/chat`` without streaming, as its API reference documents it."""
    sent = json.loads(request["body"])
    assert sent["stream"] is False and sent["messages"][0]["role"] == "system"
    assert isinstance(sent["format"], dict | str) and set(sent["options"]) >= {"num_ctx", "num_predict"}
    assert response["status"]["code"] == 200
    body = json.loads(response["body"]["string"])
    assert body["done"] is True and body["done_reason"] in ("stop", "length")
    assert body["message"]["role"] == "assistant" and isinstance(body["message"]["content"], str)
    assert all(isinstance(body[k], int) for k in ("prompt_eval_count", "eval_count", "total_duration"))


# Runs made with preflight=False on purpose, to show what happens without one.
WITHOUT_PREFLIGHT = {"test_live_auto_dialect_falls_back_to_the_llama_cpp_spelling"}


def test_every_cassette_starts_with_its_preflight():
    """A run asks the endpoint once before its first article: every cassette of a run shows it."""
    for path in YAMLS:
        if path.stem in WITHOUT_PREFLIGHT:
            assert all(i["request"]["method"] == "POST" for i in interactions(path)), rel(path)
            continue
        first = interactions(path)[0]["request"]
        assert (first["method"], first["uri"].rsplit("/v1/", 1)[1]) == ("GET", "models"), rel(path)


@pytest.mark.parametrize("path", YAMLS, ids=rel)
def test_every_cassette_belongs_to_a_test(path):
    module = ROOT / "tests" / f"{path.parent.name}.py"
    assert module.exists(), f"no test module for {rel(path)}"
    source = module.read_text(encoding="utf-8")
    name = path.stem
    assert re.search(rf"def {re.escape(name)}\(", source) or f'default_cassette("{name}")' in source


@pytest.mark.parametrize("path", [p for p in YAMLS if p.parent.name not in LIVE_MODULES], ids=rel)
def test_synthetic_cassettes_say_they_are_hand_written(path):
    """Only the live modules' cassettes may come from a real model; the rest say so."""
    assert path.read_text(encoding="utf-8").startswith(HAND_WRITTEN)


@pytest.mark.parametrize("path", [p for p in YAMLS if p.parent.name in LIVE_MODULES], ids=rel)
def test_live_cassettes_say_who_wrote_them(path):
    """A live module's cassette is either a scripted stand-in that says so, or a recording
    whose header names the server, the model and how it was recorded."""
    text = path.read_text(encoding="utf-8")
    if text.startswith(HAND_WRITTEN):
        return
    header = [line for line in text.splitlines() if line.startswith("# ")]
    assert text.startswith(RECORDED)
    assert any(line.startswith("# Server: ") and " model " in line and "sha256" in line for line in header)
    assert any(line.startswith("# Recorded ") and "cassettes/record_live.py" in line for line in header)
