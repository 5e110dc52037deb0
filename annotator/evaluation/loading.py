"""Folders in, articles with text and character spans out.

Two layouts are accepted on either side: the ``--out`` folder of an ``annotate`` run
(``articles/<id>.json``, one :class:`~annotator.models.ArticleResult` each) and a plain
folder of gold-format files (``<id>.json``), so gold can be scored against gold.

Every claim leaves here with :class:`~annotator.models.ClaimSpans`. Stored spans are
trusted when they refer to the same text (imported gold; a run whose text hash matches);
otherwise the verbatim fields are located again: gold exactly (whitespace and quote
characters aside), predictions also fuzzily, as the pipeline grounded them.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path

from annotator.articles import ArticleError, load_file
from annotator.gold import (
    GoldFormatError,
    GoldIssue,
    ImportManifest,
    gold_files,
    load_texts,
    parse_file,
    read_manifest,
)
from annotator.grounding import NormalisedText, locate_claim, normalise
from annotator.models import AnnotatedArticle, ArticleResult, Claim, ClaimSpans
from annotator.store import Store


class EvalInputError(Exception):
    """Input the harness cannot score; the message names files, claims and fields."""


class SpeakerRule(str, Enum):
    """How a predicted speaker is judged against a gold one."""

    names = "names"
    """Gold has entities with names and aliases: compare normalised names."""
    mentions = "mentions"
    """Gold speakers are bare source strings (imported corpora): compare mention spans."""


@dataclass(frozen=True)
class LoadedArticle:
    """One side's annotation of one article, with where it came from."""

    path: Path
    annotation: AnnotatedArticle
    source: str | None = None
    text_sha256: str | None = None
    errors: tuple[str, ...] = ()
    text: str | None = None
    """The text a run stored with its result (schema 2 on), checked against its hash."""


@dataclass(frozen=True)
class AnnotationSet:
    """A whole folder: a run's output or a gold folder."""

    root: Path
    is_run: bool
    articles: dict[str, LoadedArticle]
    manifest: ImportManifest | None
    stale: tuple[str, ...] = ()
    """Outputs in a run folder that its latest run (``run.json``) did not produce: left from
    an earlier run of other inputs, and not scored unless asked."""

    @property
    def speaker_rule(self) -> SpeakerRule:
        if self.manifest is not None and not self.manifest.speaker_entities:
            return SpeakerRule.mentions
        return SpeakerRule.names

    @property
    def text_dir(self) -> Path | None:
        if self.manifest is None:
            return None
        return self.manifest.resolve(self.root, self.manifest.text_dir)


def load_set(root: Path, *, include_stale: bool = False) -> AnnotationSet:
    """Load a run folder or a gold folder; every unreadable file is reported at once.

    In a run folder, outputs of articles the latest run did not have are set apart as
    ``stale`` (kept with ``include_stale``); a run recorded before ``run.json`` listed its
    articles keeps every output."""
    if not root.is_dir():
        raise EvalInputError(f"{root}: not a folder")
    is_run = (root / "articles").is_dir()
    files = sorted((root / "articles").glob("*.json")) if is_run else gold_files(root)
    try:
        manifest = None if is_run else read_manifest(root)
    except GoldFormatError as error:
        raise EvalInputError(str(error)) from error
    if not files:
        where = root / "articles" if is_run else root
        raise EvalInputError(f"{where}: no article files (*.json)")
    articles: dict[str, LoadedArticle] = {}
    issues: list[GoldIssue] = []
    for path in files:
        loaded, found = _load_one(path, is_run)
        issues += found
        if loaded is not None:
            articles[loaded.annotation.article] = loaded
    if issues:
        raise EvalInputError("\n".join(str(issue) for issue in issues))
    stale = _stale(root, articles) if is_run else ()
    if not include_stale:
        articles = {key: value for key, value in articles.items() if key not in stale}
    return AnnotationSet(root=root, is_run=is_run, articles=articles, manifest=manifest, stale=stale)


def _stale(root: Path, articles: dict[str, LoadedArticle]) -> tuple[str, ...]:
    record = Store(root).read_run()
    if record is None or record.article_ids is None:
        return ()
    produced = set(record.article_ids)
    return tuple(sorted(key for key in articles if key not in produced))


def _load_one(path: Path, is_run: bool) -> tuple[LoadedArticle | None, list[GoldIssue]]:
    if not is_run:
        gold, issues = parse_file(path, AnnotatedArticle)
        return (LoadedArticle(path, gold) if gold else None), issues
    result, issues = parse_file(path, ArticleResult)
    if result is None:
        return None, issues
    text = result.text if result.text is not None and _sha256(result.text) == result.text_sha256 else None
    loaded = LoadedArticle(path, result, result.source, result.text_sha256, tuple(result.errors), text)
    return loaded, []


@dataclass
class TextFinder:
    """Finds each article's text: ``--articles``, then an import's text folder, then the
    text a run stored with its result, then (outputs of schema 1) the run's input file."""

    articles_dir: Path | None
    fallback_dirs: list[Path] = field(default_factory=list)
    _folders: dict[Path, dict[str, str]] = field(default_factory=dict)

    def text(self, article_id: str, *sides: LoadedArticle | None) -> str:
        """The text of one article, or :class:`EvalInputError` saying where it looked."""
        for folder in [d for d in [self.articles_dir, *self.fallback_dirs] if d is not None]:
            found = self._folder(folder).get(article_id)
            if found is not None:
                return found
        for side in sides:
            if side is not None and side.text is not None:
                return side.text
        for side in sides:
            if side is not None and side.source:
                found = _from_source(article_id, side.source)
                if found is not None:
                    return found
        looked = [str(d) for d in [self.articles_dir, *self.fallback_dirs] if d is not None]
        where = ", ".join(looked) if looked else "no --articles folder given"
        raise EvalInputError(f"no text for article {article_id!r} (looked in: {where}); pass --articles")

    def _folder(self, folder: Path) -> dict[str, str]:
        if folder not in self._folders:
            try:
                self._folders[folder] = load_texts(folder)
            except GoldFormatError as error:
                raise EvalInputError(str(error)) from error
        return self._folders[folder]


def _from_source(article_id: str, source: str) -> str | None:
    """A run records each article's input path (``file.jsonl:3`` for a record of a file)."""
    path = Path(source.split("#")[0])
    if not path.exists() and ":" in path.name:
        path = path.with_name(path.name.rsplit(":", 1)[0])
    if not path.is_file():
        return None
    try:
        loaded = load_file(path)
    except ArticleError:
        return None
    matches = [a.text for a in loaded.articles if a.id == article_id]
    return matches[0] if matches else (loaded.articles[0].text if len(loaded.articles) == 1 else None)


@dataclass(frozen=True)
class ResolvedClaims:
    """An article's claims with spans, plus what could not be placed (for the notes)."""

    claims: list[Claim]
    unplaced: list[str]


def resolve_claims(loaded: LoadedArticle, text: str, *, gold: bool) -> ResolvedClaims:
    """Give every claim spans; gold content that cannot be found is an input error."""
    trusted = loaded.text_sha256 is None or loaded.text_sha256 == _sha256(text)
    folded: NormalisedText | None = None
    claims: list[Claim] = []
    unplaced: list[str] = []
    errors: list[str] = []
    for index, claim in enumerate(loaded.annotation.claims):
        if claim.spans is not None and claim.spans.content and trusted:
            claims.append(claim)
            continue
        folded = folded or normalise(text)
        spans = _locate(claim, text, folded, fuzzy=not gold)
        if spans is None:
            message = f"{loaded.path}: claims[{index}].content: not found in the article: {claim.content!r}"
            (errors if gold else unplaced).append(message)
            spans = ClaimSpans(content=[])
        claims.append(claim.model_copy(update={"spans": spans}))
    if errors:
        raise EvalInputError("\n".join(errors))
    return ResolvedClaims(claims=claims, unplaced=unplaced)


def _locate(claim: Claim, text: str, folded: NormalisedText, *, fuzzy: bool) -> ClaimSpans | None:
    """Offsets from verbatim fields; a mention or cue that is not found stays unplaced."""
    return locate_claim(
        text, claim.content, claim.mention, claim.cue,
        occurrence=claim.occurrence, folded=folded, allow_fuzzy=fuzzy,
    ).spans


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
