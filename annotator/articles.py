"""Load a folder of articles: text, Markdown, HTML (via trafilatura), JSON and JSONL.

A broken file never stops the folder: each one that cannot be read becomes a
:class:`LoadFailure` naming the file and the reason, and the rest load normally.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from annotator.models import Article

TEXT_SUFFIXES = frozenset({".txt", ".md"})
HTML_SUFFIXES = frozenset({".html", ".htm"})
JSON_SUFFIXES = frozenset({".json", ".jsonl"})
SUFFIXES = TEXT_SUFFIXES | HTML_SUFFIXES | JSON_SUFFIXES
OPTIONAL_FIELDS = ("title", "url", "date", "outlet")


class ArticleError(ValueError):
    """Why one file could not be turned into articles."""


@dataclass(frozen=True)
class LoadFailure:
    """A file that was skipped, and why."""

    path: str
    reason: str


@dataclass
class LoadResult:
    """Everything found in a folder: the articles and the files that failed."""

    articles: list[Article] = field(default_factory=list)
    failures: list[LoadFailure] = field(default_factory=list)


def load_folder(root: Path) -> LoadResult:
    """Load every supported file below ``root`` (recursively, in a stable order)."""
    result = LoadResult()
    for item in iter_folder(root):
        if isinstance(item, LoadFailure):
            result.failures.append(item)
        else:
            result.articles.append(item)
    return result


def iter_folder(root: Path) -> Iterator[Article | LoadFailure]:
    """Every article below ``root``, and every input that failed, one file at a time.

    Only the ids seen so far are kept (to refuse a duplicate), so a run can stream a
    corpus of any size. Raises :class:`ArticleError` at once when ``root`` is missing.
    """
    if not root.exists():
        raise ArticleError(f"{root}: no such file or directory")
    return _scan(root)


def _scan(root: Path) -> Iterator[Article | LoadFailure]:
    seen: dict[str, str] = {}
    for path in _candidates(root):
        try:
            loaded = load_file(path)
        except ArticleError as error:
            yield LoadFailure(str(path), str(error))
            continue
        yield from loaded.failures
        for article in loaded.articles:
            if article.id in seen:
                reason = f"duplicate article id {article.id!r}: also in {seen[article.id]}"
                yield LoadFailure(article.path, reason)
                continue
            seen[article.id] = article.path
            yield article


def _candidates(root: Path) -> Iterator[Path]:
    if root.is_file():
        yield root
        return
    for path in sorted(root.rglob("*")):
        hidden = any(part.startswith(".") for part in path.relative_to(root).parts)
        if path.is_file() and not hidden and path.suffix.lower() in SUFFIXES:
            yield path


def load_file(path: Path) -> LoadResult:
    """Articles in one file; a bad record of a JSON file fails alone.

    Raises :class:`ArticleError` when the file as a whole is unusable.
    """
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise ArticleError(f"unsupported file type {suffix or '(none)'}")
    raw = _decode(path)
    if suffix in TEXT_SUFFIXES:
        return LoadResult(articles=[_article(path.stem, raw, str(path))])
    if suffix in HTML_SUFFIXES:
        import trafilatura  # seconds to import; only HTML input pays for it

        text = trafilatura.extract(raw, include_comments=False, include_tables=False)
        if not text or not text.strip():
            raise ArticleError("no main text found in the HTML")
        return LoadResult(articles=[_article(path.stem, text, str(path), title=_html_title(raw))])
    return _from_json(path, raw, suffix)


def _decode(path: Path) -> str:
    data = path.read_bytes()
    if not data.strip():
        raise ArticleError("file is empty")
    if b"\x00" in data[:8192]:
        raise ArticleError("file is binary (contains NUL bytes)")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise ArticleError(f"not valid UTF-8 (byte {error.start}): {error.reason}") from error


def _html_title(raw: str) -> str | None:
    import trafilatura

    metadata = trafilatura.extract_metadata(raw)
    return metadata.title if metadata is not None and metadata.title else None


def _from_json(path: Path, raw: str, suffix: str) -> LoadResult:
    if suffix == ".jsonl":
        lines = [(n, line) for n, line in enumerate(raw.splitlines(), 1) if line.strip()]
        labelled = [(f"{path}:{n}", f"{path.stem}-{n}", line) for n, line in lines]
    else:
        labelled = [(str(path), path.stem, raw)]
    result = LoadResult()
    records: list[tuple[str, str, Any]] = []
    for where, stem_id, text in labelled:
        try:
            parsed = json.loads(text)
        except json.JSONDecodeError as error:
            reason = f"invalid JSON at line {error.lineno} column {error.colno}: {error.msg}"
            result.failures.append(LoadFailure(where, reason))
            continue
        items = parsed if isinstance(parsed, list) and suffix == ".json" else [parsed]
        several = len(items) > 1
        records.extend(
            (f"{where}#{i + 1}" if several else where, f"{stem_id}-{i + 1}" if several else stem_id, item)
            for i, item in enumerate(items)
        )
    if not records and not result.failures:
        raise ArticleError("no records in the file")
    for where, default_id, record in records:
        try:
            result.articles.append(_from_record(record, where, default_id))
        except ArticleError as error:
            result.failures.append(LoadFailure(where, str(error)))
    return result


def _from_record(record: Any, where: str, default_id: str) -> Article:
    if not isinstance(record, dict):
        raise ArticleError("expected an object with a 'text' field")
    text = record.get("text")
    if not isinstance(text, str):
        raise ArticleError("missing or non-string 'text' field")
    extras = {k: str(record[k]) for k in OPTIONAL_FIELDS if record.get(k) is not None}
    return _article(str(record.get("id") or default_id), text, where, **extras)


def _article(article_id: str, text: str, source: str, **extras: str | None) -> Article:
    if not text.strip():
        raise ArticleError("article text is empty")
    return Article(id=article_id, text=text, path=source, **extras)
