"""The output folder under hostile ids, killed runs, rival runs, bad paths and leaky
endpoints (issue 8): one test per class."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from annotator.backends import BackendChoice, BackendConfig, Extraction
from annotator.claims import ExtractedClaim
from annotator.models import Article
from annotator.runs import RunOptions, execute
from annotator.store import LOCK_FILE, OutputError, Store, file_stem

TEXT = "The mayor said the bridge would open in May."


class CountingBackend:
    """An offline stand-in that counts what it is sent and states one exact claim."""

    name, model, prompt_version, endpoint, mode = "counting", "m", "p", None, None

    def __init__(self) -> None:
        self.sent: list[str] = []

    async def prepare(self) -> list[str]:
        return []

    async def extract(self, article: Article) -> Extraction:
        self.sent.append(article.id)
        start = article.text.index("the bridge")
        claim = ExtractedClaim.at(
            article.text, content=[(start, start + len("the bridge would open in May"))],
            mention=(0, 9), cue=(10, 14), speaker="The mayor", speaker_type="person",
            quote_type="indirect", hedging="low", stance="neutral", restatement="It opens in May.",
        )
        return Extraction(claims=[claim])


async def run_into(out: Path, articles: list[Article]) -> tuple[CountingBackend, object]:
    backend = CountingBackend()
    config = BackendConfig(choice=BackendChoice.offline)
    report = await execute(articles, config, RunOptions(out=out), backend=backend)  # type: ignore[arg-type]
    return backend, report


# ------------------------------------------------------------------ one file per id


async def test_ids_that_looked_alike_as_file_names_get_files_of_their_own(tmp_path):
    tricky = f"a_b-{file_stem('a/b').rsplit('-', 1)[1]}"  # a safe id shaped like a/b's hashed name
    assert file_stem("a/b") != file_stem(tricky)
    ids = ["a/b", tricky, "a_b", "a:b"]
    assert len({file_stem(i) for i in ids}) == len(ids)
    articles = [Article(id=i, text=TEXT + f" ({i})", path=f"{n}.txt") for n, i in enumerate(ids)]
    await run_into(tmp_path / "out", articles)
    assert len(list((tmp_path / "out" / "articles").glob("*.json"))) == len(ids)
    assert {r.article for r in Store(tmp_path / "out").results()} == set(ids)
    # a second run finds each article's own result: nothing redone
    again, _ = await run_into(tmp_path / "out", articles)
    assert again.sent == []


def test_a_stored_result_never_stands_for_another_id(tmp_path):
    store = Store(tmp_path)
    (tmp_path / "articles").mkdir()
    other = CountingBackend()
    import asyncio

    from annotator.pipeline import build_result, cache_key

    article = Article(id="x", text=TEXT, path="x.txt")
    result = build_result(article, other, asyncio.run(other.extract(article)), 0.0)  # type: ignore[arg-type]
    store.article_path("y").write_text(result.model_dump_json())  # x's result in y's file
    twin = Article(id="y", text=TEXT, path="y.txt")
    assert store.fresh("y", cache_key(twin, other)) is None  # type: ignore[arg-type]


# ------------------------------------------------------------- killed and rival runs


async def test_orphan_temporary_files_of_a_killed_run_are_removed(tmp_path):
    out = tmp_path / "out"
    for folder in (out, out / "articles", out / "logs"):
        folder.mkdir(parents=True, exist_ok=True)
    orphans = [out / ".run.json.k2j4h6g8.tmp", out / "articles" / ".x.json.abcd1234.tmp",
               out / "logs" / ".x.jsonl.zz_9yy8x.tmp"]
    for orphan in orphans:
        orphan.write_text("{half a fi")
    mine = out / "articles" / "notes.tmp"  # not ours: kept
    mine.write_text("keep")
    await run_into(out, [Article(id="x", text=TEXT, path="x.txt")])
    assert [p for p in orphans if p.exists()] == []
    assert mine.read_text() == "keep"


def test_a_second_run_into_one_folder_is_refused_naming_the_holder(tmp_path):
    out = tmp_path / "out"
    with Store(out), pytest.raises(OutputError, match=rf"in use by another annotator run \(pid {os.getpid()} on "):
        Store(out).open()
    with Store(out):  # released on close
        pass


async def test_the_lock_of_another_process_is_honoured_and_dies_with_it(tmp_path):
    out = tmp_path / "out"
    holder = subprocess.Popen(
        [sys.executable, "-c", "import time; from pathlib import Path; from annotator.store import Store; "
         f"s = Store(Path({str(out)!r})); s.open(); print('held', flush=True); time.sleep(60)"],
        stdout=subprocess.PIPE, text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        with pytest.raises(OutputError, match=rf"pid {holder.pid} "):
            await run_into(out, [Article(id="x", text=TEXT, path="x.txt")])
        assert not (out / "articles" / "x.json").exists(), "the refused run did no work"
    finally:
        holder.kill()  # SIGKILL: no cleanup ran, yet the flock is gone with the process
        holder.wait()
    backend, _ = await run_into(out, [Article(id="x", text=TEXT, path="x.txt")])
    assert backend.sent == ["x"] and (out / LOCK_FILE).exists()


# -------------------------------------------------------------- unusable --out paths


@contextlib.contextmanager
def read_only(folder: Path) -> Iterator[None]:
    """Make ``folder`` unwritable even for root (the immutable flag), else by mode bits."""
    if os.geteuid() == 0:
        if subprocess.run(["chattr", "+i", str(folder)], capture_output=True).returncode != 0:
            pytest.skip("running as root without chattr: cannot make a folder read-only")
        try:
            yield
        finally:
            subprocess.run(["chattr", "-i", str(folder)], check=True)
    else:
        folder.chmod(0o555)
        try:
            yield
        finally:
            folder.chmod(0o755)


@pytest.mark.parametrize("case", ["file", "under-a-file", "read-only", "read-only-articles"])
async def test_unusable_out_is_a_clear_error_before_any_article_is_sent(tmp_path, case):
    blocker = tmp_path / "blocker"
    blocker.write_text("not a folder")
    out = {"file": blocker, "under-a-file": blocker / "sub" / "out"}.get(case, tmp_path / "out")
    guard: contextlib.AbstractContextManager[None] = contextlib.nullcontext()
    if case.startswith("read-only"):
        (out / "articles").mkdir(parents=True)
        guard = read_only(out if case == "read-only" else out / "articles")
    backend = CountingBackend()
    with guard, pytest.raises(OutputError) as raised:
        config = BackendConfig(choice=BackendChoice.offline)
        await execute([Article(id="x", text=TEXT, path="x.txt")], config, RunOptions(out=out),
                      backend=backend)  # type: ignore[arg-type]
    assert backend.sent == [], "nothing was sent"
    message = str(raised.value)
    assert str(out if case != "read-only-articles" else out / "articles") in message
    assert {"file": "is a file", "under-a-file": f"lies under {blocker}, which is a file"}.get(
        case, "is not writable") in message


def test_cli_names_the_unusable_out_and_exits_2(tmp_path):
    from typer.testing import CliRunner

    from annotator.cli import app

    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "a.txt").write_text(TEXT)
    blocker = tmp_path / "out"
    blocker.write_text("x")
    result = CliRunner().invoke(app, ["annotate", str(tmp_path / "in"), "--backend", "offline",
                                      "--out", str(blocker)])
    assert result.exit_code == 2, result.output
    assert "is a file, not a folder" in " ".join(result.output.split())
    assert result.exception is None or isinstance(result.exception, SystemExit)


# ----------------------------------------------------------------- nothing key-shaped

KEY = "sk-proj-Tr0ub4dor3xampleK3yThatMustNeverBeWritten42"


def leaks(root: Path, *needles: str) -> list[str]:
    return [
        str(p.relative_to(root)) for p in sorted(root.rglob("*"))
        if p.is_file() and any(n in p.read_text(errors="replace") for n in needles)
    ]


def tool_answer(claims: list[dict]) -> dict:
    arguments = json.dumps({"claims": claims})
    return {
        "id": "chatcmpl-1", "object": "chat.completion", "created": 1, "model": "m",
        "choices": [{"index": 0, "finish_reason": "stop", "message": {
            "role": "assistant", "content": None,
            "tool_calls": [{"id": "call_1", "type": "function",
                            "function": {"name": "ClaimExtraction", "arguments": arguments}}]}}],
        "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
    }


async def llm_run(tmp_path: Path, monkeypatch, handler, text: str = TEXT):
    from annotator.llm.backend import LLMBackend
    from annotator.llm.settings import LLMSettings
    from annotator.prompts import PromptSet

    monkeypatch.setenv("OPENAI_API_KEY", KEY)

    async def no_sleep(_: float) -> None:
        return None

    # no pre-flight: these handlers answer the chat requests whose output is checked
    settings = LLMSettings(base_url="http://127.0.0.1:9/v1", transport_attempts=1, max_reasks=0, preflight=False)
    client = httpx.AsyncClient(transport=httpx.MockTransport(handler))
    backend = LLMBackend(settings, PromptSet(), http_client=client, sleep=no_sleep)
    config = BackendConfig(choice=BackendChoice.llm, llm=settings)
    out = tmp_path / "out"
    report = await execute([Article(id="a", text=text, path="a.txt")], config, RunOptions(out=out),
                           backend=backend)
    return out, report


def claim_dict(content: str, **extra) -> dict:
    return {"speaker": "The mayor", "speaker_type": "person", "mention": "The mayor", "cue": "said",
            "content": content, "quote_type": "indirect", "hedging": "none", "stance": "neutral",
            "restatement": content, **extra}


async def test_a_key_echoed_in_a_200_answer_is_in_no_file(tmp_path, monkeypatch):
    def echo(request: httpx.Request) -> httpx.Response:
        presented = request.headers["authorization"].removeprefix("Bearer ")
        answer = tool_answer([claim_dict("the bridge would open in May", restatement=f"key {presented}",
                                         speaker_role=presented)])
        answer["system_fingerprint"] = presented
        return httpx.Response(200, json=answer)

    out, report = await llm_run(tmp_path, monkeypatch, echo)
    assert report.ok and len(report.results[0].claims) == 1  # type: ignore[attr-defined]
    assert {p.name for p in out.rglob("*") if p.is_file()} >= {"a.json", "a.jsonl", "claims.jsonl", "run.json"}
    assert leaks(out, KEY, KEY.removeprefix("sk-proj-"), KEY.removeprefix("sk-")) == []


async def test_a_key_echoed_without_its_prefix_in_a_401_is_in_no_file(tmp_path, monkeypatch):
    def refuse(request: httpx.Request) -> httpx.Response:
        bare = request.headers["authorization"].removeprefix("Bearer sk-")
        return httpx.Response(401, json={"error": {"message": f"Incorrect API key provided: {bare}",
                                                   "type": "invalid_request_error", "code": "invalid_api_key"}})

    out, report = await llm_run(tmp_path, monkeypatch, refuse)
    assert not report.ok  # type: ignore[attr-defined]
    assert leaks(out, KEY, KEY.removeprefix("sk-")) == []
    assert "Incorrect API key provided" in (out / "articles" / "a.json").read_text()


async def test_an_article_containing_the_key_is_stored_masked_with_offsets_intact(tmp_path, monkeypatch):
    text = f"The mayor said the password was {KEY} and the bridge would open in May."

    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json=tool_answer([
            claim_dict(f"the password was {KEY} and the bridge would open in May"),
        ]))

    out, report = await llm_run(tmp_path, monkeypatch, answer, text=text)
    assert report.ok  # type: ignore[attr-defined]
    assert leaks(out, KEY, KEY.removeprefix("sk-")) == []
    stored = json.loads((out / "articles" / "a.json").read_text())
    assert len(stored["text"]) == len(text)
    span = stored["claims"][0]["spans"]["content"][0]
    assert stored["text"][span["start"] : span["end"]] == stored["claims"][0]["content"]
    assert "[redacted]" in stored["claims"][0]["content"]
