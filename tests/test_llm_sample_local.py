"""The five sample articles through ``annotator annotate`` against a real local model,
one recording per structured-output mode, replayed, checked and scored.

Recorded with ``python cassettes/record_live.py`` from the server the cassette header
names (Qwen2.5-Coder-1.5B-Instruct Q4_K_M on llama-cpp-python, two CPU cores). **The
scores measure that model with this pipeline, nothing else** (eval/thresholds.toml
``sample-local-*``; docs/local-models.md has the figures). What is asserted for every
mode is what the pipeline promises whatever the model: nothing retried that cannot
succeed, no request beyond the server's context by the server's own count, at most
``1 + max_reasks`` requests per piece, every stored claim grounded in its article, the
run accounted for, no key anywhere.
"""

from __future__ import annotations

import json
import os
import tomllib
from pathlib import Path
from typing import Any

import cassette_format
import pytest
from typer.testing import CliRunner

from annotator.cli import app
from annotator.models import ArticleResult

pytestmark = pytest.mark.vcr

ROOT = Path(__file__).resolve().parent.parent
ARTICLES = ROOT / "examples" / "articles"
GOLD = ROOT / "eval" / "gold"


def recorded_target(cassette: Path) -> tuple[str, str]:
    """Model and base URL of the first model request a cassette holds."""
    if not cassette.exists():
        pytest.fail(f"{cassette} is missing: record it with python cassettes/record_live.py")
    return cassette_format.recorded_target(cassette.read_text())


@pytest.fixture
def target(record_mode, vcr_cassette_dir, default_cassette_name, request) -> tuple[str, str]:
    if record_mode != "none":
        base_url = os.environ.get("OPENAI_BASE_URL")
        if not base_url:
            pytest.skip("recording needs OPENAI_BASE_URL (python cassettes/record_live.py sets it)")
        return os.environ["ANNOTATOR_MODEL"], base_url
    request.getfixturevalue("llm_env")
    return recorded_target(Path(vcr_cassette_dir) / f"{default_cassette_name}.yaml")


def annotate(tmp_path: Path, target: tuple[str, str], mode: str, monkeypatch) -> tuple[Any, Path]:
    model, base_url = target
    monkeypatch.setenv("COLUMNS", "200")
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["annotate", str(ARTICLES), "--out", str(out), "--base-url", base_url,
                                      "--model", model, "--mode", mode], catch_exceptions=False)
    return result, out


def check_run(out: Path, http_log: Any, mode: str) -> dict[str, Any]:
    record = json.loads((out / "run.json").read_text())
    assert record["mode"] == mode and record["dialect"] == "llamacpp", "the pre-flight found llama-cpp-python"
    assert (record["annotated"], record["failed"]) == (5, 0)
    assert http_log.preflight and http_log.preflight[0].url.endswith("/v1/models")
    for sent in http_log:
        assert sent.status == 200, "nothing failed, so nothing was retried"
        prompt = sent.response.json()["usage"]["prompt_tokens"]
        assert prompt + sent.body["max_tokens"] <= record["context_tokens"], "within the server's context"
    bodies = [json.dumps(s.body, sort_keys=True) for s in http_log]
    assert len(set(bodies)) == len(bodies), "no request sent twice"
    usage = {"requests": 0, "prompt_tokens": 0, "completion_tokens": 0}
    for sent in http_log:
        usage["requests"] += 1
        for name in ("prompt_tokens", "completion_tokens"):
            usage[name] += sent.response.json()["usage"][name]
    assert {k: record["usage"][k] for k in usage} == usage, "every request accounted for"
    return record


def check_results(out: Path, ungrounded) -> list[ArticleResult]:
    results = [ArticleResult.model_validate_json(p.read_text()) for p in sorted((out / "articles").glob("*.json"))]
    assert len(results) == 5
    for result in results:
        assert result.ok and result.usage.requests <= result.chunks * 3, "1 + max_reasks per piece"
        assert ungrounded(result.text, result.claims) == []
    return results


def score(out: Path, mode: str, recording: bool) -> None:
    suite = f"sample-local-{mode}"
    floors = tomllib.loads((ROOT / "eval" / "thresholds.toml").read_text())
    args = ["eval", str(out), "--gold", str(GOLD), "--articles", str(ARTICLES), "--json", str(out / "metrics.json")]
    if not recording:
        assert suite in floors, f"add [{suite}] floors to eval/thresholds.toml"
        args += ["--suite", suite]
    result = CliRunner().invoke(app, args, catch_exceptions=False)
    assert result.exit_code == 0, result.output


def run_mode(mode: str, target, tmp_path, monkeypatch, http_log, record_mode, ungrounded, key_leaks, request):
    result, out = annotate(tmp_path, target, mode, monkeypatch)
    assert result.exit_code == 0, result.output
    check_run(out, http_log, mode)
    check_results(out, ungrounded)
    if record_mode == "none":
        assert key_leaks(out, request.getfixturevalue("llm_env")) == []
    score(out, mode, record_mode != "none")


def test_sample_json_schema_mode(target, tmp_path, monkeypatch, http_log, record_mode, ungrounded, key_leaks,
                                 request):
    run_mode("json_schema", target, tmp_path, monkeypatch, http_log, record_mode, ungrounded, key_leaks, request)


def test_sample_tools_mode(target, tmp_path, monkeypatch, http_log, record_mode, ungrounded, key_leaks, request):
    run_mode("tools", target, tmp_path, monkeypatch, http_log, record_mode, ungrounded, key_leaks, request)


def test_sample_json_mode(target, tmp_path, monkeypatch, http_log, record_mode, ungrounded, key_leaks, request):
    run_mode("json", target, tmp_path, monkeypatch, http_log, record_mode, ungrounded, key_leaks, request)
