"""Read brat standoff attribution corpora (PolNeAR, PARC style) into gold-shaped records.

A relation is an ``E`` line tying a ``Source``, a ``Cue`` and a ``Content`` span. Spans
may be discontinuous (``start end;start end``). Relations without a source are dropped
(the scheme's "no source, no claim"); the corpus labels no hedging, stance, quote type
or intermediaries, so those fields are left ``None`` and the harness leaves them unscored.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from annotator.grounding import FRAGMENT_SEPARATOR
from annotator.models import AnnotatedArticle, CharSpan, Claim, ClaimSpans, Speaker, SpeakerType
from annotator.speakers import is_pronoun, slug

_ANONYMOUS_START = re.compile(
    r"^(a|an|some|many|several|one|two|three|few|most|other|others|sources?|officials?|"
    r"aides?|people|experts?|analysts?|critics?|residents?|witnesses?|observers?|"
    r"supporters?|voters?|republicans|democrats|those|someone)\b",
    re.IGNORECASE,
)


_ANNOTATION_LINE = re.compile(r"^[TERAMN#]\d+\t")


class BratError(ValueError):
    """An .ann file that does not parse; the message names the file and line."""


@dataclass(frozen=True)
class BratSpan:
    """A text-bound annotation: its type and its (possibly several) character ranges."""

    id: str
    type: str
    ranges: tuple[tuple[int, int], ...]

    def char_spans(self) -> list[CharSpan]:
        return [CharSpan(start=s, end=e) for s, e in self.ranges]

    def text_in(self, text: str) -> str:
        """The covered text, pieces joined the way gold files write discontinuous fields."""
        return FRAGMENT_SEPARATOR.join(text[s:e].strip() for s, e in self.ranges)


@dataclass(frozen=True)
class BratRelation:
    """One attribution relation: anchor type plus its role spans."""

    id: str
    anchor_type: str
    source: BratSpan | None
    cue: BratSpan | None
    content: BratSpan | None


@dataclass
class BratDocument:
    """All spans and relations of one .ann file."""

    path: Path
    spans: dict[str, BratSpan] = field(default_factory=dict)
    relations: list[BratRelation] = field(default_factory=list)


def parse_ann(path: Path) -> BratDocument:
    """Parse one .ann file; raises :class:`BratError` naming file and line on bad input."""
    doc = BratDocument(path=path)
    events: list[tuple[int, str, list[str]]] = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not _ANNOTATION_LINE.match(line):
            continue  # blank, or the wrapped tail of a span text that held a newline
        parts = line.split("\t")
        kind = parts[0][:1]
        try:
            if kind == "T":
                doc.spans[parts[0]] = _parse_span(parts[0], parts[1])
            elif kind == "E":
                events.append((number, parts[0], parts[1].split()))
        except (IndexError, ValueError) as error:
            raise BratError(f"{path}:{number}: cannot parse {line!r}: {error}") from error
    for number, eid, args in events:
        doc.relations.append(_relation(doc, path, number, eid, args))
    return doc


def _parse_span(span_id: str, body: str) -> BratSpan:
    type_, _, offsets = body.partition(" ")
    ranges = []
    for piece in offsets.split(";"):
        start, end = piece.split()
        ranges.append((int(start), int(end)))
    return BratSpan(span_id, type_, tuple(ranges))


def _relation(doc: BratDocument, path: Path, number: int, eid: str, args: list[str]) -> BratRelation:
    roles: dict[str, BratSpan] = {}
    anchor_type = ""
    for index, arg in enumerate(args):
        role, _, ref = arg.partition(":")
        if ref not in doc.spans:
            raise BratError(f"{path}:{number}: {eid} refers to undefined span {ref!r}")
        if index == 0:
            anchor_type = role
        base = role.rstrip("0123456789")
        roles[base] = _merge(roles[base], doc.spans[ref]) if base in roles else doc.spans[ref]
    return BratRelation(eid, anchor_type, roles.get("Source"), roles.get("Cue"), roles.get("Content"))


def _merge(first: BratSpan, second: BratSpan) -> BratSpan:
    """Join repeated role arguments (``Content`` and ``Content2``) into one field.

    PolNeAR writes a quote interrupted by its attribution as two ``Content`` arguments
    of one relation; keeping only the first would silently truncate the claim.
    """
    ranges = tuple(sorted(set(first.ranges) | set(second.ranges)))
    return BratSpan(f"{first.id}+{second.id}", first.type, ranges)


def guess_speaker_type(mention: str) -> SpeakerType:
    """Brat corpora have no entity types; a cheap guess keeps gold files schema-valid."""
    if _ANONYMOUS_START.match(mention.strip()) or is_pronoun(mention):
        return SpeakerType.anonymous
    return SpeakerType.person


def to_annotated(doc: BratDocument, text: str, article_id: str) -> AnnotatedArticle:
    """Convert relations to gold claims, one speaker entity per distinct source text.

    Without coreference in the corpus, entity identity is the source string; the harness
    scores speakers of such gold by mention-span overlap instead of by name.
    """
    speakers: dict[str, Speaker] = {}
    claims: list[Claim] = []
    for relation in doc.relations:
        if relation.source is None or relation.content is None:
            continue
        mention = relation.source.text_in(text)
        key = slug(mention)
        if key not in speakers:
            speakers[key] = Speaker(id=key, name=mention, type=guess_speaker_type(mention))
        cue = relation.cue.text_in(text) if relation.cue else None
        claims.append(
            Claim(
                speaker=key,
                mention=mention,
                cue=cue,
                content=relation.content.text_in(text),
                via=None,
                spans=ClaimSpans(
                    content=relation.content.char_spans(),
                    mention=relation.source.char_spans(),
                    cue=relation.cue.char_spans() if relation.cue else [],
                ),
            )
        )
    claims.sort(key=lambda c: c.spans.content[0].start if c.spans else 0)
    return AnnotatedArticle(article=article_id, speakers=list(speakers.values()), claims=claims)


@dataclass(frozen=True)
class BratPair:
    """An article text with the annotation file chosen for it."""

    article_id: str
    text_path: Path
    ann_path: Path
    annotator: str
    others: tuple[str, ...]


def pair_files(ann_dir: Path, text_dir: Path) -> list[BratPair]:
    """Match ``NAME_ANNOTATOR.ann`` files to ``NAME.txt``.

    Where several annotators labelled one article, the alphabetically first annotator
    code is taken (deterministic, and independent of which file the OS lists first); the
    others are reported so a user can run inter-annotator agreement on them.
    """
    by_article: dict[str, list[tuple[str, Path]]] = {}
    for ann in sorted(ann_dir.glob("*.ann")):
        name, _, annotator = ann.stem.rpartition("_")
        if not (text_dir / f"{name}.txt").exists():
            name, annotator = ann.stem, ""
        by_article.setdefault(name, []).append((annotator, ann))
    pairs = []
    for name, files in sorted(by_article.items()):
        files.sort()
        annotator, ann = files[0]
        pairs.append(
            BratPair(name, text_dir / f"{name}.txt", ann, annotator, tuple(a for a, _ in files[1:]))
        )
    return pairs
