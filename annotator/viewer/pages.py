"""What each page shows, computed once in Python; the templates only lay it out.

An article page is its text cut into :class:`Piece` s (see :mod:`annotator.viewer.segments`),
each carrying the claims whose content, cue, mention or hedge cue covers it, and the
claims themselves with every label a checker needs. The index aggregates documents:
claim counts, failures and one speaker table across the run.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from enum import Enum

from annotator.documents import Document, Folder, hedge_spans
from annotator.models import AnnotatedArticle, ArticleResult, CharSpan, Claim, DroppedClaim, Speaker
from annotator.speakers import normalise_name
from annotator.store import RunRecord, file_stem
from annotator.viewer.comparison import ArticleComparison, Difference, OtherClaim, Side
from annotator.viewer.segments import Mark, segment

PALETTE_SIZE = 12
"""Speaker colours (CSS classes ``s0`` .. ``s11``); beyond that they repeat."""

_TIER_ORDER = ("exact", "normalised", "fuzzy")


class Layer(str, Enum):
    """What a mark highlights. ``other`` is a claim of the other side of a comparison."""

    content = "content"
    cue = "cue"
    mention = "mention"
    hedge = "hedge"
    other = "other"


@dataclass(frozen=True)
class Piece:
    """A run of text and, per layer, the claims (or other-side claims) covering it."""

    text: str
    css: str = ""
    layers: dict[str, str] = field(default_factory=dict)
    """``data-<layer>`` attribute values: claim indices separated by spaces."""


@dataclass(frozen=True)
class ClaimView:
    """One claim with everything the details panel shows."""

    index: int
    speaker: str
    speaker_type: str
    role: str | None
    colour: int
    mention: str | None
    cue: str | None
    content: str
    quote_type: str | None
    via: list[str] | None
    hedging: str | None
    hedge_cues: list[str]
    stance: str | None
    restatement: str | None
    restatement_by: str | None
    unverified: list[str]
    """What the backend said that the article does not contain, one line per field."""
    alignment: dict[str, str]
    placed: bool
    start: int | None
    status: str = ""
    """From a comparison: ``matched``, ``differs``, ``unmatched`` or ``author``; empty without one."""
    differences: list[Difference] = field(default_factory=list)


@dataclass(frozen=True)
class SpeakerView:
    name: str
    type: str
    colour: int
    claims: int
    aliases: list[str]


@dataclass(frozen=True)
class Provenance:
    """What produced the annotation: a backend run, or a gold folder."""

    kind: str
    backend: str | None = None
    model: str | None = None
    prompt_version: str | None = None
    annotator_version: str | None = None
    endpoint: str | None = None
    importer: str | None = None


@dataclass(frozen=True)
class ComparisonView:
    """A comparison as the article page shows it, named from the viewed side."""

    here_only_label: str
    other_only_label: str
    matched: int
    differing: list[tuple[ClaimView, list[Difference]]]
    only_here: list[ClaimView]
    only_other: list[OtherClaim]
    author: int


@dataclass(frozen=True)
class ArticlePage:
    """Everything one article page shows."""

    id: str
    file: str
    title: str | None
    url: str | None
    date: str | None
    outlet: str | None
    source: str | None
    provenance: Provenance
    has_text: bool
    text_note: str | None
    pieces: list[Piece]
    claims: list[ClaimView]
    speakers: list[SpeakerView]
    dropped: list[DroppedClaim]
    dropped_count: int
    errors: list[str]
    unplaced: list[str]
    comparison: ComparisonView | None = None

    @property
    def placed_claims(self) -> int:
        return sum(1 for c in self.claims if c.placed)


@dataclass(frozen=True)
class IndexRow:
    id: str
    file: str
    title: str | None
    outlet: str | None
    date: str | None
    claims: int
    dropped: int
    errors: list[str]
    has_text: bool
    matched: int | None = None
    differing: int | None = None
    only_here: int | None = None
    only_other: int | None = None


@dataclass(frozen=True)
class SpeakerRow:
    """One source across the run: speakers with the same normalised name are one row."""

    name: str
    types: str
    articles: int
    claims: int
    article_files: list[tuple[str, str]]


@dataclass(frozen=True)
class Failure:
    path: str
    reason: str


@dataclass(frozen=True)
class IndexPage:
    root: str
    kind: str
    provenance: list[Provenance]
    rows: list[IndexRow]
    speakers: list[SpeakerRow]
    failures: list[Failure]
    record: RunRecord | None
    claims: int
    comparison_labels: tuple[str, str] | None = None


def article_page(
    doc: Document, comparison: ArticleComparison | None = None, importer: str | None = None
) -> ArticlePage:
    """The page of one document."""
    annotation = doc.annotation
    result = doc.result
    colours = _colours(annotation.speakers)
    claims = [_claim_view(i, c, annotation, colours, doc.text) for i, c in enumerate(doc.claims)]
    comparison_view = None
    if comparison is not None:
        claims, comparison_view = _apply_comparison(claims, comparison)
    pieces = _pieces(doc.text, doc.claims, claims, comparison) if doc.text is not None else []
    counts = Counter(c.speaker for c in doc.claims)
    speakers = [
        SpeakerView(s.name, s.type.value, colours[s.id], counts[s.id], s.aliases)
        for s in annotation.speakers
    ]
    return ArticlePage(
        id=annotation.article,
        file=page_file(annotation.article),
        title=result.title if result else None,
        url=result.url if result else None,
        date=result.date if result else None,
        outlet=result.outlet if result else None,
        source=result.source if result else str(doc.path),
        provenance=provenance_of(result, importer),
        has_text=doc.text is not None,
        text_note=doc.text_note,
        pieces=pieces,
        claims=claims,
        speakers=speakers,
        dropped=result.dropped if result else [],
        dropped_count=result.dropped_claims if result else 0,
        errors=result.errors if result else [],
        unplaced=list(doc.unplaced),
        comparison=comparison_view,
    )


def page_file(article_id: str) -> str:
    """The page's file name under ``articles/``: the store's safe stem."""
    return f"{file_stem(article_id)}.html"


def provenance_of(result: ArticleResult | None, importer: str | None = None) -> Provenance:
    if result is None:
        return Provenance(kind="gold", importer=importer)
    return Provenance(
        kind="run", backend=result.backend, model=result.model, prompt_version=result.prompt_version,
        annotator_version=result.annotator_version,
    )


def _colours(speakers: Sequence[Speaker]) -> dict[str, int]:
    return {s.id: i % PALETTE_SIZE for i, s in enumerate(speakers)}


def _claim_view(
    index: int, claim: Claim, annotation: AnnotatedArticle, colours: dict[str, int], text: str | None
) -> ClaimView:
    speaker = next((s for s in annotation.speakers if s.id == claim.speaker), None)
    spans = claim.spans
    placed = bool(spans and spans.content) and text is not None
    return ClaimView(
        index=index,
        speaker=speaker.name if speaker else claim.speaker,
        speaker_type=speaker.type.value if speaker else "unknown",
        role=speaker.role if speaker else None,
        colour=colours.get(claim.speaker, 0),
        mention=claim.mention,
        cue=claim.cue,
        content=claim.content,
        quote_type=_value(claim.quote_type),
        via=claim.via,
        hedging=_value(claim.hedging),
        hedge_cues=claim.hedge_cues,
        stance=_value(claim.stance),
        restatement=claim.restatement,
        restatement_by=claim.restatement_by,
        unverified=_unverified(claim),
        alignment=_alignment(claim),
        placed=placed,
        start=spans.content[0].start if placed and spans else None,
    )


def _value(label: Enum | None) -> str | None:
    return label.value if label is not None else None


def _unverified(claim: Claim) -> list[str]:
    """The backend's statements grounding could not find in the article, for a reader to see."""
    said = claim.unverified
    if not said:
        return []
    lines = [f"speaker {said.speaker!r}"] if said.speaker else []
    lines += [f"role {said.speaker_role!r}"] if said.speaker_role else []
    lines += [f"via {v!r}" for v in said.via]
    lines += [f"hedge cue {c!r}" for c in said.hedge_cues]
    return lines


def _alignment(claim: Claim) -> dict[str, str]:
    """The least trustworthy tier of each verbatim field, or why it has none."""
    tiers: dict[str, str] = {}
    spans = claim.spans
    for name in ("content", "mention", "cue"):
        found: list[CharSpan] = getattr(spans, name) if spans else []
        if found:
            tiers[name] = max((s.alignment.value for s in found), key=_TIER_ORDER.index)
        elif getattr(claim, name):
            tiers[name] = "not located"
    return tiers


def _pieces(
    text: str, claims: Sequence[Claim], views: Sequence[ClaimView], comparison: ArticleComparison | None
) -> list[Piece]:
    marks: list[Mark[tuple[Layer, int]]] = []
    for index, claim in enumerate(claims):
        spans = claim.spans
        if spans is None or not spans.content:
            continue
        for layer, ranges in (
            (Layer.content, [(s.start, s.end) for s in spans.content]),
            (Layer.mention, [(s.start, s.end) for s in spans.mention]),
            (Layer.cue, [(s.start, s.end) for s in spans.cue]),
            (Layer.hedge, hedge_spans(text, spans.content, claim.hedge_cues)),
        ):
            marks += [Mark(start, end, (layer, index)) for start, end in ranges]
    if comparison is not None:
        for number, other in enumerate(comparison.only_other):
            if other.start is not None and other.end is not None:
                marks.append(Mark(other.start, other.end, (Layer.other, number)))
    lengths = {i: sum(s.end - s.start for s in c.spans.content) for i, c in enumerate(claims) if c.spans}
    return [_piece(text[s.start : s.end], s.tags, views, lengths) for s in segment(len(text), marks)]


def _piece(
    text: str, tags: tuple[tuple[Layer, int], ...], views: Sequence[ClaimView], lengths: dict[int, int]
) -> Piece:
    if not tags:
        return Piece(text)
    by_layer: dict[Layer, list[int]] = {}
    for layer, index in tags:
        by_layer.setdefault(layer, []).append(index)
    classes = ["seg", *(layer.value for layer in by_layer)]
    contents = by_layer.get(Layer.content, [])
    owner = min(contents, key=lambda i: lengths.get(i, 0)) if contents else None
    if owner is None:
        owner = next((i for layer, i in tags if layer is not Layer.other), None)
    if owner is not None:
        classes.append(f"s{views[owner].colour}")
    if len(contents) > 1:
        classes.append("multi")
    layers = {layer.value: " ".join(str(i) for i in indices) for layer, indices in by_layer.items()}
    return Piece(text, " ".join(classes), layers)


def _apply_comparison(claims: list[ClaimView], comparison: ArticleComparison) -> tuple[list[ClaimView], ComparisonView]:
    status: dict[int, str] = {}
    differences: dict[int, list[Difference]] = {}
    for matched in comparison.matched:
        status[matched.index] = "differs" if matched.differences else "matched"
        differences[matched.index] = matched.differences
    for index in comparison.only_here:
        status[index] = "unmatched"
    for index in comparison.author:
        status[index] = "author"
    updated = [
        replace(c, status=status.get(c.index, ""), differences=differences.get(c.index, [])) for c in claims
    ]
    here_only, other_only = labels_for(comparison.side)
    view = ComparisonView(
        here_only_label=here_only,
        other_only_label=other_only,
        matched=len(comparison.matched),
        differing=[(updated[m.index], m.differences) for m in comparison.differing if m.index < len(updated)],
        only_here=[updated[i] for i in comparison.only_here if i < len(updated)],
        only_other=comparison.only_other,
        author=len(comparison.author),
    )
    return updated, view


def labels_for(side: Side) -> tuple[str, str]:
    """How this side's and the other side's unpaired claims are called."""
    if side is Side.pred:
        return "spurious (not in gold)", "missed (in gold only)"
    return "missed by the prediction", "spurious predictions"


def index_page(folder: Folder, pages: Sequence[ArticlePage], comparison_side: Side | None = None) -> IndexPage:
    """The run's index: one row per article, failures, and speakers across articles."""
    rows = []
    for page in pages:
        cmp = page.comparison
        rows.append(
            IndexRow(
                id=page.id, file=page.file, title=page.title, outlet=page.outlet, date=page.date,
                claims=len(page.claims), dropped=page.dropped_count, errors=page.errors, has_text=page.has_text,
                matched=cmp.matched if cmp else None,
                differing=len(cmp.differing) if cmp else None,
                only_here=len(cmp.only_here) if cmp else None,
                only_other=len(cmp.only_other) if cmp else None,
            )
        )
    failures = [Failure(str(u.path), u.reason) for u in folder.unreadable]
    if folder.record is not None:
        failures += [Failure(f.path, f.reason) for f in folder.record.load_failures]
    importer = folder.manifest.importer if folder.manifest else None
    kinds = {p.provenance for p in pages} or {provenance_of(None, importer)}
    return IndexPage(
        root=str(folder.root),
        kind="run" if folder.is_run else "gold",
        provenance=sorted(kinds, key=lambda p: (p.backend or "", p.model or "", p.prompt_version or "")),
        rows=rows,
        speakers=speaker_rows(pages),
        failures=failures,
        record=folder.record,
        claims=sum(len(p.claims) for p in pages),
        comparison_labels=labels_for(comparison_side) if comparison_side else None,
    )


def speaker_rows(pages: Sequence[ArticlePage]) -> list[SpeakerRow]:
    """Speakers merged across articles by normalised name, most claims first."""
    groups: dict[str, list[tuple[ArticlePage, SpeakerView]]] = {}
    for page in pages:
        for speaker in page.speakers:
            key = normalise_name(speaker.name) or speaker.name.lower()
            groups.setdefault(key, []).append((page, speaker))
    rows = []
    for members in groups.values():
        names = Counter(s.name for _, s in members)
        types = sorted({s.type for _, s in members})
        files = sorted({(p.id, p.file) for p, _ in members})
        rows.append(
            SpeakerRow(
                name=names.most_common(1)[0][0], types=", ".join(types), articles=len(files),
                claims=sum(s.claims for _, s in members), article_files=files,
            )
        )
    rows.sort(key=lambda r: (-r.claims, r.name.lower()))
    return rows
