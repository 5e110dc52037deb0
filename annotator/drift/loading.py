"""DIR in, one :class:`StoryArticle` per article out, with offsets wherever a text is known.

DIR is either the ``--out`` folder of an ``annotate`` run (read through
:mod:`annotator.store`, any schema; schema 2 carries its text) or a folder of gold-format
files (read through :mod:`annotator.gold`; texts from ``--articles``). A file that cannot
be read is an error naming it: a comparison silently missing an outlet would report
that outlet's claims as omitted.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import ValidationError

from annotator.gold import GoldFormatError, gold_files, load_texts, parse_file
from annotator.grounding import locate_claim, normalise
from annotator.models import AnnotatedArticle, Claim, ClaimSpans, Speaker
from annotator.store import ARTICLES_DIR, read_result

CREDIT_LINES = (
    "BBC News", "BBC", "Reuters", "AFP", "Agence France-Presse", "Associated Press", "AP",
    "Al Jazeera", "The Guardian", "France 24", "RFI", "Deutsche Welle", "DW", "CNN", "Bloomberg",
    "Xinhua", "Anadolu Agency", "Le Monde", "The New York Times", "The Washington Post", "Firstpost",
)
"""Outlet names recognised on a line of their own (a byline block or a wire sign-off)."""
_CREDIT = {name.lower(): name for name in CREDIT_LINES}


class CompareInputError(Exception):
    """Input the comparison cannot use; the message names the file and the problem."""


@dataclass(frozen=True)
class StoryArticle:
    """One article's claims, speakers and (when known) text, as the comparison reads them."""

    id: str
    path: Path
    claims: list[Claim]
    speakers: dict[str, Speaker]
    text: str | None = None
    outlet: str | None = None
    date: str | None = None
    title: str | None = None
    unplaced: tuple[int, ...] = ()
    """Claims whose content could not be found in the text (they have no offsets)."""

    def speaker_name(self, claim: Claim) -> str:
        entity = self.speakers.get(claim.speaker)
        return entity.name if entity else claim.speaker


@dataclass(frozen=True)
class LoadedFolder:
    """Every article of DIR, whether it was a run, and what the reader should know."""

    root: Path
    is_run: bool
    articles: list[StoryArticle]
    notes: list[str] = field(default_factory=list)


def load_folder(root: Path, articles_dir: Path | None = None) -> LoadedFolder:
    """Read a run folder or a gold folder; every unreadable file is reported at once."""
    if not root.is_dir():
        raise CompareInputError(f"{root}: not a folder")
    is_run = (root / ARTICLES_DIR).is_dir()
    texts = _texts(articles_dir)
    loaded = _read_run(root) if is_run else _read_gold(root)
    if not loaded:
        where = root / ARTICLES_DIR if is_run else root
        raise CompareInputError(f"{where}: no article files (*.json)")
    articles, notes = [], []
    for article in loaded:
        text = texts.get(article.id, article.text)
        if text is None:
            notes.append(f"{article.id}: no text (pass --articles): unattributed restatements are not searched")
        placed = _with_spans(article, text)
        if placed.unplaced:
            notes.append(f"{article.id}: {len(placed.unplaced)} claim(s) not found in the text")
        articles.append(placed)
    ids = [a.id for a in articles]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        raise CompareInputError(f"{root}: several files for article(s) {', '.join(duplicates)}")
    return LoadedFolder(root=root, is_run=is_run, articles=articles, notes=notes)


def _texts(articles_dir: Path | None) -> dict[str, str]:
    if articles_dir is None:
        return {}
    try:
        return load_texts(articles_dir)
    except GoldFormatError as error:
        raise CompareInputError(str(error)) from error


def _read_run(root: Path) -> list[StoryArticle]:
    found, errors = [], []
    for path in sorted((root / ARTICLES_DIR).glob("*.json")):
        try:
            result = read_result(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError) as error:
            errors.append(f"{path}: cannot read: {error}")
            continue
        except (ValidationError, ValueError) as error:
            errors.append(f"{path}: not an article output: {_first_error(error)}")
            continue
        stored = result.text if result.text is not None and _sha256(result.text) == result.text_sha256 else None
        found.append(
            StoryArticle(
                id=result.article,
                path=path,
                claims=list(result.claims),
                speakers={s.id: s for s in result.speakers},
                text=stored,
                outlet=result.outlet or (credited_outlet(stored) if stored else None),
                date=result.date,
                title=result.title,
            )
        )
    if errors:
        raise CompareInputError("\n".join(errors))
    return found


def _read_gold(root: Path) -> list[StoryArticle]:
    found, errors = [], []
    for path in gold_files(root):
        gold, issues = parse_file(path, AnnotatedArticle)
        errors += [str(issue) for issue in issues]
        if gold is not None:
            speakers = {s.id: s for s in gold.speakers}
            found.append(StoryArticle(id=gold.article, path=path, claims=list(gold.claims), speakers=speakers))
    if errors:
        raise CompareInputError("\n".join(errors))
    return found


def _with_spans(article: StoryArticle, text: str | None) -> StoryArticle:
    """Locate every claim without offsets; stored offsets are kept when they fit the text."""
    if text is None:
        return article
    folded = normalise(text)
    claims, unplaced = [], []
    for index, claim in enumerate(article.claims):
        spans = claim.spans
        if spans is None or not spans.content or _stale(spans, text) or text is not article.text:
            located = locate_claim(
                text, claim.content, claim.mention, claim.cue, occurrence=claim.occurrence, folded=folded
            ).spans
            spans = located if located is not None else ClaimSpans(content=[])
        if not spans.content:
            unplaced.append(index)
        claims.append(claim.model_copy(update={"spans": spans}))
    outlet = article.outlet or credited_outlet(text)
    return StoryArticle(
        id=article.id, path=article.path, claims=claims, speakers=article.speakers, text=text,
        outlet=outlet, date=article.date, title=article.title, unplaced=tuple(unplaced),
    )


def _stale(spans: ClaimSpans, text: str) -> bool:
    return any(s.end > len(text) for s in spans.content)


def credited_outlet(text: str) -> str | None:
    """An outlet named on a line of its own (``BBC News`` under a byline, ``Reuters`` at the end).

    Only whole lines count, so an outlet quoted in the body ("told the BBC") never names
    the article's publisher. The first credit line wins.
    """
    for line in _LINES.findall(text):
        name = _CREDIT.get(line.strip().lower())
        if name:
            return name
    return None


_LINES = re.compile(r"^[^\n]{1,40}$", re.MULTILINE)


def _first_error(error: Exception) -> str:
    if isinstance(error, ValidationError):
        item = error.errors(include_url=False)[0]
        return f"{'.'.join(str(p) for p in item['loc'])}: {item['msg']}"
    return str(error)


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
