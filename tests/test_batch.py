"""The batch API end to end against a local stub of OpenAI's files and batches endpoints.

The stub (``tests/batch_stub.py``, hand-written wire format, not recorded) runs on
127.0.0.1; each ``annotator batch`` command of the first test runs in its own process,
so everything a later command knows comes from OUT: a restart between submit and
collect is the normal case here. The batch's results are compared with an online run
answered by the same answerer: the same requests, the same stored claims.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from batch_stub import BatchStub, said_answerer
from conftest import WORKER_SOCKETS
from typer.testing import CliRunner

from annotator.cli import app
from annotator.store import CLAIMS_FILE, Store, claim_rows

FAKE_KEY = "sk-test-FAKEbatchKey0000000000000000000000"
ARTICLES = {
    "bridge": "The mayor said the bridge would open on Monday. Residents said they were pleased.",
    "budget": "The minister said the budget would grow. INVENT appears in this line. Critics said it was late.",
    "ferry": "The captain said the ferry would sail at noon.",
}
pytestmark = pytest.mark.block_network(allowed_hosts=["127.0.0.1", WORKER_SOCKETS])


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    root = tmp_path / "in"
    root.mkdir()
    for name, text in ARTICLES.items():
        (root / f"{name}.txt").write_text(text + "\n", encoding="utf-8")
    return root


@pytest.fixture
def stub():
    with BatchStub() as server:
        yield server


@pytest.fixture
def env(stub, monkeypatch):
    values = {"OPENAI_API_KEY": FAKE_KEY, "OPENAI_BASE_URL": stub.base_url, "COLUMNS": "200"}
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("ANNOTATOR_MODEL", raising=False)
    return {**os.environ, **values}


def command(env: dict[str, str], *args: object) -> subprocess.CompletedProcess[str]:
    """``annotator ARGS`` in a process of its own: nothing survives between two calls."""
    return subprocess.run(
        [sys.executable, "-c", "from annotator.cli import app; app()", *map(str, args)],
        env=env, capture_output=True, text=True, timeout=300,
    )


def rows(out: Path) -> list[str]:
    return sorted((out / CLAIMS_FILE).read_text().splitlines())


def expected_rows(out: Path) -> list[str]:
    return sorted(r.model_dump_json() for result in Store(out).iter_results() for r in claim_rows(result))


def test_submit_restart_collect_reask_round_and_the_online_path_agree(folder, tmp_path, stub, env):
    out = tmp_path / "out"
    submitted = command(env, "batch", "submit", folder, "--out", out)
    assert submitted.returncode == 0, submitted.stderr
    (first,) = stub.batches
    lines = stub.requests(first)
    assert len(lines) == 3 and {line["url"] for line in lines} == {"/v1/chat/completions"}
    assert "submitted 3 requests in 1 batch jobs" in submitted.stderr
    state = json.loads((out / "batch" / "state.json").read_text())
    assert [job["id"] for job in state["jobs"]] == [first] and state["jobs"][0]["round"] == 1
    assert not (out / "articles").exists() or not list((out / "articles").iterdir()), "nothing stored yet"

    status = command(env, "batch", "status", out)
    assert status.returncode == 0 and "validating" in status.stderr

    early = command(env, "batch", "collect", out)
    assert early.returncode == 3, early.stderr
    assert "3 articles wait for a batch" in early.stderr

    stub.complete(first)
    collected = command(env, "batch", "collect", out)
    assert collected.returncode == 3, collected.stderr
    assert "2 articles stored now" in collected.stderr
    follow_up = [b for b in stub.batches if b != first]
    assert len(follow_up) == 1, "the invented claim is re-asked in a follow-up batch"
    (reask,) = stub.requests(follow_up[0])
    assert "could not be found in the article" in json.dumps(reask["body"]["messages"][-1])
    assert "round 2" in collected.stderr

    stub.complete(follow_up[0])
    final = command(env, "batch", "collect", out)
    assert final.returncode == 0, final.stderr
    results = {r.article: r for r in Store(out).iter_results()}
    assert set(results) == set(ARTICLES) and all(r.ok for r in results.values())
    assert [c.content for c in results["budget"].claims] == ["the budget would grow", "it was late"]
    assert results["budget"].usage.requests == 2, "first answer and re-ask, both from batches"
    assert rows(out) == expected_rows(out)
    billed = json.loads((out / "batch" / "state.json").read_text())["billed_batch"]
    assert billed["requests"] == 4
    assert "batch at half price" in final.stderr
    for path in out.rglob("*"):
        assert not path.is_file() or FAKE_KEY not in path.read_text(errors="replace"), path

    online = _online_run(folder, tmp_path / "online")
    assert {a: [c.model_dump() for c in r.claims] for a, r in results.items()} == {
        a: [c.model_dump() for c in r.claims] for a, r in online.items()
    }, "the batch stores exactly what the online path stores"
    assert {a: r.usage for a, r in results.items()} == {a: r.usage for a, r in online.items()}


def _online_run(folder: Path, out: Path) -> dict:
    """The same articles through the online path, answered by the same answerer."""
    import asyncio

    from annotator.backends import BackendChoice, BackendConfig
    from annotator.llm.backend import LLMBackend
    from annotator.llm.settings import ExtractionMode, LLMSettings
    from annotator.prompts import PromptSet
    from annotator.runs import RunOptions, execute

    def answer(request: httpx.Request) -> httpx.Response:
        status, body = said_answerer(json.loads(request.content))
        return httpx.Response(status, json=body)

    import dataclasses

    # no pre-flight: a batch asks no live server, so the two runs send the same requests
    settings = dataclasses.replace(LLMSettings.from_options(None, None, mode=ExtractionMode.tools), preflight=False)
    client = httpx.AsyncClient(transport=httpx.MockTransport(answer))
    backend = LLMBackend(settings, PromptSet(), http_client=client)
    config = BackendConfig(choice=BackendChoice.llm, llm=settings)
    asyncio.run(execute(folder, config, RunOptions(out=out), backend=backend))
    return {r.article: r for r in Store(out).iter_results()}


def cli(*args: object):
    return CliRunner().invoke(app, [str(a) for a in args], catch_exceptions=False)


def test_expired_job_is_reported_per_article_and_resubmitted(folder, tmp_path, stub, env):
    out = tmp_path / "out"
    assert cli("batch", "submit", folder, "--out", out).exit_code == 0
    (first,) = stub.batches
    stub.expire(first, answered=2)
    collected = cli("batch", "collect", out)
    assert collected.exit_code == 1, collected.output
    lost = stub.requests(first)[2]["custom_id"]
    failed = [r for r in Store(out).iter_results() if not r.ok]
    assert len(failed) == 1 and "batch_expired" in failed[0].errors[0] and lost in failed[0].errors[0]
    assert f"failed {failed[0].article}:" in collected.output

    again = cli("batch", "submit", folder, "--out", out)
    assert again.exit_code == 0, again.output
    second = [b for b in stub.batches if b != first]
    resent = [line["custom_id"] for batch in second for line in stub.requests(batch)]
    assert lost in resent and len(resent) <= 2, "the lost request again (and a re-ask its neighbour needs)"
    for batch in second:
        stub.complete(batch)
    for _ in range(3):  # the resubmitted article may need its re-ask round
        done = cli("batch", "collect", out)
        if done.exit_code != 3:
            break
        for batch in stub.batches:
            if stub.batches[batch]["status"] == "validating":
                stub.complete(batch)
    assert done.exit_code == 0, done.output
    assert all(r.ok for r in Store(out).iter_results()) and rows(out) == expected_rows(out)


def test_reasks_online_finish_in_one_collect(folder, tmp_path, stub, env):
    out = tmp_path / "out"
    assert cli("batch", "submit", folder, "--out", out, "--reask", "online").exit_code == 0
    (first,) = stub.batches
    stub.complete(first)
    collected = cli("batch", "collect", out)
    assert collected.exit_code == 0, collected.output
    assert list(stub.batches) == [first], "no follow-up batch"
    assert ("POST", "/v1/chat/completions") in stub.log
    state = json.loads((out / "batch" / "state.json").read_text())
    assert state["billed_online"]["requests"] == 1 and state["billed_batch"]["requests"] == 3
    budget = Store(out).load("budget")
    assert budget is not None and budget.ok and len(budget.claims) == 2


def test_a_second_submit_sends_nothing_already_in_a_job(folder, tmp_path, stub, env):
    out = tmp_path / "out"
    assert cli("batch", "submit", folder, "--out", out).exit_code == 0
    again = cli("batch", "submit", folder, "--out", out)
    assert again.exit_code == 0 and "nothing to submit" in again.output
    assert len(stub.batches) == 1
    other = cli("batch", "submit", folder, "--out", out, "--model", "gpt-4o")
    assert other.exit_code == 2 and "other settings (model)" in other.output


def test_collect_without_a_submit_is_a_clear_error(tmp_path, env):
    result = cli("batch", "collect", tmp_path / "nothing")
    assert result.exit_code == 2 and "no batch here" in result.output
