"""The sentence a claim stands in, and which parts of it a change concerns.

Both the Markdown report and the HTML page show each change "in both sentences": the
reference claim's sentence and the other article's, with the changed part marked (the
number, the hedge word, the cue, the speaker's mention, the intermediary, or the whole
content). Without the article's text the claim's own words stand in for the sentence.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from annotator.drift.changes import ClaimRef
from annotator.drift.records import Change, DriftField, Span
from annotator.grounding import locate
from annotator.models import ClaimSpans
from annotator.viewer.segments import Mark, segment

_BOUNDARY = re.compile(r"(?:(?<=[.!?])|(?<=[.!?][\"'”’)]))\s+(?=[\"'“‘(]?[A-Z0-9])|\n+")


_REACH = 300
"""A mention or cue further than this from the content is not pulled into its sentence."""


@dataclass(frozen=True)
class Segment:
    """A run of a sentence, and the fields whose change it shows (empty: plain text)."""

    text: str
    marks: tuple[str, ...] = ()


@dataclass(frozen=True)
class Excerpt:
    """A claim's sentence cut into segments."""

    segments: tuple[Segment, ...]

    @property
    def text(self) -> str:
        return "".join(s.text for s in self.segments)

    def markdown(self) -> str:
        """The sentence with the marked parts in bold."""
        return "".join(f"**{s.text}**" if s.marks and s.text.strip() else s.text for s in self.segments)


def excerpt(ref: ClaimRef, changes: list[Change], side: str) -> Excerpt:
    """``ref``'s sentence with the parts marked that ``changes`` concern (``side``: from or to)."""
    text, spans = ref.article.text, ref.claim.spans
    if text is None or spans is None or not spans.content:
        marks = tuple(sorted({c.field.value for c in changes}))
        return Excerpt((Segment(ref.claim.content, marks),))
    start, end = _sentence(text, spans.content[0].start, spans.content[-1].end, spans)
    marked: list[tuple[int, int, str]] = []
    for change in changes:
        for span in _spans_for(ref, change, side):
            marked.append((max(start, span.start), min(end, span.end), change.field.value))
    return Excerpt(_segments(text, start, end, marked))


def _sentence(text: str, first: int, last: int, spans: ClaimSpans) -> tuple[int, int]:
    """The sentence(s) around ``[first, last)``, widened to the claim's mention and cue."""
    near = [s for s in spans.mention + spans.cue if abs(s.start - first) < _REACH and abs(s.end - last) < _REACH]
    low = min([first, *(s.start for s in near)])
    high = max([last, *(s.end for s in near)])
    starts = [0, *(m.end() for m in _BOUNDARY.finditer(text))]
    begin = max(s for s in starts if s <= low)
    ends = [m.start() for m in _BOUNDARY.finditer(text) if m.start() >= high]
    return begin, (ends[0] if ends else len(text))


def _spans_for(ref: ClaimRef, change: Change, side: str) -> list[Span]:
    claim, spans = ref.claim, ref.claim.spans
    assert spans is not None
    field = change.field
    if field in (DriftField.number, DriftField.hedging):
        span = change.before_span if side == "from" else change.after_span
        return [span] if span else []
    if field is DriftField.cue:
        return [Span(start=s.start, end=s.end) for s in spans.cue]
    if field is DriftField.speaker:
        return [Span(start=s.start, end=s.end) for s in spans.mention]
    if field is DriftField.via and ref.article.text is not None:
        found = []
        for name in claim.via or []:
            located = locate(ref.article.text, name, near=spans.content[0].start, allow_fuzzy=False)
            if located is not None:
                found.append(Span(start=located.start, end=located.end))
        return found
    return [Span(start=s.start, end=s.end) for s in spans.content]


def _segments(text: str, start: int, end: int, marked: list[tuple[int, int, str]]) -> tuple[Segment, ...]:
    """The sentence cut at every mark boundary (the HTML view's :func:`~annotator.viewer.segments.segment`)."""
    marks = [Mark(a - start, b - start, field) for a, b, field in marked]
    pieces = segment(end - start, marks)
    return tuple(
        Segment(text[start + p.start : start + p.end], tuple(sorted(set(p.tags)))) for p in pieces if p.end > p.start
    )
