"""Bounded work whatever the input (issue 8): an article size limit for both backends, and
an overall deadline per HTTP attempt however slowly the server sends its bytes."""

from __future__ import annotations

import asyncio
import json
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from conftest import WORKER_SOCKETS
from typer.testing import CliRunner

from annotator.backends import BackendChoice, BackendConfig
from annotator.cli import app
from annotator.llm.backend import LLMBackend
from annotator.llm.settings import LLMSettings
from annotator.models import Article
from annotator.pipeline import DEFAULT_MAX_ARTICLE_CHARS
from annotator.prompts import PromptSet
from annotator.runs import RunOptions, execute

TEXT = "The mayor said the bridge would open in May."


def test_articles_over_the_size_limit_are_refused_naming_the_file_and_the_rest_run(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "small.txt").write_text(TEXT)
    (folder / "huge.txt").write_text((TEXT + " ") * 40)
    result = CliRunner().invoke(app, ["annotate", str(folder), "--backend", "offline", "--out",
                                      str(tmp_path / "out"), "--max-article-chars", "1000"])
    assert result.exit_code == 1
    output = " ".join(result.output.split())
    assert f"failed {folder / 'huge.txt'}: article is 1,800 characters, over the limit of 1,000" in output
    record = json.loads((tmp_path / "out" / "run.json").read_text())
    assert (record["annotated"], record["failed"]) == (1, 1)
    huge = json.loads((tmp_path / "out" / "articles" / "huge.json").read_text())
    assert huge["claims"] == [] and "--max-article-chars" in huge["errors"][0]


async def test_the_llm_backend_is_never_sent_an_article_over_the_limit(tmp_path, fake_sleep, llm_env):
    sent: list[httpx.Request] = []
    client = httpx.AsyncClient(transport=httpx.MockTransport(lambda r: sent.append(r) or httpx.Response(500)))
    settings = LLMSettings(base_url="http://127.0.0.1:9/v1")
    backend = LLMBackend(settings, PromptSet(), http_client=client, sleep=fake_sleep)
    config = BackendConfig(choice=BackendChoice.llm, llm=settings)
    article = Article(id="big", text="x" * (DEFAULT_MAX_ARTICLE_CHARS + 1), path="big.txt")
    report = await execute([article], config, RunOptions(out=tmp_path / "out"), backend=backend)
    assert sent == [] and not report.ok
    assert "over the limit of 1,000,000" in report.results[0].errors[0]


class Trickle(httpx.AsyncByteStream):
    """A 200 answer that arrives one byte at a time, never finishing in time."""

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for byte in b'{"id": "x", "choices": []}' * 100:
            await asyncio.sleep(0.05)
            yield bytes([byte])


async def test_a_trickling_server_cannot_hold_an_attempt_past_the_deadline(tmp_path, fake_sleep, llm_env):
    attempts: list[float] = []

    def trickle(request: httpx.Request) -> httpx.Response:
        attempts.append(time.perf_counter())
        return httpx.Response(200, headers={"content-type": "application/json"}, stream=Trickle())

    client = httpx.AsyncClient(transport=httpx.MockTransport(trickle))
    settings = LLMSettings(base_url="http://127.0.0.1:9/v1", timeout_seconds=0.5, transport_attempts=2,
                           preflight=False)  # the handler trickles every answer: only chat requests here
    backend = LLMBackend(settings, PromptSet(), http_client=client, sleep=fake_sleep)
    config = BackendConfig(choice=BackendChoice.llm, llm=settings)
    started = time.perf_counter()
    report = await execute([Article(id="a", text=TEXT, path="a.txt")], config, RunOptions(), backend=backend)
    elapsed = time.perf_counter() - started
    assert len(attempts) == 2, "a missed deadline is a timeout: retried"
    assert elapsed < 2 * 0.5 + 1.0, f"two attempts of 0.5 s took {elapsed:.1f} s"
    (error,) = report.results[0].errors
    assert "DeadlineExceeded: no complete answer within the 0.5 s deadline" in error


@pytest.mark.block_network(allowed_hosts=["127.0.0.1", WORKER_SOCKETS])
async def test_the_deadline_holds_on_a_real_socket(fake_sleep, llm_env):
    """Through the real HTTP client: a byte every 0.2 s never trips its read timeout
    (1 s), so only the overall deadline can end the attempt."""
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))
    from fault_server import FaultServer, Reply, well_behaved

    def trickle(request, count):
        reply = well_behaved(request, count)
        return Reply(reply.status, reply.body, reply.headers, trickle=0.2) if count == 0 else reply

    with FaultServer() as server:
        url = server.add("trickle", trickle)
        settings = LLMSettings(base_url=url, timeout_seconds=1.0, transport_attempts=2)
        backend = LLMBackend(settings, PromptSet(), sleep=fake_sleep)
        config = BackendConfig(choice=BackendChoice.llm, llm=settings)
        started = time.perf_counter()
        report = await execute([Article(id="a", text=TEXT, path="a.txt")], config, RunOptions(), backend=backend)
        elapsed = time.perf_counter() - started
        sent = server.received("trickle")
    assert len(sent) == 2 and sent[1].at - sent[0].at < 1.0 + 0.5, "cut at the deadline, then retried"
    assert report.ok and len(report.results[0].claims) == 1 and elapsed < 3.0
