"""Attribution relations as token spans: cue, source and content.

Two CRFs do the work (:mod:`annotator.offline.train` fits them on PolNeAR train): the
first tags cue tokens sentence by sentence; the second, run once per cue over a window
around it, tags that cue's source and content. Tagging per cue rather than once per
sentence lets one token be content of one relation and source of a nested one, which
PolNeAR does all the time ("Trump said Clinton believes ...").
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pycrfsuite

from annotator.offline.document import Document
from annotator.offline.features import cue_features, span_features

CUE_MODEL = "cue.crfsuite"
SPAN_MODEL = "span.crfsuite"


@dataclass(frozen=True)
class Relation:
    """One attribution as token indices into a :class:`Document`."""

    cue: tuple[int, ...]
    source: tuple[int, ...]
    content: tuple[tuple[int, int], ...]  # half-open token ranges, in text order


def window(doc: Document, cue_first: int) -> tuple[int, int]:
    """Tokens the span tagger looks at for a cue: its sentence, the next one in the
    paragraph, and any quotation either of them touches (quotes run past sentence ends)."""
    sentence = doc.sentences[doc.sentence_of[cue_first]]
    first, last = _cover_quotes(doc, sentence.first, sentence.last)
    following = doc.sentence_of[last - 1] + 1
    if following < len(doc.sentences) and doc.sentences[following].paragraph == sentence.paragraph:
        first, last = _cover_quotes(doc, first, doc.sentences[following].last)
    return first, last


def _cover_quotes(doc: Document, first: int, last: int) -> tuple[int, int]:
    """Grow ``[first, last)`` until no quotation straddles its edges (same paragraph only)."""
    paragraph_first = doc.paragraph_of[first]
    paragraph_last = doc.paragraph_of[last - 1]
    for quote in doc.quotes.quotes:
        if quote.open < last and quote.close >= first:
            start = quote.open if doc.paragraph_of[quote.open] == paragraph_first else first
            end = min(quote.close + 1, len(doc.tokens))
            if doc.paragraph_of[end - 1] != paragraph_last:
                end = last
            first, last = min(first, start), max(last, end)
    return first, last


class RelationTagger:
    """Loads the two CRFs once and turns a :class:`Document` into relations."""

    def __init__(self, model_dir: Path) -> None:
        self._cue = pycrfsuite.Tagger()
        self._cue.open(str(model_dir / CUE_MODEL))
        self._span = pycrfsuite.Tagger()
        self._span.open(str(model_dir / SPAN_MODEL))

    def cues(self, doc: Document) -> list[tuple[int, int]]:
        """Cue token runs, in text order."""
        runs: list[tuple[int, int]] = []
        for sentence in doc.sentences:
            labels = self._cue.tag(cue_features(doc.lex, sentence))
            for offset, label in enumerate(labels):
                i = sentence.first + offset
                if label == "O":
                    continue
                if runs and runs[-1][1] == i:
                    runs[-1] = (runs[-1][0], i + 1)
                else:
                    runs.append((i, i + 1))
        return runs

    def relations(self, doc: Document) -> list[Relation]:
        """Every cue with the source and content the span tagger gives it."""
        cues = self.cues(doc)
        starts = [c[0] for c in cues]
        out: list[Relation] = []
        for cue in cues:
            first, last = window(doc, cue[0])
            others = [s for s in starts if first <= s < last and s != cue[0]]
            labels = self._span.tag(span_features(doc.lex, first, last, cue, others))
            source = _nearest_run(first, labels, "S", cue)
            content = _runs(first, labels, "T")
            if source and content:
                out.append(Relation(tuple(range(*cue)), tuple(range(*source)), tuple(content)))
        return out


def _runs(first: int, labels: list[str], wanted: str) -> list[tuple[int, int]]:
    runs: list[tuple[int, int]] = []
    for offset, label in enumerate(labels):
        if label != wanted:
            continue
        i = first + offset
        if runs and runs[-1][1] == i:
            runs[-1] = (runs[-1][0], i + 1)
        else:
            runs.append((i, i + 1))
    return runs


def _nearest_run(
    first: int, labels: list[str], wanted: str, cue: tuple[int, int]
) -> tuple[int, int] | None:
    runs = _runs(first, labels, wanted)
    if not runs:
        return None
    return min(runs, key=lambda r: min(abs(r[0] - cue[0]), abs(r[1] - cue[1])))
