"""What a loosely matched passage may differ in, and what it never may.

Grounding's ``fuzzy`` tier finds passages that are *nearly* the model's words. For a
fact-checker "nearly" is only acceptable when the difference cannot change what the
passage says: a typo inside an ordinary word, whitespace, punctuation, accents. A
difference in a negation ("is safe" for "is not safe"), a number ("120" for "12"), a
named entity or a capitalised word ("western" for "eastern", "Kayes" for "Kaye") or a
hedge word ("will" for "would") is a different claim, however similar the strings look,
and so is a word added or dropped. :func:`compare` decides this word by word; the
same word lists keep the gaps of a discontinuous field (:func:`gap_problem`) from
hiding a negation or a hedge between its pieces.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from rapidfuzz.distance import OSA, Levenshtein, Opcodes

WORD = re.compile(r"[^\W_]+(?:['\u2019][^\W_]+)*")
"""A word: letters and digits, with inner apostrophes ("isn't", "Mali's")."""

NEGATIONS = frozenset(
    "not no never none nobody nothing nowhere neither nor without cannot cant nope "
    "non hardly scarcely barely deny denies denied".split()
)
HEDGES = frozenset(
    "may might could would should will shall can must possibly perhaps maybe probably "
    "likely unlikely apparently presumably reportedly allegedly supposedly purportedly "
    "suspected believe believes believed think thinks thought expect expects expected "
    "appear appears appeared seem seems seemed uncertain unclear whether if potentially "
    "conceivably".split()
)
APPROXIMATORS = frozenset("about around roughly approximately almost nearly some over under".split())
NUMBER_WORDS = frozenset(
    "zero one two three four five six seven eight nine ten eleven twelve thirteen "
    "fourteen fifteen sixteen seventeen eighteen nineteen twenty thirty forty fifty sixty "
    "seventy eighty ninety hundred hundreds thousand thousands million millions billion "
    "billions trillion dozen dozens half quarter double twice triple first second third "
    "fourth fifth tenth percent per cent".split()
)
ENTITY_WORDS = frozenset(
    "north south east west northern southern eastern western northeast northwest "
    "southeast southwest central monday tuesday wednesday thursday friday saturday sunday "
    "january february march april june july august september october november december "
    "yesterday today tomorrow".split()
)
"""Lower-case words that pin a place or a time as a name does."""

SHORT_WORD = 4
"""Words shorter than this must match exactly: "he"/"she", "now"/"not" are one edit apart."""


@dataclass(frozen=True, slots=True)
class Word:
    """A word of a text with its offsets there."""

    text: str
    start: int
    end: int

    @property
    def key(self) -> str:
        """What must be equal for two words to be the same word: case, accents and
        apostrophes aside."""
        return fold(self.text)


@functools.lru_cache(maxsize=65536)
def fold(word: str) -> str:
    """A word's :attr:`Word.key`; memoised, since an article repeats its words."""
    decomposed = unicodedata.normalize("NFKD", word.lower())
    return "".join(ch for ch in decomposed if ch.isalnum())


def words(text: str, offset: int = 0) -> list[Word]:
    """The words of ``text`` with their offsets (shifted by ``offset``)."""
    return [Word(m.group(), m.start() + offset, m.end() + offset) for m in WORD.finditer(text)]


def kind(word: Word) -> str | None:
    """Why a word may not be changed by a fuzzy match, or ``None`` for an ordinary word."""
    lower = word.text.lower().replace("\u2019", "'")
    bare = word.key
    if any(ch.isdigit() for ch in word.text) or bare in NUMBER_WORDS:
        return "a number"
    if bare in NEGATIONS or lower.endswith("n't"):
        return "a negation"
    if bare in HEDGES:
        return "a hedge word"
    if bare in APPROXIMATORS:
        return "an approximation"
    if word.text[:1].isupper() or bare in ENTITY_WORDS:
        return "a name"
    return None


@dataclass(frozen=True)
class Verdict:
    """The outcome of comparing a fragment with an article passage."""

    span: tuple[int, int] | None
    """The passage's offsets, trimmed to the words that correspond, when acceptable."""
    reason: str | None = None
    """Why not, in words a model can act on, when ``span`` is ``None``."""


def compare(fragment: str, passage: Sequence[Word]) -> Verdict:
    """Accept ``passage`` (article words around a fuzzy alignment) for ``fragment`` only
    if they differ by typos in ordinary words, whitespace and punctuation.

    Article words before the fragment's first word or after its last are trimmed off
    (an alignment window is rarely exact at its edges); any other difference rejects.
    """
    mine = words(fragment)
    if not mine or not passage:
        return Verdict(None, "nothing to compare")
    regions = _regions(Levenshtein.opcodes([w.key for w in mine], [w.key for w in passage]))
    first, last = 0, len(passage)
    if regions and regions[0][0] == 0 and regions[0][2] == 0:
        # the passage starts early: keep only as many of its leading words as the fragment has
        src_end, dest_end = regions[0][1], regions[0][3]
        first = max(0, dest_end - src_end)
        regions[0] = (0, src_end, first, dest_end)
    if regions and regions[-1][1] == len(mine) and regions[-1][3] == len(passage):
        src_start, dest_start = regions[-1][0], regions[-1][2]
        last = min(len(passage), dest_start + (len(mine) - src_start))
        regions[-1] = (src_start, len(mine), dest_start, last)
    if first >= last:
        return Verdict(None, "no word in common")
    for src_start, src_end, dest_start, dest_end in regions:
        problem = _difference(mine[src_start:src_end], passage[dest_start:dest_end])
        if problem:
            return Verdict(None, problem)
    return Verdict((passage[first].start, passage[last - 1].end))


def _regions(ops: Opcodes) -> list[tuple[int, int, int, int]]:
    """Runs of differing words, adjacent edits merged: ``(src_start, src_end, dest_start, dest_end)``."""
    regions: list[tuple[int, int, int, int]] = []
    for op in ops:
        if op.tag == "equal":
            continue
        if regions and regions[-1][1] == op.src_start and regions[-1][3] == op.dest_start:
            regions[-1] = (regions[-1][0], op.src_end, regions[-1][2], op.dest_end)
        else:
            regions.append((op.src_start, op.src_end, op.dest_start, op.dest_end))
    return regions


def _difference(given: Sequence[Word], found: Sequence[Word]) -> str | None:
    """Why the model's ``given`` words cannot stand for the article's ``found`` words."""
    if "".join(w.key for w in given) == "".join(w.key for w in found):
        return None  # split or joined words: whitespace and punctuation only
    quoted = _quote(found) if found else "nothing"
    said = _quote(given) if given else "nothing"
    if len(given) != len(found):
        protected = next((kind(w) for w in (*given, *found) if kind(w)), None)
        what = f" ({protected})" if protected else ""
        return f"the article has {quoted} where the claim has {said}{what}"
    for mine, theirs in zip(given, found, strict=True):
        if mine.key == theirs.key:
            continue
        protected = kind(theirs) or kind(mine)
        if protected:
            return f"the article has {_quote([theirs])} where the claim has {_quote([mine])} ({protected})"
        if not _typo(mine.key, theirs.key):
            return f"the article has {_quote([theirs])} where the claim has {_quote([mine])} (another word)"
    return None


def _typo(a: str, b: str) -> bool:
    """One slip (a letter wrong, missing, extra or two swapped) in a word long enough for
    that not to make another word; two in words of ten letters or more."""
    if min(len(a), len(b)) < SHORT_WORD:
        return False
    allowed = 2 if min(len(a), len(b)) >= 10 else 1
    return OSA.distance(a, b) <= allowed


def _quote(found: Sequence[Word]) -> str:
    return repr(" ".join(w.text for w in found))


def gap_problem(gap: str) -> str | None:
    """Why the text between two pieces of a discontinuous field may not be skipped:
    it holds a negation or a hedge that the joined pieces would silently drop."""
    for word in words(gap):
        protected = kind(word)
        if protected in ("a negation", "a hedge word"):
            return f"the words between its pieces include {word.text!r} ({protected})"
    return None
