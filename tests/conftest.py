"""Shared pytest configuration: VCR (pytest-recording) setup and the LLM suite's fixtures.

Cassettes live in the repository-root ``cassettes/<test module>/<test name>.yaml``. They
are replayed with record mode ``none`` unless ``--record-mode`` is given on the command
line, so CI never reaches the network (``--block-network`` is in pyproject's addopts; the
plugin lifts it only for ``@pytest.mark.vcr`` tests run with a recording mode). Their
storage format, matcher and scrubbers are in ``tests/cassette_format.py``.
How the cassettes were made and how to re-record them: ``cassettes/README.md``.

Nothing here imports annotator or touches the network at import time, so collecting the
whole suite stays cheap for the modules that do not use it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
CASSETTES = ROOT / "cassettes"
LLM_DATA = Path(__file__).resolve().parent / "data" / "llm"

WORKER_SOCKETS = r".*/pymp-[^/]+/listener-.*"
"""The Unix socket of the offline backend's fork server (also in pyproject's ``--allowed-hosts``):
a test marked ``block_network(allowed_hosts=[...])`` replaces that list, so it names this too."""

FAKE_API_KEY = "sk-test-FAKEk3yF0rCassetteTests0000000000000000"
"""Key-shaped but worthless; tests assert it never reaches a cassette or an output file."""


# --------------------------------------------------------------------------- VCR setup


def pytest_recording_configure(config: pytest.Config, vcr: Any) -> None:
    import cassette_format

    vcr.register_matcher("json_body", cassette_format.json_body)
    vcr.register_serializer("yaml", cassette_format)  # replaces VCR's own: same files, structured bodies


@pytest.fixture(scope="module")
def vcr_cassette_dir(request: pytest.FixtureRequest) -> str:
    """``cassettes/<test module>/``: one folder per module, one file per test."""
    return str(CASSETTES / Path(str(request.node.fspath)).stem)


@pytest.fixture
def vcr_config(record_mode: str, vcr_cassette_dir: str) -> dict[str, Any]:
    import cassette_format

    return {
        "cassette_library_dir": vcr_cassette_dir,
        # pytest-recording lets a record_mode in this dict win over --record-mode, while
        # --block-network only looks at the command line; passing the command line value
        # (default "none") through keeps the two in agreement.
        "record_mode": record_mode,
        "serializer": "yaml",
        "match_on": ("method", "scheme", "host", "port", "path", "query", "json_body"),
        "filter_headers": list(cassette_format.SENSITIVE_HEADERS),
        "filter_query_parameters": ["api-key", "api_key", "key"],
        "decode_compressed_response": True,
        "before_record_request": cassette_format.scrub_request,
        "before_record_response": cassette_format.scrub_response,
    }


# ------------------------------------------------------------------- LLM suite fixtures


@pytest.fixture
def llm_env(monkeypatch: pytest.MonkeyPatch) -> str:
    """A fake key and no endpoint/model overrides from the developer's shell."""
    monkeypatch.setenv("OPENAI_API_KEY", FAKE_API_KEY)
    for name in ("OPENAI_BASE_URL", "ANNOTATOR_MODEL", "OPENAI_ORG_ID", "OPENAI_PROJECT_ID"):
        monkeypatch.delenv(name, raising=False)
    return FAKE_API_KEY


class FakeSleep:
    """Records every delay the retry loops ask for instead of sleeping."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)

    @property
    def waits(self) -> list[float]:
        """Delays above zero (instructor's re-ask loop calls sleep(0) between attempts)."""
        return [d for d in self.delays if d > 0]


@pytest.fixture
def fake_sleep() -> FakeSleep:
    return FakeSleep()


@dataclass
class Sent:
    """One HTTP exchange the run made, as the cassette replayed (or recorded) it."""

    method: str
    url: str
    body: dict[str, Any]
    status: int
    response: Any
    """An ``httpx.Response`` rebuilt from the cassette: ``.json()``, ``.headers``."""

    @property
    def messages(self) -> list[dict[str, Any]]:
        return self.body.get("messages", [])


MODEL_CALLS = ("/chat/completions", "/api/chat")
"""Paths of the requests that ask the model (the rest: the run's pre-flight)."""


class HttpLog:
    """The model requests of the test's cassette that the run actually used, in order.

    Read from VCR's own bookkeeping, so it needs no hook in the code under test: in
    replay, the interactions that were played; when recording, those recorded. Indexing
    and ``len`` see only the requests that ask the model; :meth:`everything` also the
    pre-flight (``GET /models`` and the like).
    """

    def __init__(self, cassette: Any) -> None:
        self._cassette = cassette

    def everything(self) -> list[Sent]:
        """Every exchange, pre-flight included."""
        return self._all()

    @property
    def preflight(self) -> list[Sent]:
        """The exchanges that did not ask the model."""
        return [s for s in self._all() if not s.url.endswith(MODEL_CALLS)]

    def _sent(self) -> list[Sent]:
        return [s for s in self._all() if s.url.endswith(MODEL_CALLS)]

    def _all(self) -> list[Sent]:
        import httpx

        cassette = self._cassette
        used = [
            pair
            for index, pair in enumerate(cassette.data)
            if not cassette.write_protected or cassette.play_counts[index]
        ]
        log = []
        for request, response in used:
            body = json.loads(request.body) if request.body else {}
            status = response["status"]["code"]
            headers = [(k, v) for k, values in response["headers"].items() for v in values]
            content = response["body"]["string"]
            content = content.encode("utf-8") if isinstance(content, str) else content
            rebuilt = httpx.Response(status, headers=headers, content=content)
            log.append(Sent(request.method, request.uri, body, status, rebuilt))
        return log

    def __len__(self) -> int:
        return len(self._sent())

    def __iter__(self) -> Iterator[Sent]:
        return iter(self._sent())

    def __getitem__(self, index: Any) -> Any:
        return self._sent()[index]


@pytest.fixture
def http_log(vcr: Any) -> HttpLog:
    """Every request the run sent through the test's cassette, with its response."""
    if vcr is None:
        pytest.fail("http_log needs a test marked @pytest.mark.vcr", pytrace=False)
    return HttpLog(vcr)


def _key_leaks(root: Path, key: str) -> list[str]:
    """Files below ``root`` containing the key (or, for sk- keys, any sk- key)."""
    pattern = re.compile(re.escape(key) + (r"|\bsk-[A-Za-z0-9_\-]{12,}" if key.startswith("sk-") else ""))
    return [
        str(path.relative_to(root))
        for path in sorted(root.rglob("*"))
        if path.is_file() and pattern.search(path.read_text(encoding="utf-8", errors="replace"))
    ]


@pytest.fixture
def key_leaks():
    """``key_leaks(root, key)``: files below ``root`` that contain the key; expect ``[]``."""
    return _key_leaks


def _ungrounded(text: str, claims: list[Any]) -> list[str]:
    """Claims whose stored offsets do not point at their verbatim fields in ``text``."""
    from annotator.grounding import normalise

    problems = []
    for index, claim in enumerate(claims):
        if claim.spans is None:
            problems.append(f"claims[{index}]: no spans")
            continue
        for name in ("content", "mention", "cue"):
            spans = getattr(claim.spans, name)
            value = getattr(claim, name)
            if not spans:
                problems.append(f"claims[{index}].{name}: no span")
                continue
            found = text[spans[0].start : spans[-1].end]
            tier = spans[0].alignment.value
            if tier == "exact" and found != value:
                problems.append(f"claims[{index}].{name}: {found!r} != {value!r}")
            elif tier == "normalised" and normalise(found).text != normalise(value).text:
                problems.append(f"claims[{index}].{name}: {found!r} !~ {value!r}")
    return problems


@pytest.fixture
def ungrounded():
    """``ungrounded(text, claims)``: claims whose spans do not hold their text; expect ``[]``."""
    return _ungrounded


@dataclass
class LLMRun:
    """The outcome of annotating articles through the real pipeline into ``out``."""

    out: Path
    report: Any
    backend: Any
    files: dict[str, Any] = field(default_factory=dict)

    def result(self, article_id: str) -> Any:
        from annotator.models import ArticleResult

        return ArticleResult.model_validate_json((self.out / "articles" / f"{article_id}.json").read_text())

    def log(self, article_id: str) -> list[dict[str, Any]]:
        path = self.out / "logs" / f"{article_id}.jsonl"
        return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []

    def claim_rows(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in (self.out / "claims.jsonl").read_text().splitlines()]

    def output_text(self) -> str:
        return "\n".join(p.read_text() for p in sorted(self.out.rglob("*")) if p.is_file())


@pytest.fixture
def annotate(tmp_path: Path, fake_sleep: FakeSleep, llm_env: str):
    """``await annotate(articles, **LLMSettings fields)``: a whole run into ``out``.

    The backend gets a fake sleep and the offline token estimate (chars / 4) through its
    seams, so waits are recorded instead of slept and long articles split exactly as the
    cassettes recorded them, whether or not tiktoken's tables are cached here.
    """
    from annotator.backends import BackendChoice, BackendConfig
    from annotator.chunking import estimate_tokens
    from annotator.llm.backend import LLMBackend
    from annotator.llm.settings import LLMSettings
    from annotator.prompts import PromptSet
    from annotator.runs import RunOptions, execute

    async def _annotate(articles: list[Any], out: Path | None = None, **settings: Any) -> LLMRun:
        out = out or tmp_path / "out"
        config = BackendConfig(choice=BackendChoice.llm, llm=LLMSettings(**settings))
        backend = LLMBackend(config.llm, PromptSet(), sleep=fake_sleep, count_tokens=estimate_tokens)
        report = await execute(articles, config, RunOptions(out=out), backend=backend)
        return LLMRun(out=out, report=report, backend=backend)

    return _annotate


@pytest.fixture
def llm_article():
    """Load ``tests/data/llm/<name>`` the way the CLI would (id = file stem)."""
    from annotator.articles import load_file

    def _load(name: str) -> Any:
        (article,) = load_file(LLM_DATA / name).articles
        return article

    return _load
