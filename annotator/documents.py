"""A run or gold folder read back as documents: each annotation with the text its offsets point into.

Two layouts, as ``eval`` reads them: the ``--out`` folder of a run (``articles/<id>.json``,
read with :func:`annotator.store.read_result`, any schema) and a gold folder (``<id>.json``
plus, for imported corpora, the manifest naming the text folder). A file that cannot be
read is kept as a :class:`Unreadable` entry for the index, never a reason to stop.

The text is found the way ``eval`` finds it (:class:`~annotator.evaluation.loading.TextFinder`):
``--articles``, an import's text folder, the text a run stored, the run's input file.
Outputs of schema 1 stored no text; when none of those places has it, the page says so.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import ValidationError

from annotator.evaluation.loading import EvalInputError, LoadedArticle, TextFinder, resolve_claims
from annotator.gold import GoldFormatError, ImportManifest, gold_files, parse_file, read_manifest
from annotator.models import AnnotatedArticle, ArticleResult, CharSpan, Claim
from annotator.store import ARTICLES_DIR, RunRecord, Store, read_result


class ViewInputError(Exception):
    """A folder that cannot be viewed at all (missing, empty); the message names it."""


@dataclass(frozen=True)
class Document:
    """One article as the view shows it."""

    annotation: AnnotatedArticle
    """An :class:`ArticleResult` for a run, the gold record for a gold folder."""
    path: Path
    text: str | None
    claims: list[Claim]
    """The annotation's claims, each with spans (empty content spans: not located)."""
    text_note: str | None = None
    """Why the text is missing, when it is."""
    unplaced: tuple[str, ...] = ()

    @property
    def result(self) -> ArticleResult | None:
        return self.annotation if isinstance(self.annotation, ArticleResult) else None


@dataclass(frozen=True)
class Unreadable:
    """An article file the view could not read, and why."""

    path: Path
    reason: str


@dataclass(frozen=True)
class Folder:
    """Everything the index needs about the folder."""

    root: Path
    is_run: bool
    documents: list[Document]
    unreadable: list[Unreadable] = field(default_factory=list)
    record: RunRecord | None = None
    manifest: ImportManifest | None = None


def read_folder(root: Path, articles_dir: Path | None = None) -> Folder:
    """Read a run folder or a gold folder; raises :class:`ViewInputError` only when there is nothing to view."""
    if not root.is_dir():
        raise ViewInputError(f"{root}: not a folder")
    is_run = (root / ARTICLES_DIR).is_dir()
    try:
        manifest = None if is_run else read_manifest(root)
    except GoldFormatError as error:
        raise ViewInputError(str(error)) from error
    paths = sorted((root / ARTICLES_DIR).glob("*.json")) if is_run else gold_files(root)
    if not paths:
        where = root / ARTICLES_DIR if is_run else root
        raise ViewInputError(f"{where}: no article files (*.json)")
    fallbacks = [manifest.resolve(root, manifest.text_dir)] if manifest else []
    finder = TextFinder(articles_dir, fallbacks)
    documents: list[Document] = []
    unreadable: list[Unreadable] = []
    for path in paths:
        loaded = _load(path, is_run)
        if isinstance(loaded, Unreadable):
            unreadable.append(loaded)
        else:
            documents.append(document(loaded, finder))
    record = Store(root).read_run() if is_run else None
    return Folder(root, is_run, documents, unreadable, record, manifest)


def _load(path: Path, is_run: bool) -> LoadedArticle | Unreadable:
    if is_run:
        try:
            result = read_result(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError) as error:
            return Unreadable(path, f"cannot read: {error}")
        except (ValidationError, ValueError) as error:
            return Unreadable(path, f"not an article output: {_first_line(error)}")
        return LoadedArticle(path, result, result.source, result.text_sha256, tuple(result.errors), result.text)
    gold, issues = parse_file(path, AnnotatedArticle)
    if gold is None:
        return Unreadable(path, "; ".join(str(issue) for issue in issues))
    return LoadedArticle(path, gold)


def document(loaded: LoadedArticle, finder: TextFinder | None = None) -> Document:
    """The annotation with its text and every claim located in it, or a note saying why not."""
    finder = finder or TextFinder(None)
    annotation = loaded.annotation
    try:
        text = finder.text(annotation.article, loaded)
    except EvalInputError as error:
        note = _missing_text_note(annotation, str(error))
        return Document(annotation, loaded.path, None, list(annotation.claims), text_note=note)
    resolved = resolve_claims(loaded, text, gold=False)
    return Document(annotation, loaded.path, text, resolved.claims, unplaced=tuple(resolved.unplaced))


def _missing_text_note(annotation: AnnotatedArticle, reason: str) -> str:
    if isinstance(annotation, ArticleResult) and annotation.schema_version < 2:
        return (
            f"This output was written with schema {annotation.schema_version}, which stored no article text, "
            f"and the text was not found at its input ({annotation.source}). Pass --articles to show it; "
            "the claims are listed without their context."
        )
    return f"The article text was not found ({reason}); the claims are listed without their context."


def _first_line(error: Exception) -> str:
    return str(error).splitlines()[0] if str(error) else type(error).__name__


def hedge_spans(text: str, content: Sequence[CharSpan], cues: Iterable[str]) -> list[tuple[int, int]]:
    """Where each hedge cue sits inside the content: the first whole-word match, any case."""
    found = []
    for cue in cues:
        pattern = re.compile(rf"(?<!\w){re.escape(cue.strip())}(?!\w)", re.IGNORECASE)
        for span in content:
            match = pattern.search(text, span.start, span.end)
            if match:
                found.append((match.start(), match.end()))
                break
    return found
