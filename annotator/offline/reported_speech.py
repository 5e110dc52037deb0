"""Attribution relations as token spans: cue, source and content.

Two CRFs do the work (:mod:`annotator.offline.train` fits them on PolNeAR train): the
first tags cue tokens sentence by sentence; the second, run once per cue over a window
around it, tags that cue's source and content. Tagging per cue rather than once per
sentence lets one token be content of one relation and source of a nested one, which
PolNeAR does all the time ("Trump said Clinton believes ...").
"""

from __future__ import annotations

from bisect import bisect_left
from dataclasses import dataclass
from pathlib import Path

import pycrfsuite

from annotator.offline.document import Document
from annotator.offline.features import CUE_AUXILIARIES, cue_features, reporting_word, span_features

CUE_MODEL = "cue.crfsuite"
SPAN_MODEL = "span.crfsuite"


@dataclass(frozen=True)
class Relation:
    """One attribution as token indices into a :class:`Document`."""

    cue: tuple[int, ...]
    source: tuple[int, ...]
    content: tuple[tuple[int, int], ...]  # half-open token ranges, in text order


def window(doc: Document, cue_first: int) -> tuple[int, int]:
    """Tokens the span tagger looks at for a cue: its sentence and any quotation it
    touches, plus the next sentence of the paragraph when that one opens with a
    quotation mark ("'...,' he said. 'More ...'" is one discontinuous content)."""
    sentence = doc.sentences[doc.sentence_of[cue_first]]
    first, last = _cover_quotes(doc, sentence.first, sentence.last)
    following = doc.sentence_of[last - 1] + 1
    if following < len(doc.sentences):
        after = doc.sentences[following]
        if after.paragraph == sentence.paragraph and doc.words[after.first].shape == "Q":
            first, last = _cover_quotes(doc, first, after.last)
    return max(first, cue_first - WINDOW_REACH), min(last, cue_first + WINDOW_REACH)


WINDOW_REACH = 300
"""Tokens a window may extend on either side of its cue (PolNeAR's widest: 106 before,
261 after). Tagging is linear in the window, once per cue: unbounded windows made a
long quotation cost its length once for every cue beside it."""


def _cover_quotes(doc: Document, first: int, last: int) -> tuple[int, int]:
    """Grow ``[first, last)`` until no quotation straddles its edges (same paragraph only)."""
    paragraph_first = doc.paragraph_of[first]
    paragraph_last = doc.paragraph_of[last - 1]
    quotes = doc.quotes.quotes
    # quotations are sorted and disjoint: those ending before ``first`` never straddle
    for k in range(doc.quotes.overlapping(first), len(quotes)):
        quote = quotes[k]
        if quote.open >= last:
            break
        start = quote.open if doc.paragraph_of[quote.open] == paragraph_first else first
        end = quote.end
        if doc.paragraph_of[end - 1] != paragraph_last:
            end = last
        first, last = min(first, start), max(last, end)
    return first, last


CUE_THRESHOLD = 0.4
SOURCE_BIAS = 0.3
CONTENT_BIAS = 0.3
SOURCE_FALLBACK = 0.05
EXTEND_MIN = 0.05
OTHER_THRESHOLD = 0.45
SURE_CONTENT = 0.9
EXTEND_REACH = 25


class RelationTagger:
    """Loads the two CRFs once and turns a :class:`Document` into relations.

    Both taggers are read through their marginals, not their best paths: cues with one
    threshold (trading recall for precision), source and content as the contiguous run
    that maximises marginal mass (:func:`best_segment`), one content piece on each side
    of the cue at most ("'...,' he said, '...'").
    """

    def __init__(
        self,
        model_dir: Path,
        cue_threshold: float = CUE_THRESHOLD,
        source_bias: float = SOURCE_BIAS,
        content_bias: float = CONTENT_BIAS,
        source_fallback: float = SOURCE_FALLBACK,
    ) -> None:
        self._cue = pycrfsuite.Tagger()
        self._cue.open(str(model_dir / CUE_MODEL))
        self._span = pycrfsuite.Tagger()
        self._span.open(str(model_dir / SPAN_MODEL))
        self.cue_known, self.span_known = _weighed(self._cue), _weighed(self._span)
        self.cue_threshold = cue_threshold
        self.source_bias = source_bias
        self.content_bias = content_bias
        self.source_fallback = source_fallback
        self.extend_min = EXTEND_MIN
        self.other_threshold = OTHER_THRESHOLD
        self.sure_content = SURE_CONTENT

    def cues(self, doc: Document) -> list[tuple[int, int]]:
        """Cue token runs, in text order, tidied (:func:`tidy_cues`): a run whose words
        are no reporting words must be surer (``other_threshold``): "violence signals
        deepening insecurity" is no speech."""
        peaks: dict[int, float] = {}
        runs = tidy_cues(doc, cue_runs(self._cue, doc, self.cue_threshold, self.cue_known, peaks))
        words = doc.words
        return [
            (start, end)
            for start, end in runs
            if peaks.get(start, 1.0) >= self.other_threshold
            or any(words[i].reporting for i in range(start, end))
        ]

    def relations(self, doc: Document) -> list[Relation]:
        """Every cue with the source and content the span tagger gives it."""
        cues = self.cues(doc)
        cues = sorted(cues + _quote_introducers(doc, cues))
        starts = [c[0] for c in cues]
        out: list[Relation] = []
        for cue in cues:
            first, last = window(doc, cue[0])
            near = starts[bisect_left(starts, first) : bisect_left(starts, last)]
            others = [s for s in near if s != cue[0]]
            relation = self._relation(doc, first, last, cue, others)
            if relation is not None:
                out.append(relation)
        return out

    def _relation(
        self, doc: Document, first: int, last: int, cue: tuple[int, int], others: list[int]
    ) -> Relation | None:
        self._span.set(span_features(doc, first, last, cue, others))
        n = last - first
        marginal = self._span.marginal
        source_p = [marginal("S", k) for k in range(n)]
        lo, hi = cue[0] - first, cue[1] - first
        source = best_segment(source_p, 0, n, self.source_bias, exclude=(lo, hi))
        doubted = source is None
        if source is None:
            # a source the tagger doubts ("Malian army on Tuesday said"): the strongest
            # run at a lower bar, kept only if the content is one the tagger is sure of
            source = best_segment(source_p, 0, n, self.source_fallback, exclude=(lo, hi))
            if source is None:
                return None
        content_p = [marginal("T", k) for k in range(n)]
        left, right = min(lo, source[0]), max(hi, source[1])
        pieces = self._pieces(content_p, left, right, n, self.content_bias)
        if not pieces:
            complement = _complement(doc, first + right, last) or _object(doc, cue, first + right, last, others)
            if complement is not None:
                pieces = [(complement[0] - first, complement[1] - first)]
        if not pieces and not doubted:
            quote = _quote_below(doc, cue)
            if quote is not None:
                return Relation(
                    tuple(range(*cue)), tuple(range(first + source[0], first + source[1])), (quote,)
                )
        if not pieces:
            return None
        pieces = [self._to_sentence_end(doc, first, p, content_p, hi, others) for p in pieces]
        pieces = _interrupted(doc, first, pieces, left, right, others)
        pieces = _continued_quote(doc, first, last, pieces, left, right, others)
        surest = max((content_p[k] for a, b in pieces for k in range(a, min(b, n))), default=0.0)
        if doubted and surest < self.sure_content:
            return None
        return Relation(
            tuple(range(*cue)),
            tuple(range(first + source[0], first + source[1])),
            tuple(doc.quotes.complete(first + a, first + b) for a, b in pieces),
        )


    def _to_sentence_end(
        self,
        doc: Document,
        first: int,
        piece: tuple[int, int],
        content_p: list[float],
        cue_end: int,
        others: list[int],
    ) -> tuple[int, int]:
        """An indirect content after its cue ends where its sentence does.

        Not beyond, when the next sentence's quotation has a cue of its own: that is
        two attributions the span tagger glued ("... for the campaign. "I think ...,"
        he said"). Not
        short of it, when only a tail the tagger doubted (mean marginal at least
        ``extend_min``, no other cue, no quotation) separates it from the full stop:
        the tagger cuts long clauses ("the release of internal documents that").
        """
        start, end = first + piece[0], first + piece[1]
        if piece[0] < cue_end or doc.words[start].shape == "Q" or doc.in_quote[start]:
            return piece
        sentence = doc.sentences[doc.sentence_of[start]]
        stop = sentence.last
        while stop > start and doc.words[stop - 1].shape in ("p", "Q"):
            stop -= 1
        if end > sentence.last:
            # cut only where the next sentence's quotation has a cue of its own
            beyond = first + len(content_p)
            if any(sentence.last <= c < beyond for c in others):
                return piece[0], sentence.last - first
            return piece
        if end >= stop or stop - end > EXTEND_REACH:
            return piece
        tail = range(end, stop)
        if any(end <= c < stop for c in others) or any(doc.words[i].shape == "Q" for i in tail):
            return piece
        if sum(content_p[i - first] for i in tail) < self.extend_min * len(tail):
            return piece
        return piece[0], stop - first

    @staticmethod
    def _pieces(content_p: list[float], left: int, right: int, n: int, bias: float) -> list[tuple[int, int]]:
        """Content on either side of the cue and source: one anchored run each at most."""
        found = (
            anchored_segment(content_p, left, 0, bias, backwards=True),
            anchored_segment(content_p, right, n, bias),
        )
        return [piece for piece in found if piece is not None]


COLON_REACH = 8
"""Tokens after a verb cue within which a colon introduces that cue's quotation."""


def _interrupted(
    doc: Document, first: int, pieces: list[tuple[int, int]], left: int, right: int, others: list[int]
) -> list[tuple[int, int]]:
    """"The move, Carr explained, was the result of ...": an attribution set off by commas
    inside a sentence interrupts one content, which goes on after it to the full stop."""
    if len(pieces) != 1 or pieces[0][1] > left:
        return pieces
    words = doc.words
    before, after = first + left - 1, first + right
    if before < 0 or words[before].lower != "," or after >= len(words) or words[after].lower != ",":
        return pieces
    sentence = doc.sentences[doc.sentence_of[after]]
    stop = sentence.last
    while stop > after + 1 and words[stop - 1].shape in ("p", "Q"):
        stop -= 1
    if stop - after < 3 or any(after < c < stop for c in others) or doc.in_quote[after + 1]:
        return pieces
    return [pieces[0], (right + 1, stop - first)]


_INTRODUCING = frozenset({",", ":"})


def _quote_introducers(doc: Document, cues: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """"A flabbergasted Noah quipped, “It's like ...”": a reporting verb the cue tagger
    doubts (rare in PolNeAR train), right after its subject and right before a
    quotation it introduces, is a cue all the same."""
    words = doc.words
    taken = {i for a, b in cues for i in range(a - 1, b + 1)}
    out: list[tuple[int, int]] = []
    for quote in doc.quotes.quotes:  # a handful per article: never a scan of every token
        i = quote.open - 2
        if i < 1 or words[i + 1].lower not in _INTRODUCING or i in taken or doc.in_quote[i]:
            continue
        word = words[i]
        if not word.alpha or not reporting_word(word.lower, word.lemma):
            continue
        if not words[i - 1].alpha or doc.sentence_of[i - 1] != doc.sentence_of[i]:
            continue
        out.append((i, i + 1))
    return out


def _quote_below(doc: Document, cue: tuple[int, int]) -> tuple[int, int] | None:
    """"In a 1963 speech, he declared:" closing its paragraph, the quotation the next
    paragraph opens with is what was declared (block quotations, transcripts)."""
    words, paragraph_of = doc.words, doc.paragraph_of
    colon = next((i for i in range(cue[1] - 1, min(cue[1] + COLON_REACH, len(words))) if words[i].lower == ":"), None)
    if colon is None or any(words[i].shape == "Q" for i in range(cue[1], colon)):
        return None
    below = colon + 1
    if below >= len(words) or paragraph_of[below] != paragraph_of[colon] + 1:
        return None
    quote = doc.quotes.starting_at(below)
    if quote is None:
        return None
    return quote.open, quote.end


def _continued_quote(
    doc: Document, first: int, last: int, pieces: list[tuple[int, int]], left: int, right: int, others: list[int]
) -> list[tuple[int, int]]:
    """"'...,' said X, a professor at Y. 'More ...'": a quotation before its cue goes on
    in a quotation opening the next sentence of the paragraph, which has no cue of its
    own: one discontinuous content (the scheme's continuing quotation)."""
    if len(pieces) != 1 or pieces[0][1] > left:
        return pieces
    words = doc.words
    before = doc.quotes.starting_at(first + pieces[0][0])
    if before is None or not before.terminated:
        return pieces
    here = doc.sentence_of[first + right - 1]
    if here + 1 >= len(doc.sentences):
        return pieces
    k = doc.sentences[here + 1].first
    if k >= last or any(words[i].shape == "Q" for i in range(first + right, k)):
        return pieces
    quote = doc.quotes.starting_at(k)
    if quote is None or quote.end > last or doc.paragraph_of[k] != doc.paragraph_of[first + right - 1]:
        return pieces
    stop = doc.sentences[doc.sentence_of[quote.end - 1]].last
    if any(quote.open <= c < max(stop, quote.end) for c in others):
        return pieces
    return [pieces[0], (quote.open - first, quote.end - first)]


def tidy_cues(doc: Document, runs: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Cue runs as the scheme writes cues and the span tagger was trained on them.

    - A run of auxiliaries only ("did", "has not") is no cue.
    - A colon right after a verb cue of the same sentence ("told the AFP news agency:
      "...") introduces that cue's quotation: it is no second cue, which would cut the
      first one off from its content.
    """
    words, sentence_of = doc.words, doc.sentence_of
    out: list[tuple[int, int]] = []
    for start, end in runs:
        if all(words[i].lower in CUE_AUXILIARIES for i in range(start, end)):
            continue  # "but did not provide": an auxiliary reports nothing
        if end - start == 1 and words[start].lower == ":" and out:
            before = out[-1]
            if sentence_of[before[0]] == sentence_of[start] and start - before[1] <= COLON_REACH:
                continue
        out.append((start, end))
    return out


def cue_runs(
    tagger: pycrfsuite.Tagger,
    doc: Document,
    threshold: float,
    known: frozenset[str] | None = None,
    peaks: dict[int, float] | None = None,
) -> list[tuple[int, int]]:
    """Runs of tokens whose cue marginal reaches ``threshold``, in text order; ``peaks``,
    if given, receives each run's highest marginal by its start.

    Sentences wholly inside a quotation are not tagged: PolNeAR marks almost no cue
    there (under 0.2% of train cues), and they are an eighth of all sentences.
    """
    runs: list[tuple[int, int]] = []
    quoted, words = doc.in_quote, doc.words
    for sentence in doc.sentences:
        if all(quoted[i] or words[i].shape == "Q" for i in range(sentence.first, sentence.last)):
            continue
        tagger.set(cue_features(doc, sentence, known))
        for offset in range(sentence.last - sentence.first):
            if tagger.marginal("C", offset) < threshold:
                continue
            i = sentence.first + offset
            if runs and runs[-1][1] == i:
                runs[-1] = (runs[-1][0], i + 1)
            else:
                runs.append((i, i + 1))
            if peaks is not None:
                start = runs[-1][0]
                peaks[start] = max(peaks.get(start, 0.0), tagger.marginal("C", offset))
    return runs


def _weighed(tagger: pycrfsuite.Tagger) -> frozenset[str]:
    """The attributes a tagger gives a non-zero weight: the only strings worth passing."""
    return frozenset(attr for (attr, _), weight in tagger.info().state_features.items() if weight)


def best_segment(
    probability: list[float],
    start: int,
    end: int,
    bias: float,
    exclude: tuple[int, int] | None = None,
) -> tuple[int, int] | None:
    """The contiguous run in ``[start, end)`` maximising the sum of ``p - bias``.

    A maximum-subarray over marginals: it bridges a token or two the tagger doubts
    inside a long span, which a per-token decision would cut. ``None`` when no token
    clears ``bias``; ``exclude`` (the cue) is never crossed.
    """
    best, best_range = 0.0, None
    total, run_start = 0.0, start
    for k in range(start, end):
        if exclude and exclude[0] <= k < exclude[1]:
            total, run_start = 0.0, k + 1
            continue
        total += probability[k] - bias
        if total <= 0:
            total, run_start = 0.0, k + 1
        elif total > best:
            best, best_range = total, (run_start, k + 1)
    return best_range


COMPLEMENT_REACH = 8
"""How far after the cue (past a recipient: "told the AFP news agency") "that" may stand."""


def _complement(doc: Document, start: int, last: int) -> tuple[int, int] | None:
    """"... that <clause>" right after the cue to the end of its sentence: the fallback
    when the tagger is unsure of a content the syntax makes plain."""
    sentence = doc.sentences[doc.sentence_of[max(start - 1, 0)]]
    end = min(last, sentence.last)
    while end > start and doc.words[end - 1].shape == "p":
        end -= 1
    for i in range(start, min(start + COMPLEMENT_REACH, end - 2)):
        if doc.words[i].lower == "that" and not doc.in_quote[i]:
            return i, end
        if doc.words[i].lower in {".", ";"}:
            break
    return None


_TOPIC_PREPOSITIONS = frozenset({"on", "about", "over", "of", "regarding", "concerning"})
_OBJECT_STOPS = frozenset({",", ";", ".", ":", "!", "?", "(", ")", "--", "\u2014", "\u2013"})


def _object(
    doc: Document, cue: tuple[int, int], start: int, last: int, others: list[int]
) -> tuple[int, int] | None:
    """"remarked on the panic", "warned about growing efforts": a reporting verb whose
    content is the noun phrase after its preposition, up to the clause's end (the
    tagger, trained on clauses, doubts such short contents)."""
    words = doc.words
    head = words[cue[0]]
    if not head.reporting:
        return None
    k = start
    if words[cue[1] - 1].lower not in _TOPIC_PREPOSITIONS:
        if k >= last or words[k].lower not in _TOPIC_PREPOSITIONS:
            return None
        k += 1
    end = k
    while end < last and words[end].lower not in _OBJECT_STOPS and words[end].shape != "Q" and end not in others:
        end += 1
    return (k, end) if end > k else None


ANCHOR_SLACK = 4
"""How far content may start from the cue and source: "said on Tuesday that ..."."""


def anchored_segment(
    probability: list[float], anchor: int, limit: int, bias: float, backwards: bool = False
) -> tuple[int, int] | None:
    """The best run of ``p - bias`` that starts within :data:`ANCHOR_SLACK` tokens of
    ``anchor`` and extends away from it towards ``limit``.

    Content almost always abuts its cue and source (nine in ten PolNeAR relations); a
    free-floating segment drifts to wherever the tagger is most confident, which is
    how long clauses lost their first half.
    """
    if backwards:
        mirrored = probability[limit:anchor][::-1]
        found = anchored_segment(mirrored, 0, len(mirrored), bias)
        if found is None:
            return None
        return anchor - found[1], anchor - found[0]
    best, best_range = 0.0, None
    for start in range(anchor, min(anchor + ANCHOR_SLACK + 1, limit)):
        total = 0.0
        for k in range(start, limit):
            total += probability[k] - bias
            if total > best:
                best, best_range = total, (start, k + 1)
    return best_range
