"""Shared pytest configuration: VCR (pytest-recording) setup and the LLM suite's fixtures.

Cassettes live in the repository-root ``cassettes/<test module>/<test name>.yaml``. They
are replayed with record mode ``none`` unless ``--record-mode`` is given on the command
line, so CI never reaches the network (``--block-network`` is in pyproject's addopts; the
plugin lifts it only for ``@pytest.mark.vcr`` tests run with a recording mode).
How the cassettes were made and how to re-record them: ``cassettes/README.md``.

Nothing here imports annotator or touches the network at import time, so collecting the
whole suite stays cheap for the modules that do not use it.
"""

from __future__ import annotations

import json
import math
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
CASSETTES = ROOT / "cassettes"
LLM_DATA = Path(__file__).resolve().parent / "data" / "llm"

FAKE_API_KEY = "sk-test-FAKEk3yF0rCassetteTests0000000000000000"
"""Key-shaped but worthless; tests assert it never reaches a cassette or an output file."""

SENSITIVE_HEADERS = (
    "authorization",
    "api-key",
    "x-api-key",
    "openai-organization",
    "openai-project",
    "cookie",
    "set-cookie",
)
FINGERPRINT_HEADER_PREFIX = "x-stainless-"
"""SDK headers describing the recording machine (OS, arch, Python build): noise, dropped."""

_KEY_LIKE = re.compile(r"\b(?:sk|rk|pk)-[A-Za-z0-9_\-*]{6,}|\bBearer\s+[A-Za-z0-9._\-~+/]{6,}=*")

# Parts of a request body that are not ours and change with library versions. They only
# occur inside the error text instructor feeds back on a re-ask.
_VOLATILE = (
    # pydantic links its error docs by minor version (2.14 today).
    (re.compile(r"https://errors\.pydantic\.dev/[^/\s]+/"), "https://errors.pydantic.dev/<v>/"),
    # pydantic-core's repr of the rejected input, truncated by rules that vary by release.
    (re.compile(r"input_value=.*?, input_type=", re.S), "input_value=<input>, input_type="),
    # instructor embeds the openai SDK's Python repr of the failed completion.
    (re.compile(r"<completion>.*?</completion>", re.S), "<completion><repr></completion>"),
)


# --------------------------------------------------------------------------- VCR setup


def _normalise_volatile(value: Any) -> Any:
    if isinstance(value, str):
        for pattern, replacement in _VOLATILE:
            value = pattern.sub(replacement, value)
        return value
    if isinstance(value, list):
        return [_normalise_volatile(v) for v in value]
    if isinstance(value, dict):
        return {k: _normalise_volatile(v) for k, v in value.items()}
    return value


def _parsed_body(request: Any) -> Any:
    body = request.body
    if body is None or body == b"" or body == "":
        return None
    text = body.decode("utf-8") if isinstance(body, (bytes, bytearray)) else str(body)
    try:
        return _normalise_volatile(json.loads(text))
    except json.JSONDecodeError:
        return text


def _first_difference(a: Any, b: Any, path: str = "$") -> str | None:
    if type(a) is not type(b) and not (isinstance(a, (int, float)) and isinstance(b, (int, float))):
        return f"{path}: {type(a).__name__} != {type(b).__name__}"
    if isinstance(a, dict):
        for key in sorted(set(a) | set(b)):
            if key not in a or key not in b:
                return f"{path}.{key}: present on one side only"
            found = _first_difference(a[key], b[key], f"{path}.{key}")
            if found:
                return found
        return None
    if isinstance(a, list):
        if len(a) != len(b):
            return f"{path}: {len(a)} items != {len(b)} items"
        for index, (x, y) in enumerate(zip(a, b)):
            found = _first_difference(x, y, f"{path}[{index}]")
            if found:
                return found
        return None
    if a != b:
        if isinstance(a, str) and isinstance(b, str):
            at = next((i for i, (x, y) in enumerate(zip(a, b)) if x != y), min(len(a), len(b)))
            start = max(0, at - 40)
            return f"{path} from char {at}: {a[start:at + 80]!r} != {b[start:at + 80]!r}"
        return f"{path}: {str(a)[:120]!r} != {str(b)[:120]!r}"
    return None


def json_body(r1: Any, r2: Any) -> None:
    """VCR matcher: equal JSON bodies, key order ignored, library-volatile text normalised."""
    difference = _first_difference(_parsed_body(r1), _parsed_body(r2))
    if difference:
        raise AssertionError(f"JSON bodies differ at {difference}")


def _redact(text: str) -> str:
    key = os.environ.get("OPENAI_API_KEY")
    if key and len(key) >= 8:
        text = text.replace(key, "[redacted]")
    return _KEY_LIKE.sub("[redacted]", text)


def scrub_request(request: Any) -> Any:
    """Second line of defence after ``filter_headers``: keys in bodies, machine fingerprints."""
    for name in list(request.headers):
        if name.lower().startswith(FINGERPRINT_HEADER_PREFIX):
            del request.headers[name]
    body = request.body
    if isinstance(body, (bytes, bytearray)):
        text = body.decode("utf-8", errors="surrogateescape")
        cleaned = _redact(text)
        if cleaned != text:
            request.body = cleaned.encode("utf-8", errors="surrogateescape")
    elif isinstance(body, str):
        request.body = _redact(body)
    return request


def scrub_response(response: dict[str, Any]) -> dict[str, Any]:
    """Drop credential and cookie headers from responses; redact key-like text in bodies."""
    headers = response.get("headers", {})
    for name in list(headers):
        if name.lower() in SENSITIVE_HEADERS:
            del headers[name]
    body = response.get("body", {})
    raw = body.get("string")
    if isinstance(raw, (bytes, bytearray)):
        text = raw.decode("utf-8", errors="surrogateescape")
        cleaned = _redact(text)
        if cleaned != text:
            body["string"] = cleaned.encode("utf-8", errors="surrogateescape")
    elif isinstance(raw, str):
        body["string"] = _redact(raw)
    return response


def pytest_recording_configure(config: pytest.Config, vcr: Any) -> None:
    vcr.register_matcher("json_body", json_body)


@pytest.fixture
def vcr_matchers() -> dict[str, Any]:
    """The custom matchers registered with VCR, for testing them directly."""
    return {"json_body": json_body}


@pytest.fixture(scope="module")
def vcr_cassette_dir(request: pytest.FixtureRequest) -> str:
    """``cassettes/<test module>/``: one folder per module, one file per test."""
    return str(CASSETTES / Path(str(request.node.fspath)).stem)


@pytest.fixture
def vcr_config(record_mode: str, vcr_cassette_dir: str) -> dict[str, Any]:
    return {
        "cassette_library_dir": vcr_cassette_dir,
        # pytest-recording lets a record_mode in this dict win over --record-mode, while
        # --block-network only looks at the command line; passing the command line value
        # (default "none") through keeps the two in agreement.
        "record_mode": record_mode,
        "match_on": ("method", "scheme", "host", "port", "path", "query", "json_body"),
        "filter_headers": list(SENSITIVE_HEADERS),
        "filter_query_parameters": ["api-key", "api_key", "key"],
        "decode_compressed_response": True,
        "before_record_request": scrub_request,
        "before_record_response": scrub_response,
    }


# ------------------------------------------------------------------- LLM suite fixtures


@pytest.fixture
def llm_env(monkeypatch: pytest.MonkeyPatch) -> str:
    """A fake key and no endpoint/model overrides from the developer's shell."""
    monkeypatch.setenv("OPENAI_API_KEY", FAKE_API_KEY)
    for name in ("OPENAI_BASE_URL", "ANNOTATOR_MODEL", "OPENAI_ORG_ID", "OPENAI_PROJECT_ID"):
        monkeypatch.delenv(name, raising=False)
    return FAKE_API_KEY


@pytest.fixture
def estimated_tokens(monkeypatch: pytest.MonkeyPatch) -> None:
    """Pin token counting to the offline estimate (chars/4).

    With tiktoken's tables cached the real tokenizer would be used and long articles
    would split differently from the recorded requests.
    """
    import annotator.llm
    from annotator.chunking import CHARS_PER_TOKEN

    monkeypatch.setattr(
        annotator.llm, "token_counter", lambda model: lambda text: math.ceil(len(text) / CHARS_PER_TOKEN)
    )


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
    """One HTTP exchange as the SDK saw it (replayed or live); status 0 when sending failed."""

    method: str
    url: str
    body: dict[str, Any]
    status: int
    response: Any

    @property
    def messages(self) -> list[dict[str, Any]]:
        return self.body.get("messages", [])


@pytest.fixture
def http_log(monkeypatch: pytest.MonkeyPatch) -> list[Sent]:
    """Every request the openai SDK sends through httpx, with the response it got.

    Sits above VCR, so it counts the same way whether a cassette replays, a recording
    runs, or a scripted server answers.
    """
    import httpx
    from vcr.errors import CannotOverwriteExistingCassetteException

    sent: list[Sent] = []
    original = httpx.AsyncClient.send

    async def send(self: httpx.AsyncClient, request: httpx.Request, **kwargs: Any) -> httpx.Response:
        body = json.loads(request.content) if request.content else {}
        try:
            response = await original(self, request, **kwargs)
        except CannotOverwriteExistingCassetteException as error:
            # The SDK would wrap this as a connection error and the backend would retry it;
            # fail the test at once with VCR's explanation (which matcher differed, where).
            sent.append(Sent(request.method, str(request.url), body, 0, None))
            pytest.fail(f"request not in the cassette; after a prompt/schema change run "
                        f"`python cassettes/build.py`.\n{error}", pytrace=False)
        except Exception:
            sent.append(Sent(request.method, str(request.url), body, 0, None))
            raise
        await response.aread()
        sent.append(Sent(request.method, str(request.url), body, response.status_code, response))
        return response

    monkeypatch.setattr(httpx.AsyncClient, "send", send)
    return sent


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
    totals: Any
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
def annotate(tmp_path: Path, fake_sleep: FakeSleep, llm_env: str, estimated_tokens: None, http_log: list[Sent]):
    """``await annotate(articles, **LLMSettings fields)``: the pipeline with a fake sleep."""
    from annotator.llm import LLMBackend, LLMSettings
    from annotator.pipeline import run
    from annotator.prompts import PromptSet
    from annotator.store import Store

    async def _annotate(articles: list[Any], out: Path | None = None, **settings: Any) -> LLMRun:
        out = out or tmp_path / "out"
        backend = LLMBackend(LLMSettings(**settings), PromptSet(), sleep=fake_sleep)
        store = Store(out)
        totals = await run(articles, backend, store)
        store.write_claims(totals.results)
        return LLMRun(out=out, totals=totals, backend=backend)

    return _annotate


@pytest.fixture
def llm_article():
    """Load ``tests/data/llm/<name>`` the way the CLI would (id = file stem)."""
    from annotator.articles import load_file

    def _load(name: str) -> Any:
        (article,) = load_file(LLM_DATA / name).articles
        return article

    return _load
