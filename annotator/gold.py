"""Gold folders: load them with errors that point at a field, and check them.

A gold folder holds one ``<id>.json`` per article in the format of
``shared/annotation-scheme.md``. A folder written by ``gold import-brat`` also holds
:data:`MANIFEST_NAME`, which records where the article texts are and that speaker
entities are per-mention strings (the corpus has no coreference); files whose name
starts with ``_`` are never gold files.

Every problem is a :class:`GoldIssue` naming the file, the JSON location
(``claims[3].cue``) and what is wrong, so an annotator can go straight to it.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import TypeVar

from pydantic import BaseModel, Field, ValidationError

from annotator.articles import ArticleError, load_folder
from annotator.grounding import (
    FRAGMENT_SEPARATOR,
    NormalisedText,
    locate,
    locate_claim,
    normalise,
)
from annotator.models import AnnotatedArticle, CharSpan, Claim, Hedging, SpeakerType
from annotator.speakers import is_pronoun

MANIFEST_NAME = "_import.json"

Model = TypeVar("Model", bound=AnnotatedArticle)


class Severity(str, Enum):
    """Errors fail ``gold check``; warnings are printed and do not."""

    error = "error"
    warning = "warning"


@dataclass(frozen=True)
class GoldIssue:
    """One problem in one file, located as precisely as the input allows."""

    path: Path
    location: str
    message: str
    severity: Severity = Severity.error

    def __str__(self) -> str:
        where = f"{self.path}: {self.location}" if self.location else str(self.path)
        prefix = "" if self.severity is Severity.error else "warning: "
        return f"{where}: {prefix}{self.message}"


class GoldFormatError(Exception):
    """Files that cannot be used at all; carries every issue found, not just the first."""

    def __init__(self, issues: Sequence[GoldIssue]) -> None:
        self.issues = list(issues)
        super().__init__("\n".join(str(issue) for issue in self.issues))


class ImportedFile(BaseModel):
    """Which annotator's file an imported article came from, and what was dropped."""

    article: str
    annotator: str
    others: list[str] = Field(default_factory=list)
    claims: int
    dropped: int = Field(description="relations without a source or content (scheme: no claim)")


class ImportManifest(BaseModel):
    """``_import.json``: provenance of an imported gold folder.

    Paths are stored relative to the gold folder when possible, so the folder and the
    corpus can move together.
    """

    importer: str = "brat"
    ann_dir: str
    text_dir: str
    rank: int = Field(default=1, description="1 = alphabetically first annotator, 2 = second")
    speaker_entities: bool = Field(
        default=False,
        description="false: one speaker per source string, no coreference; the harness "
        "then scores speakers by mention-span overlap",
    )
    articles: list[ImportedFile] = Field(default_factory=list)

    def resolve(self, gold_dir: Path, stored: str) -> Path:
        """A stored path made usable from the current directory."""
        path = Path(stored)
        return path if path.is_absolute() else (gold_dir / path).resolve()


def relative_to(gold_dir: Path, target: Path) -> str:
    """``target`` as the manifest stores it: relative to the gold folder."""
    try:
        return os.path.relpath(target.resolve(), gold_dir.resolve())
    except ValueError:  # another drive on Windows
        return str(target.resolve())


def read_manifest(gold_dir: Path) -> ImportManifest | None:
    """The folder's import manifest, or ``None`` for hand-written gold."""
    path = gold_dir / MANIFEST_NAME
    if not path.exists():
        return None
    try:
        return ImportManifest.model_validate_json(path.read_text(encoding="utf-8"))
    except (ValidationError, UnicodeDecodeError) as error:
        raise GoldFormatError([GoldIssue(path, "", f"unreadable import manifest: {error}")]) from error


def gold_files(folder: Path) -> list[Path]:
    """The gold files of a folder, in a stable order, without the manifest."""
    return sorted(p for p in folder.glob("*.json") if not p.name.startswith("_"))


def json_location(loc: Sequence[int | str]) -> str:
    """``('claims', 3, 'cue')`` -> ``claims[3].cue``: how a reader finds it in the file."""
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def parse_file(path: Path, model: type[Model]) -> tuple[Model | None, list[GoldIssue]]:
    """Parse one file into ``model``; on failure, one issue per schema error."""
    try:
        raw = path.read_text(encoding="utf-8")
        return model.model_validate_json(raw), []
    except (OSError, UnicodeDecodeError) as error:
        return None, [GoldIssue(path, "", f"cannot read: {error}")]
    except ValidationError as error:
        issues = []
        for item in error.errors(include_url=False):
            if item["type"] == "json_invalid":
                message = f"invalid JSON: {item['ctx'].get('error', item['msg'])}"
                issues.append(GoldIssue(path, "", message))
            else:
                issues.append(GoldIssue(path, json_location(item["loc"]), item["msg"]))
        return None, issues


def load_texts(folder: Path) -> dict[str, str]:
    """Article texts by id, from any folder ``annotate`` could read (txt, md, html, json)."""
    try:
        loaded = load_folder(folder)
    except ArticleError as error:
        raise GoldFormatError([GoldIssue(folder, "", str(error))]) from error
    return {article.id: article.text for article in loaded.articles}


def text_folder(gold_dir: Path, articles: Path | None) -> Path | None:
    """Where the texts are: the folder given, else the one an import recorded."""
    if articles is not None:
        return articles
    manifest = read_manifest(gold_dir)
    return manifest.resolve(gold_dir, manifest.text_dir) if manifest else None


@dataclass(frozen=True)
class CheckReport:
    """What ``gold check`` found in one folder."""

    files: int
    claims: int
    issues: list[GoldIssue]

    @property
    def errors(self) -> list[GoldIssue]:
        return [i for i in self.issues if i.severity is Severity.error]

    @property
    def warnings(self) -> list[GoldIssue]:
        return [i for i in self.issues if i.severity is Severity.warning]


def check_folder(gold_dir: Path, texts: dict[str, str]) -> CheckReport:
    """Check every gold file of a folder against the article texts."""
    files = gold_files(gold_dir)
    issues: list[GoldIssue] = []
    claims = 0
    for path in files:
        gold, parse_issues = parse_file(path, AnnotatedArticle)
        issues += parse_issues
        if gold is None:
            continue
        claims += len(gold.claims)
        issues += check_article(path, gold, texts.get(gold.article))
    if not files:
        issues.append(GoldIssue(gold_dir, "", "no gold files (*.json) in this folder"))
    return CheckReport(files=len(files), claims=claims, issues=issues)


def check_article(path: Path, gold: AnnotatedArticle, text: str | None) -> list[GoldIssue]:
    """Labels and references of one parsed gold file; verbatim fields when the text is known."""
    issues = _check_speakers(path, gold)
    if gold.article != path.stem:
        message = f"article id {gold.article!r} differs from the file name {path.stem!r}"
        issues.append(GoldIssue(path, "article", message))
    known = {s.id for s in gold.speakers}
    used = set()
    folded = normalise(text) if text is not None else None
    for index, claim in enumerate(gold.claims):
        where = f"claims[{index}]"
        used.add(claim.speaker)
        if claim.speaker not in known:
            message = f"speaker {claim.speaker!r} is not an id in the speakers list"
            issues.append(GoldIssue(path, f"{where}.speaker", message))
        issues += _check_labels(path, where, claim)
        if text is not None and folded is not None:
            issues += _check_verbatim(path, where, claim, text, folded)
    if text is None:
        message = f"no article text for {gold.article!r}: verbatim fields were not checked"
        issues.append(GoldIssue(path, "", message))
    for index, speaker in enumerate(gold.speakers):
        if speaker.id not in used:
            message = f"speaker {speaker.id!r} has no claim"
            issues.append(GoldIssue(path, f"speakers[{index}]", message, Severity.warning))
    return issues


def _check_speakers(path: Path, gold: AnnotatedArticle) -> list[GoldIssue]:
    issues = []
    seen: set[str] = set()
    for index, speaker in enumerate(gold.speakers):
        where = f"speakers[{index}]"
        if speaker.id in seen:
            issues.append(GoldIssue(path, f"{where}.id", f"duplicate speaker id {speaker.id!r}"))
        seen.add(speaker.id)
        if speaker.type is SpeakerType.author:
            message = "type 'author' is for system output only; gold has no author claims"
            issues.append(GoldIssue(path, f"{where}.type", message))
        for alias_index, alias in enumerate(speaker.aliases):
            if is_pronoun(alias):
                message = f"alias {alias!r} is a pronoun; aliases are noun phrases"
                location = f"{where}.aliases[{alias_index}]"
                issues.append(GoldIssue(path, location, message, Severity.warning))
    return issues


def _check_labels(path: Path, where: str, claim: Claim) -> list[GoldIssue]:
    if claim.hedging is Hedging.none and claim.hedge_cues:
        message = f"hedging is 'none' but hedge_cues lists {claim.hedge_cues}"
        return [GoldIssue(path, f"{where}.hedge_cues", message)]
    return []


def _check_verbatim(
    path: Path, where: str, claim: Claim, text: str, folded: NormalisedText
) -> list[GoldIssue]:
    if claim.spans is not None:
        return _check_spans(path, where, claim, text)
    found = locate_claim(
        text, claim.content, claim.mention, claim.cue,
        occurrence=claim.occurrence, folded=folded, allow_fuzzy=False,
    )
    if found.spans is None:
        return [GoldIssue(path, f"{where}.content", _not_found(text, folded, claim))]
    issues = [
        GoldIssue(path, f"{where}.{name}", f"not found in the article: {getattr(claim, name)!r}")
        for name in found.missing
    ]
    content = found.spans.content
    content_text = normalise(text[content[0].start : content[-1].end]).text
    for index, cue in enumerate(claim.hedge_cues):
        if normalise(cue).text not in content_text:
            message = f"hedge cue {cue!r} is not inside the content"
            location = f"{where}.hedge_cues[{index}]"
            issues.append(GoldIssue(path, location, message, Severity.warning))
    return issues


def _not_found(text: str, folded: NormalisedText, claim: Claim) -> str:
    """Say whether the text is missing altogether or only the named occurrence is."""
    if claim.occurrence is not None:
        found = locate(text, claim.content.split(FRAGMENT_SEPARATOR)[0], folded=folded, allow_fuzzy=False)
        if found is not None:
            return f"occurrence {claim.occurrence} of {claim.content!r} does not exist"
    return f"not found verbatim in the article: {claim.content!r}"


def _check_spans(path: Path, where: str, claim: Claim, text: str) -> list[GoldIssue]:
    """Imported gold carries offsets: they must lie in the text and cover the field's text."""
    assert claim.spans is not None
    issues = []
    for name in ("content", "mention", "cue"):
        spans: list[CharSpan] = getattr(claim.spans, name)
        value = getattr(claim, name)
        if not spans:
            continue
        if any(s.end > len(text) or s.start > s.end for s in spans):
            issues.append(GoldIssue(path, f"{where}.spans.{name}", "offsets outside the article"))
            continue
        covered = FRAGMENT_SEPARATOR.join(text[s.start : s.end].strip() for s in spans)
        if value is not None and normalise(covered).text != normalise(value).text:
            message = f"offsets cover {covered!r}, not {value!r}"
            issues.append(GoldIssue(path, f"{where}.spans.{name}", message))
    return issues
