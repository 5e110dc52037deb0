"""brat standoff out: one ``<id>.txt`` and ``<id>.ann`` per article, plus ``annotation.conf``.

The layout is PolNeAR's, so ``gold import-brat`` reads it back (:mod:`annotator.brat`):
per claim a ``Source`` (the mention), ``Cue`` and ``Content`` span, an ``Attribution``
anchor on the cue (on the content when there is no cue) and an ``E`` line tying them;
quote type, hedging and stance as ``A`` attributes of the ``E`` line; the speaker's
entity, intermediaries, hedge cues and restatement as an ``AnnotatorNotes`` comment for
the annotator (brat has no field for them). Spans that cross a line break are written
as one fragment per line, as brat itself does; spans shared by claims (one cue for two
split contents) are written once. Author claims are left out: gold has none.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from annotator.documents import Document
from annotator.formats import Attributed, attributed
from annotator.models import CharSpan
from annotator.store import atomic_write, file_stem

CONFIG = """\
# brat configuration written by `annotator export --format brat`: attribution relations
# as PolNeAR annotates them, with the project's labels as attributes.
[entities]
Source
Cue
Content

[relations]
<OVERLAP>	Arg1:<ANY>, Arg2:<ANY>, <OVL-TYPE>:<ANY>

[events]
Attribution	Source?:Source, Cue?:Cue, Content:Content

[attributes]
QuoteType	Arg:Attribution, Value:direct|mixed|indirect
Hedging	Arg:Attribution, Value:none|low|high
Stance	Arg:Attribution, Value:endorse|neutral|distance|dispute
"""


@dataclass(frozen=True)
class BratExport:
    articles: int
    claims: int
    left_out: int
    """Author claims and claims without offsets, which brat gold cannot carry."""
    without_text: list[str]


def write_brat(documents: Iterable[Document], out: Path) -> BratExport:
    """Write every document with a text into ``out``; those without one are named, not written."""
    articles = claims = left_out = 0
    without_text: list[str] = []
    for doc in documents:
        if doc.text is None:
            without_text.append(doc.annotation.article)
            continue
        kept, dropped = attributed(doc)
        stem = file_stem(doc.annotation.article)
        _write_text(out / f"{stem}.txt", doc.text)
        atomic_write(out / f"{stem}.ann", standoff(doc.text, kept))
        articles, claims, left_out = articles + 1, claims + len(kept), left_out + dropped
    atomic_write(out / "annotation.conf", CONFIG)
    return BratExport(articles, claims, left_out, without_text)


def _write_text(path: Path, text: str) -> None:
    """The text byte for byte (no newline translation): every offset counts characters of it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.tmp")
    with temporary.open("w", encoding="utf-8", newline="") as handle:
        handle.write(text)
    temporary.replace(path)


class _Lines:
    """Numbers annotations as brat does (T1, E1, A1, #1) and writes each span once."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.lines: list[str] = []
        self.spans: dict[tuple[str, tuple[tuple[int, int], ...]], str] = {}
        self.counts = {"T": 0, "E": 0, "A": 0, "#": 0}

    def next_id(self, kind: str) -> str:
        self.counts[kind] += 1
        return f"{kind}{self.counts[kind]}"

    def span(self, type_: str, spans: list[CharSpan]) -> str | None:
        ranges = tuple(r for s in spans for r in _lines_of(self.text, s.start, s.end))
        if not ranges:
            return None
        key = (type_, ranges)
        if key not in self.spans:
            self.spans[key] = self.next_id("T")
            covered = " ".join(self.text[a:b] for a, b in ranges)
            offsets = ";".join(f"{a} {b}" for a, b in ranges)
            self.lines.append(f"{self.spans[key]}\t{type_} {offsets}\t{covered}")
        return self.spans[key]


def standoff(text: str, claims: list[Attributed]) -> str:
    """The ``.ann`` file of one article."""
    out = _Lines(text)
    for item in claims:
        claim, spans = item.claim, item.claim.spans
        assert spans is not None
        source = out.span("Source", spans.mention)
        cue = out.span("Cue", spans.cue)
        content = out.span("Content", spans.content)
        if content is None:
            continue
        anchor = out.span("Attribution", spans.cue or spans.content[:1])
        event = out.next_id("E")
        args = [f"Attribution:{anchor}"] + [f"{role}:{ref}" for role, ref in (("Source", source), ("Cue", cue)) if ref]
        out.lines.append(f"{event}\t{' '.join([*args, f'Content:{content}'])}")
        for name, label in (("QuoteType", claim.quote_type), ("Hedging", claim.hedging), ("Stance", claim.stance)):
            if label is not None:
                out.lines.append(f"{out.next_id('A')}\t{name} {event} {label.value}")
        out.lines.append(f"{out.next_id('#')}\tAnnotatorNotes {event}\t{_note(item)}")
    return "".join(f"{line}\n" for line in out.lines)


def _note(item: Attributed) -> str:
    claim, speaker = item.claim, item.speaker
    parts = [f"speaker: {speaker.name} ({speaker.type.value})"]
    if claim.via:
        parts.append(f"via: {', '.join(claim.via)}")
    if claim.hedge_cues:
        parts.append(f"hedge cues: {', '.join(claim.hedge_cues)}")
    if claim.restatement:
        parts.append(f"restatement: {claim.restatement}")
    return " | ".join(p.replace("\t", " ").replace("\n", " ") for p in parts)


def _lines_of(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """``[start, end)`` cut at line breaks, each piece trimmed of surrounding whitespace."""
    pieces = []
    position = start
    for line in text[start:end].split("\n"):
        left, right = position, position + len(line)
        while left < right and text[left].isspace():
            left += 1
        while right > left and text[right - 1].isspace():
            right -= 1
        if right > left:
            pieces.append((left, right))
        position += len(line) + 1
    return pieces
