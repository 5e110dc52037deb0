"""CRF features for the two taggers, built from tokens alone (no parser, no tagger).

Per-token lexical features are computed once per article (:func:`token_features`) and
combined with neighbours per sequence, because feature extraction, not CRF decoding,
is what dominates the run time. Features are plain strings (crfsuite's fastest input).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import re
from dataclasses import dataclass

from annotator.offline.quotes import QuoteMap
from annotator.offline.sentences import Sentence, Token

if TYPE_CHECKING:
    from annotator.offline.document import Document

PRONOUNS = frozenset("he she they it we i you who which that his her their its".split())
DETERMINERS = frozenset("a an the this that these those some many most several".split())
_DIGIT = re.compile(r"\d")
_QUOTE_CHARS = frozenset("\"'\u201c\u201d\u2018\u2019\u00ab\u00bb")


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
class Lexical:
    """Static per-token attributes reused by both taggers."""

    lower: str
    lemma: str
    shape: str
    in_quote: bool


def lexical(tokens: list[Token], quotes: QuoteMap) -> list[Lexical]:
    """Per-token attributes for a whole article."""
    return [
        Lexical(t.text.lower(), lemma(t.text), shape(t.text), quotes.inside(i))
        for i, t in enumerate(tokens)
    ]


def _unigram(lex: Lexical, prefix: str) -> list[str]:
    return [f"{prefix}w={lex.lower}", f"{prefix}l={lex.lemma}", f"{prefix}s={lex.shape}"]


def cue_features(lex: list[Lexical], sentence: Sentence) -> list[list[str]]:
    """Features for tagging cue tokens in one sentence.

    Besides the word and its neighbours, the distance to the nearest quotation mark on
    either side: a verb right after a closing mark or right before an opening one is
    almost always a cue.
    """
    first, last = sentence.first, sentence.last
    marks = [i for i in range(first, last) if lex[i].shape == "Q"]
    has_quote = "sentq=1" if marks else "sentq=0"
    rows: list[list[str]] = []
    for i in range(first, last):
        cur = lex[i]
        row = _unigram(cur, "")
        row += (f"suf3={cur.lower[-3:]}", f"suf2={cur.lower[-2:]}", has_quote)
        row.append("q=1" if cur.in_quote else "q=0")
        if cur.lower in PRONOUNS:
            row.append("pron")
        left = [i - m for m in marks if 0 < i - m <= 3]
        right = [m - i for m in marks if 0 < m - i <= 3]
        if left:
            row.append(f"qL={min(left)}")
        if right:
            row.append(f"qR={min(right)}")
        for offset in (-2, -1, 1, 2):
            j = i + offset
            if first <= j < last:
                row.append(f"{offset}w={lex[j].lower}")
                row.append(f"{offset}s={lex[j].shape}")
            else:
                row.append(f"{offset}w=<b>")
        if i > first:
            row.append(f"-1w|w={lex[i - 1].lower}|{cur.lower}")
            row.append(f"-1s|l={lex[i - 1].shape}|{cur.lemma}")
        if i + 1 < last:
            row.append(f"w|+1w={cur.lemma}|{lex[i + 1].lower}")
        if i == first:
            row.append("BOS")
        if i == last - 1:
            row.append("EOS")
        rows.append(row)
    return rows


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


def span_features(
    doc: Document, first: int, last: int, cue: tuple[int, int], other_cues: list[int]
) -> list[list[str]]:
    """Features for tagging source and content tokens relative to one cue.

    ``cue`` is the cue's token range; ``other_cues`` are starts of other cues in the
    window, so the tagger can learn that content tends to stop before a second cue.
    Conjunctions with the side of the cue carry most of the signal: the same word is
    likely source just left of "said" and likely content right of "said that".
    """
    lex = doc.lex
    cue_start, cue_end = cue
    cue_sentence = doc.sentence_of[cue_start]
    after = lex[cue_end].lower if cue_end < last else "<e>"
    before = lex[cue_start - 1].lower if cue_start > first else "<s>"
    adjacent = _adjacent_quotes(doc, cue)
    head = f"cue={lex[cue_start].lemma}"
    rows: list[list[str]] = []
    for i in range(first, last):
        cur = lex[i]
        if cue_start <= i < cue_end:
            side, dist = "C", 0
        elif i < cue_start:
            side, dist = "L", cue_start - i
        else:
            side, dist = "R", i - cue_end + 1
        row = _unigram(cur, "")
        row += (
            f"side={side}",
            f"side|d={side}|{_bucket(dist)}",
            f"side|w={side}|{cur.lower}",
            f"side|s={side}|{cur.shape}",
            f"side|q={side}|{int(cur.in_quote)}",
            f"side|after={side}|{after}",
            f"side|before={side}|{before}",
            f"sent={min(max(doc.sentence_of[i] - cue_sentence, -1), 1)}",
            head,
            f"{head}|{side}",
        )
        if i in adjacent:
            row.append("adjq")
        if cur.lower in PRONOUNS:
            row.append(f"side|pron={side}")
        lo, hi = (i, cue_start) if i < cue_start else (cue_end, i)
        if any(lo < c < hi for c in other_cues):
            row.append(f"cuebetween|{side}")
        for offset in (-2, -1, 1, 2):
            j = i + offset
            if first <= j < last:
                row.append(f"{offset}w={lex[j].lower}")
                row.append(f"{offset}s={lex[j].shape}")
            else:
                row.append(f"{offset}w=<b>")
        if i > first:
            row.append(f"-1w|w={lex[i - 1].lower}|{cur.lower}")
        rows.append(row)
    return rows


def _adjacent_quotes(doc: Document, cue: tuple[int, int]) -> set[int]:
    """Tokens of a quotation that ends just before the cue or starts just after it."""
    tokens = doc.tokens
    out: set[int] = set()
    for quote in doc.quotes.quotes:
        gap_before = range(quote.close + 1, cue[0])
        gap_after = range(cue[1], quote.open)
        if 0 <= cue[0] - quote.close <= 3 and all(not tokens[k].text[0].isalnum() or k >= cue[0] for k in gap_before):
            out.update(range(quote.open, quote.close + 1))
        elif 0 <= quote.open - cue[1] <= 3 and all(not tokens[k].text[0].isalnum() for k in gap_after):
            out.update(range(quote.open, quote.close + 1))
    return out
