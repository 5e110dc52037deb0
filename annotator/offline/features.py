"""CRF features for the two taggers, built from tokens alone (no parser, no tagger).

Feature strings that depend only on a word form are built once per form
(:class:`WordTable`) and reused by every later token of that form, and strings a
trained tagger gives no weight are never built into its rows: feature extraction and
handing strings to crfsuite, not CRF decoding, dominate the run time.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from annotator.offline.lexicon import load_lexicon
from annotator.offline.sentences import Sentence, Token

if TYPE_CHECKING:
    from annotator.offline.document import Document

REPORTING = load_lexicon().reporting_cues
"""Heads of reporting expressions: a cue feature, so a reporting verb the cue tagger
never saw as a cue (PolNeAR train lacks it) is still recognised as one."""
PRONOUNS = frozenset("he she they it we i you who which that his her their its".split())
_DIGIT = re.compile(r"\d")
_QUOTE_CHARS = frozenset("\"'\u201c\u201d\u2018\u2019\u00ab\u00bb")
Clusters = Mapping[str, tuple[str, str]]
"""Lower-cased word to its (coarse, fine) distributional cluster ids."""
NO_CLUSTER = ("-", "-")
OFFSETS = (-2, -1, 1, 2)
FAR = (-3, 3)
"""Offsets at which only a word's cluster is a cue feature: "Trump on Tuesday
[said]", "he [wants] to hire"."""


def lemma(word: str) -> str:
    """A crude suffix-stripping lemma: enough to tie said/says/saying and claim/claimed."""
    w = word.lower()
    if w in _IRREGULAR:
        return _IRREGULAR[w]
    for suffix, repl, minimum in _SUFFIXES:
        if w.endswith(suffix) and len(w) - len(suffix) >= minimum:
            return w[: len(w) - len(suffix)] + repl
    return w


_IRREGULAR = {
    "said": "say", "says": "say", "saying": "say", "told": "tell", "thought": "think",
    "wrote": "write", "written": "write", "writes": "write", "writing": "write",
    "knew": "know", "known": "know", "saw": "see", "seen": "see", "felt": "feel",
    "spoke": "speak", "spoken": "speak", "made": "make", "gave": "give", "given": "give",
    "took": "take", "taken": "take", "got": "get", "went": "go", "gone": "go",
    "was": "be", "were": "be", "is": "be", "are": "be", "been": "be", "has": "have",
    "had": "have", "did": "do", "does": "do", "found": "find", "held": "hold",
    "according": "accord", "added": "add", "adding": "add", "tweeted": "tweet",
}
_SUFFIXES = (
    ("ies", "y", 2), ("ied", "y", 2), ("ing", "", 3), ("ed", "", 3), ("es", "", 4),
    ("s", "", 3),
)


def reporting_word(lower: str, lem: str) -> bool:
    """Whether a word is in the reporting lexicon under any spelling the crude lemma
    leaves it in: "quipped" (quipp), "jokes" (joke), "joked" (jok).

    Broader than the cue tagger's ``rep`` feature, which stays as the tagger was
    trained with (retrained with this test, PolNeAR dev claims F1 went 0.722 -> 0.721).
    """
    if lower in REPORTING or lem in REPORTING:
        return True
    if lem == lower:
        return False  # nothing stripped: "not" is no form of "note"
    doubled = len(lem) > 3 and lem[-1] == lem[-2] and lem[-1] not in "aeiouls"
    return (doubled and lem[:-1] in REPORTING) or lem + "e" in REPORTING or (
        lem.endswith("e") and lem[:-1] in REPORTING
    )


def shape(word: str) -> str:
    """Coarse word shape: capitalisation, digits, quotes and punctuation."""
    if word in _QUOTE_CHARS:
        return "Q"
    if _DIGIT.search(word):
        return "d"
    if not word[0].isalnum():
        return "p"
    if word.isupper() and len(word) > 1:
        return "X"
    if word[0].isupper():
        return "Xx"
    return "x"


@dataclass(frozen=True, slots=True)
class Word:
    """Everything about a word form that does not depend on where it stands, with its
    feature strings built once: most tokens of an article are words seen before."""

    lower: str
    lemma: str
    shape: str
    fine: str
    capital: bool  # starts with an upper-case letter
    alpha: bool  # starts with a letter
    alnum: bool  # starts with a letter or digit
    pronoun: bool
    reporting: bool  # in the reporting lexicon (the cue tagger's ``rep``)
    unigram: tuple[str, ...]
    cue_extra: tuple[str, ...]
    context: dict[int, tuple[str, ...]]  # as a neighbour at each of OFFSETS and FAR
    span_unigram: tuple[str, ...]
    span_context: dict[int, tuple[str, ...]]
    sided: dict[str, tuple[str, ...]]


MAX_FORMS = 50_000
"""Word forms memoised at once (about 2 KB each; PolNeAR train has 32,557): a backend
that reads millions of articles, or one huge one full of numbers and names, must not
keep every form it ever saw."""


class WordTable:
    """Builds :class:`Word` records against one cluster map, memoised by surface form.

    Given the attributes each trained tagger weighs, feature strings a tagger would
    ignore are left out of its rows when a word is first built: handing crfsuite a
    string costs about as much as scoring it, and a quarter of them carry no weight.
    """

    def __init__(
        self,
        clusters: Clusters,
        cue_known: frozenset[str] | None = None,
        span_known: frozenset[str] | None = None,
    ) -> None:
        self._clusters = clusters
        self._words: dict[str, Word] = {}
        self.cue_known = cue_known
        self.span_known = span_known

    def word(self, text: str) -> Word:
        found = self._words.get(text)
        if found is None:
            if len(self._words) >= MAX_FORMS:
                self._words.clear()  # a record is a pure function of its form: rebuilt alike
            found = self._words[text] = self._build(text)
        return found

    def _build(self, text: str) -> Word:
        lower = text.lower()
        coarse, fine = self._clusters.get(lower, NO_CLUSTER)
        lem, shp = lemma(lower), shape(text)
        pronoun = lower in PRONOUNS
        reporting = lem in REPORTING or lower in REPORTING
        unigram = (f"w={lower}", f"l={lem}", f"s={shp}", f"f={fine}", f"c={coarse}")
        cue_extra = (f"suf3={lower[-3:]}",) + (("pron",) if pronoun else ()) + (("rep",) if reporting else ())
        context = {
            o: (f"{o}w={lower}", f"{o}s={shp}", f"{o}f={fine}", f"{o}c={coarse}")
            if abs(o) == 1
            else (f"{o}w={lower}", f"{o}c={coarse}")
            for o in OFFSETS
        }
        far = {o: (f"{o}f={fine}",) for o in FAR}
        sided = {
            side: (f"side|w={side}|{lower}", f"side|f={side}|{fine}")
            + ((f"side|pron={side}",) if pronoun else ())
            for side in "LCR"
        }
        cue, span = self.cue_known, self.span_known
        return Word(
            lower,
            lem,
            shp,
            fine,
            text[:1].isupper(),
            text[:1].isalpha(),
            text[:1].isalnum(),
            pronoun,
            reporting,
            _keep(unigram, cue),
            _keep(cue_extra, cue),
            {o: _keep(c, cue) for o, c in (context | far).items()},
            _keep(unigram, span),
            {o: _keep(context[o], span) for o in (-1, 1)},
            {side: _keep(c, span) for side, c in sided.items()},
        )

    def words(self, tokens: list[Token]) -> list[Word]:
        """The :class:`Word` of every token of an article."""
        word = self.word
        return [word(t.text) for t in tokens]


def _keep(features: tuple[str, ...], known: frozenset[str] | None) -> tuple[str, ...]:
    """``features`` without the strings a tagger does not weigh (all of them untrained)."""
    if known is None:
        return features
    return tuple(f for f in features if f in known)


def static_features(
    words: list[Word], first: int, last: int, known: frozenset[str] | None
) -> list[tuple[str, ...]]:
    """Features of tokens ``[first, last)`` that do not depend on the sequence they are
    tagged in: the word, its neighbours (two either side, across sentence ends, and the
    clusters three away) and the word bigram (left out when the tagger does not weigh it)."""
    n = len(words)
    out: list[tuple[str, ...]] = []
    previous = words[first - 1].lower if first else "<b>"
    for i in range(first, last):
        word = words[i]
        bigram = f"-1w|w={previous}|{word.lower}"
        out.append(
            word.unigram
            + (words[i - 2].context[-2] if i >= 2 else ("-2w=<b>",))
            + (words[i - 1].context[-1] if i >= 1 else ("-1w=<b>",))
            + (words[i + 1].context[1] if i + 1 < n else ("1w=<b>",))
            + (words[i + 2].context[2] if i + 2 < n else ("2w=<b>",))
            + (words[i - 3].context[-3] if i >= 3 else ())
            + (words[i + 3].context[3] if i + 3 < n else ())
            + ((bigram,) if known is None or bigram in known else ())
        )
        previous = word.lower
    return out


def cue_features(doc: Document, sentence: Sentence, known: frozenset[str] | None = None) -> list[list[str]]:
    """Features for tagging cue tokens in one sentence.

    Besides the word and its neighbours, the distance to the nearest quotation mark on
    either side: a verb right after a closing mark or right before an opening one is
    almost always a cue. And what a cue needs around it: a reporting word beside it
    ("has also said", "said Tuesday"), its place in the sentence (few sentences open
    with their cue) and how near a subject stands on its left (a name or a pronoun up
    to three tokens back: "Rubio said", "he wants"). With these and the coarse clusters,
    PolNeAR train hold-out claims F1 went 0.722 -> 0.728 (dev, checked: 0.724 -> 0.731).
    """
    words, in_quote = doc.words, doc.in_quote
    first, last = sentence.first, sentence.last
    static = static_features(words, first, last, known)
    marks = [i for i in range(first, last) if words[i].shape == "Q"]
    has_quote = "sentq=1" if marks else "sentq=0"
    near = _quote_distances(marks) if marks else {}
    rows: list[list[str]] = []
    for i in range(first, last):
        word = words[i]
        row = [*static[i - first], *word.cue_extra, has_quote, "q=1" if in_quote[i] else "q=0"]
        if i in near:
            row.extend(near[i])
        if i > first:
            prev = words[i - 1]
            row.append(f"-1s|l={prev.shape}|{word.lemma}")
            row.append(f"-1f|f={prev.fine}|{word.fine}")
        else:
            row.append("BOS")
        if i + 1 < last:
            row.append(f"w|+1w={word.lemma}|{words[i + 1].lower}")
            if words[i + 1].reporting:
                row.append("rep+1")
        else:
            row.append("EOS")
        if i > first and words[i - 1].reporting:
            row.append("rep-1")
        row.append(_POSITION[min(i - first, 4)])
        row.append(_SUBJECT[_subject_distance(words, first, i)])
        rows.append(row)
    return rows


_POSITION = tuple(f"pos={k}" for k in range(5))
_SUBJECT = tuple(f"subjL={d}" for d in range(4))


def _subject_distance(words: list[Word], first: int, i: int) -> int:
    """How far back, up to three tokens within the sentence, the nearest capitalised
    word or pronoun stands (0: none)."""
    for d in (1, 2, 3):
        if i - d < first:
            break
        left = words[i - d]
        if left.capital or left.pronoun:
            return d
    return 0


def _quote_distances(marks: list[int]) -> dict[int, list[str]]:
    """For tokens up to three after or before a quotation mark, the nearest distance on
    each side as features (``qL``: a mark to the left, ``qR``: to the right)."""
    left: dict[int, int] = {}
    right: dict[int, int] = {}
    for m in marks:
        for d in (1, 2, 3):
            if left.get(m + d, 9) > d:
                left[m + d] = d
            if right.get(m - d, 9) > d:
                right[m - d] = d
    out: dict[int, list[str]] = {}
    for i, d in left.items():
        out.setdefault(i, []).append(f"qL={d}")
    for i, d in right.items():
        out.setdefault(i, []).append(f"qR={d}")
    return out


def _bucket(distance: int) -> str:
    if distance <= 2:
        return str(distance)
    if distance <= 5:
        return "3-5"
    if distance <= 10:
        return "6-10"
    if distance <= 20:
        return "11-20"
    return "21+"


_SIDED_DISTANCE = {
    (side, d): f"side|d={side}|{_bucket(d)}" for side in "LCR" for d in range(22)
}
_SIDED_QUOTE = {(side, q): f"side|q={side}|{int(q)}" for side in "LCR" for q in (False, True)}
_SENTENCE = {k: f"sent={k}" for k in (-1, 0, 1)}
_COMMAS_BETWEEN = {(side, n): f"side|commas={side}|{n}" for side in "LR" for n in (0, 1, 2)}
_QUOTE_BETWEEN = {side: f"side|qbetween={side}" for side in "LR"}


def span_features(
    doc: Document, first: int, last: int, cue: tuple[int, int], other_cues: list[int]
) -> list[list[str]]:
    """Features for tagging source and content tokens relative to one cue.

    ``cue`` is the cue's token range; ``other_cues`` are starts of other cues in the
    window, so the tagger can learn that content tends to stop before a second cue.
    Conjunctions with the side of the cue carry most of the signal: the same word is
    likely source just left of "said" and likely content right of "said that". Strings
    that repeat across a window are formatted once per window, not per token.
    """
    words, in_quote, sentence_of = doc.words, doc.in_quote, doc.sentence_of
    cue_start, cue_end = cue
    cue_sentence = sentence_of[cue_start]
    after = words[cue_end].lower if cue_end < last else "<e>"
    before = words[cue_start - 1].lower if cue_start > first else "<s>"
    adjacent = _adjacent_quotes(doc, cue)
    head = f"cue={cue_head(words, cue_start, cue_end).lemma}"
    per_side = {
        side: (f"side={side}", f"side|after={side}|{after}", f"side|before={side}|{before}", head, f"{head}|{side}")
        for side in "LCR"
    }
    # running counts of commas and quotation marks over the window, so "how many lie
    # between this token and the cue" is a subtraction
    commas, marks = [0], [0]
    for i in range(first, last):
        commas.append(commas[-1] + (words[i].lower == ","))
        marks.append(marks[-1] + (words[i].shape == "Q"))
    rows: list[list[str]] = []
    for i in range(first, last):
        word = words[i]
        if cue_start <= i < cue_end:
            side, dist = "C", 0
        elif i < cue_start:
            side, dist = "L", cue_start - i
        else:
            side, dist = "R", i - cue_end + 1
        offset = sentence_of[i] - cue_sentence
        row = [
            *word.span_unigram,
            *(words[i - 1].span_context[-1] if i > first else ("-1w=<b>",)),
            *(words[i + 1].span_context[1] if i + 1 < last else ("1w=<b>",)),
            *word.sided[side],
            *per_side[side],
            _SIDED_DISTANCE[side, min(dist, 21)],
            _SIDED_QUOTE[side, in_quote[i]],
            _SENTENCE[-1 if offset < 0 else 1 if offset > 0 else 0],
        ]
        if i in adjacent:
            row.append("adjq")
        if side != "C":
            lo, hi = (i + 1, cue_start) if side == "L" else (cue_end, i)
            between_commas = commas[hi - first] - commas[lo - first]
            row.append(_COMMAS_BETWEEN[side, min(between_commas, 2)])
            if marks[hi - first] > marks[lo - first]:
                row.append(_QUOTE_BETWEEN[side])
        if other_cues:
            lo, hi = (i, cue_start) if i < cue_start else (cue_end, i)
            if any(lo < c < hi for c in other_cues):
                row.append(f"cuebetween|{side}")
        rows.append(row)
    return rows


CUE_AUXILIARIES = frozenset(
    """has have had also was were is are be been being did does do would will could should
    may might can just then already still again once repeatedly previously later earlier
    first publicly privately recently quickly not n't never""".split()
)


def cue_head(words: list[Word], start: int, end: int) -> Word:
    """The word of a cue run that carries it: the first that is no auxiliary or adverb
    ("has also said" is a cue of saying, not of having)."""
    for i in range(start, end):
        if words[i].lower not in CUE_AUXILIARIES:
            return words[i]
    return words[end - 1]


def _adjacent_quotes(doc: Document, cue: tuple[int, int]) -> set[int]:
    """Tokens of a quotation that ends just before the cue or starts just after it."""
    words, quotes = doc.words, doc.quotes
    out: set[int] = set()
    # a quotation closing up to three tokens before the cue: the one containing or
    # ending just before each such position (quotations are disjoint, so at most one)
    for close in range(max(cue[0] - 3, 0), cue[0] + 1):
        quote = quotes.containing(close)
        gap = range(close + 1, cue[0])
        if quote is not None and quote.close == close and all(not words[k].alnum for k in gap):
            out.update(range(quote.open, quote.end))
    for opening in range(cue[1], cue[1] + 4):
        quote = quotes.starting_at(opening)
        if quote is not None and all(not words[k].alnum for k in range(cue[1], opening)):
            out.update(range(quote.open, quote.end))
    return out
