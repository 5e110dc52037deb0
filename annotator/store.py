"""The output folder: one JSON per article, a flat claims.jsonl, run.json, prompt logs.

Every file is written atomically (temporary file in the same folder, fsync, rename), so
an interrupted run leaves either the old file or the new one, never half of one. An
article's file doubles as its cache entry: a rerun skips the article when the stored
result has the same text hash, backend, model and prompt version and no errors.

Layout::

    OUT/articles/<id>.json   ArticleResult (gold-shaped claims with offsets, provenance)
    OUT/logs/<id>.jsonl      every request/response exchanged for that article (LLM only)
    OUT/claims.jsonl         one ClaimRow per claim of every article of the run
    OUT/run.json             RunRecord: model, endpoint host, versions, times, totals
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
from collections.abc import Iterable
from pathlib import Path

from pydantic import BaseModel, ValidationError

from annotator.backends import Exchange
from annotator.models import Article, ArticleResult, SpeakerType, Usage

_SAFE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,150}$")


class ClaimRow(BaseModel):
    """One line of ``claims.jsonl``: a claim flattened with its speaker and offsets."""

    article: str
    index: int
    speaker_id: str
    speaker: str
    speaker_type: SpeakerType
    mention: str | None
    cue: str | None
    content: str
    start: int | None
    end: int | None
    alignment: str | None
    quote_type: str | None
    via: list[str] | None
    hedging: str | None
    hedge_cues: list[str]
    stance: str | None
    claim: str | None


class RunRecord(BaseModel):
    """``run.json``: what produced this folder, when, and what it cost."""

    annotator_version: str
    backend: str
    model: str
    endpoint: str | None
    prompt_version: str
    mode: str | None
    started: str
    finished: str
    seconds: float
    articles: int
    annotated: int
    skipped: int
    failed: int
    claims: int
    dropped_claims: int
    usage: Usage
    load_failures: list[dict[str, str]]


def atomic_write(path: Path, text: str) -> None:
    """Replace ``path`` with ``text`` in one step."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def file_stem(article_id: str) -> str:
    """A file name for an id; unsafe ids get a readable prefix plus a hash to stay unique."""
    if _SAFE_ID.match(article_id):
        return article_id
    readable = re.sub(r"[^A-Za-z0-9._-]+", "_", article_id)[:80].strip("._") or "article"
    return f"{readable}-{hashlib.sha256(article_id.encode()).hexdigest()[:10]}"


class Store:
    """Reads and writes one output folder."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.articles_dir = root / "articles"
        self.logs_dir = root / "logs"

    def article_path(self, article_id: str) -> Path:
        return self.articles_dir / f"{file_stem(article_id)}.json"

    def load(self, article_id: str) -> ArticleResult | None:
        """The stored result, or ``None`` when absent or unreadable (it will be redone)."""
        path = self.article_path(article_id)
        try:
            return ArticleResult.model_validate_json(path.read_text(encoding="utf-8"))
        except (OSError, ValidationError, ValueError):
            return None

    def fresh(self, article: Article, backend: str, model: str, prompt_version: str) -> ArticleResult | None:
        """The stored result if it is still valid for this text, backend, model and prompts."""
        stored = self.load(article.id)
        if stored is None or not stored.ok:
            return None
        same = (stored.text_sha256, stored.backend, stored.model, stored.prompt_version) == (
            article.sha256,
            backend,
            model,
            prompt_version,
        )
        return stored if same else None

    def write(self, result: ArticleResult, exchanges: list[Exchange]) -> None:
        """Write the article's result, and its exchange log when there is one."""
        if exchanges:
            lines = (json.dumps(e.__dict__, ensure_ascii=False, default=str) for e in exchanges)
            atomic_write(self.logs_dir / f"{file_stem(result.article)}.jsonl", "\n".join(lines) + "\n")
        atomic_write(self.article_path(result.article), result.model_dump_json(indent=2) + "\n")

    def write_claims(self, results: Iterable[ArticleResult]) -> int:
        """Rebuild ``claims.jsonl`` from the given results; returns the number of rows."""
        rows = [row.model_dump_json() for result in results for row in claim_rows(result)]
        atomic_write(self.root / "claims.jsonl", "".join(f"{row}\n" for row in rows))
        return len(rows)

    def write_run(self, record: RunRecord) -> None:
        atomic_write(self.root / "run.json", record.model_dump_json(indent=2) + "\n")


def claim_rows(result: ArticleResult) -> list[ClaimRow]:
    """Flatten an article's claims, joining each to its speaker entity."""
    speakers = {s.id: s for s in result.speakers}
    rows = []
    for index, claim in enumerate(result.claims):
        speaker = speakers[claim.speaker]
        content = claim.spans.content if claim.spans else []
        rows.append(
            ClaimRow(
                article=result.article,
                index=index,
                speaker_id=speaker.id,
                speaker=speaker.name,
                speaker_type=speaker.type,
                mention=claim.mention,
                cue=claim.cue,
                content=claim.content,
                start=content[0].start if content else None,
                end=content[-1].end if content else None,
                alignment=content[0].alignment.value if content else None,
                quote_type=claim.quote_type.value if claim.quote_type else None,
                via=claim.via,
                hedging=claim.hedging.value if claim.hedging else None,
                hedge_cues=claim.hedge_cues,
                stance=claim.stance.value if claim.stance else None,
                claim=claim.claim,
            )
        )
    return rows
