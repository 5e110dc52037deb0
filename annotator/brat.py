"""Read brat standoff attribution corpora (PolNeAR, PARC style) into gold-shaped records.

A relation is an ``E`` line tying a ``Source``, a ``Cue`` and a ``Content`` span, or, in
projects that use binary relations, ``R`` lines linking those spans pairwise (a cue to
its source and content, or a content to its source): each cue with the contents linked
to it is one relation, and a content linked to a source without a cue is another. Spans
may be discontinuous (``start end;start end``). Relations without a source are dropped
(the scheme's "no source, no claim").

Corpora label no hedging, stance, quote type or intermediaries, so those fields are left
``None`` and the harness leaves them unscored; where an ``A`` line gives ``QuoteType``,
``Hedging`` or ``Stance`` on a relation (as ``annotator export --format brat`` writes),
the label is read.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from annotator.grounding import FRAGMENT_SEPARATOR
from annotator.models import (
    AnnotatedArticle,
    CharSpan,
    Claim,
    ClaimSpans,
    Hedging,
    QuoteType,
    Speaker,
    SpeakerType,
    Stance,
)
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
    attributes: dict[str, str] = field(default_factory=dict)
    """``A`` lines on the relation (its ``E`` line or anchor span): attribute name to value."""


@dataclass(frozen=True)
class BratLink:
    """One ``R`` line: a typed link between two spans, with its argument names."""

    id: str
    type: str
    args: tuple[tuple[str, str], ...]


@dataclass
class BratDocument:
    """All spans and relations of one .ann file."""

    path: Path
    spans: dict[str, BratSpan] = field(default_factory=dict)
    relations: list[BratRelation] = field(default_factory=list)
    links: list[BratLink] = field(default_factory=list)
    attributes: dict[str, dict[str, str]] = field(default_factory=dict)
    """Attribute values by the id they annotate (``A1\tHedging E1 low``)."""

    @property
    def unlinked_contents(self) -> int:
        """``Content`` spans that no relation uses: annotations this reader could not attribute."""
        used = {part for r in self.relations if r.content for part in r.content.id.split("+")}
        return sum(1 for s in self.spans.values() if _role(s.type) == "Content" and s.id not in used)


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
            elif kind == "R":
                doc.links.append(_parse_link(parts[0], parts[1]))
            elif kind in ("A", "M"):
                name, target, *value = parts[1].split()
                doc.attributes.setdefault(target, {})[name] = value[0] if value else "true"
        except (IndexError, ValueError) as error:
            raise BratError(f"{path}:{number}: cannot parse {line!r}: {error}") from error
    for number, eid, args in events:
        doc.relations.append(_relation(doc, path, number, eid, args))
    doc.relations += _linked_relations(doc, path)
    return doc


def _parse_link(link_id: str, body: str) -> BratLink:
    type_, *args = body.split()
    if len(args) != 2 or any(":" not in arg for arg in args):
        raise ValueError("a relation needs two arguments (Arg1:T1 Arg2:T2)")
    first, second = (arg.partition(":") for arg in args)
    return BratLink(link_id, type_, ((first[0], first[2]), (second[0], second[2])))


_ROLES = {"source": "Source", "cue": "Cue", "content": "Content"}


def _role(name: str) -> str | None:
    """``Source``, ``Cue`` or ``Content`` for a span type or argument name (any case, digits aside)."""
    return _ROLES.get(name.rstrip("0123456789").lower())


def _linked_relations(doc: BratDocument, path: Path) -> list[BratRelation]:
    """Relations built from ``R`` links: each cue with the contents linked to it, and the
    sources linked to either; then each content linked to a source without any cue."""
    if not doc.links:
        return []
    roles: dict[str, str] = {}
    neighbours: dict[str, list[str]] = {}
    for link in doc.links:
        for arg, ref in link.args:
            if ref not in doc.spans:
                raise BratError(f"{path}: {link.id} refers to undefined span {ref!r}")
            role = _role(doc.spans[ref].type) or _role(arg)
            if role:
                roles[ref] = role
        (_, first), (_, second) = link.args
        neighbours.setdefault(first, []).append(second)
        neighbours.setdefault(second, []).append(first)
    in_events = {part for r in doc.relations if r.content for part in r.content.id.split("+")}

    def position(ref: str) -> tuple[int, int]:
        return doc.spans[ref].ranges[0]

    def linked(ref: str, role: str) -> list[str]:
        return sorted({n for n in neighbours.get(ref, []) if roles.get(n) == role}, key=position)

    relations: list[BratRelation] = []
    taken: set[str] = set(in_events)
    for ref in sorted((r for r, role in roles.items() if role == "Cue"), key=position):
        contents = [c for c in linked(ref, "Content") if c not in taken]
        if not contents:
            continue
        sources = linked(ref, "Source") + [s for c in contents for s in linked(c, "Source")]
        relations.append(_link_relation(doc, ref, sources, ref, contents))
        taken.update(contents)
    for ref in sorted((r for r, role in roles.items() if role == "Content" and r not in taken), key=position):
        relations.append(_link_relation(doc, ref, linked(ref, "Source"), None, [ref]))
    return relations


def _link_relation(
    doc: BratDocument, anchor: str, sources: list[str], cue: str | None, contents: list[str]
) -> BratRelation:
    return BratRelation(
        id=f"R:{anchor}",
        anchor_type=doc.spans[anchor].type,
        source=_merged([doc.spans[s] for s in dict.fromkeys(sources)]),
        cue=doc.spans[cue] if cue else None,
        content=_merged([doc.spans[c] for c in contents]),
        attributes=doc.attributes.get(anchor, {}),
    )


def _merged(spans: list[BratSpan]) -> BratSpan | None:
    if not spans:
        return None
    merged = spans[0]
    for span in spans[1:]:
        merged = _merge(merged, span)
    return merged


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
    attributes = {**doc.attributes.get(args[0].partition(":")[2], {}), **doc.attributes.get(eid, {})} if args else {}
    return BratRelation(eid, anchor_type, roles.get("Source"), roles.get("Cue"), roles.get("Content"), attributes)


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
                quote_type=_label(relation, "QuoteType", QuoteType, doc.path),
                hedging=_label(relation, "Hedging", Hedging, doc.path),
                stance=_label(relation, "Stance", Stance, doc.path),
                spans=ClaimSpans(
                    content=relation.content.char_spans(),
                    mention=relation.source.char_spans(),
                    cue=relation.cue.char_spans() if relation.cue else [],
                ),
            )
        )
    claims.sort(key=lambda c: c.spans.content[0].start if c.spans else 0)
    return AnnotatedArticle(article=article_id, speakers=list(speakers.values()), claims=claims)


Label = TypeVar("Label", QuoteType, Hedging, Stance)


def _label(relation: BratRelation, attribute: str, enum: type[Label], path: Path) -> Label | None:
    """A label from the relation's attribute of that name (any case), or ``None`` when it has none."""
    value = next((v for k, v in relation.attributes.items() if k.lower() == attribute.lower()), None)
    if value is None:
        return None
    try:
        return enum(value.lower())
    except ValueError as error:
        allowed = "/".join(member.value for member in enum)
        raise BratError(f"{path}: {relation.id}: {attribute} is {value!r}, not one of {allowed}") from error


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
