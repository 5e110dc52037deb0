"""Tokens and sentences with character offsets, without a model.

Everything downstream works on token indices, so the tokenizer keeps each token's
offsets into the article; grounding later needs verbatim substrings. Quotation marks
are separate tokens because both the CRF features and the quote rules key on them.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Iterator
from dataclasses import dataclass
from typing import NamedTuple

_TOKEN = re.compile(
    r"(?:[A-Za-z]\.){2,}"  # U.S., D.C.
    r"|\d+(?:[.,:]\d+)*%?"  # 1,200  3.5  10:30
    r"|\w+(?:['\u2019\u2010-]\w+)*"  # don't, Obama's, well-known
    r"|\.{3}|\u2026|--|''|``|[^\w\s]",
    re.UNICODE,
)
ABBREVIATIONS = frozenset(
    """mr mrs ms dr prof gen col lt maj capt sgt cmdr adm sen rep gov rev st jr sr
    inc corp co ltd vs mt ft no jan feb mar apr aug sep sept oct nov dec ave""".split()
)
_OPENING = frozenset("\"'\u201c\u2018(\u00ab[")
_CLOSING = frozenset("\"'\u201d\u2019)\u00bb]")
_TERMINAL = frozenset({".", "!", "?", "\u2026", "..."})
_NEWLINE = re.compile(r"\n")


class Token(NamedTuple):
    """One token: its text and half-open character offsets into the article.

    A named tuple, not a frozen dataclass: an article has thousands and tuples are
    several times cheaper to build.
    """

    text: str
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Sentence:
    """A sentence as a token range ``[first, last)`` into the article's token list."""

    first: int
    last: int
    paragraph: int


def tokenize(text: str) -> list[Token]:
    """Split ``text`` into word, number and punctuation tokens with offsets.

    ``findall`` plus ``str.find`` is the cheapest way to get both (only whitespace lies
    between matches, so each token is found where the pattern matched it).
    """
    tokens: list[Token] = []
    append, find, make = tokens.append, text.find, tuple.__new__
    position = 0
    for word in _TOKEN.findall(text):
        start = find(word, position)
        position = start + len(word)
        append(make(Token, (word, start, position)))
    return tokens


def split_sentences(text: str, tokens: list[Token]) -> list[Sentence]:
    """Group tokens into sentences: paragraph breaks, then terminal punctuation.

    A full stop after a known abbreviation or a single capital (an initial) does not end
    a sentence; closing quotation marks and brackets stay with the sentence they close.
    Only tokens after a line break or holding terminal punctuation can end a sentence,
    so only those are visited.
    """
    breaks = paragraph_starts(text, tokens)
    candidates = sorted(breaks | {i for i, t in enumerate(tokens) if t.text in _TERMINAL})
    sentences: list[Sentence] = []
    paragraph, first = 0, 0
    for i in candidates:
        if i in breaks:
            if i > first:
                sentences.append(Sentence(first, i, paragraph))
                first = i
            paragraph += 1
        if i + 1 < len(tokens) and _ends_sentence(tokens, i):
            end = i + 1
            while end < len(tokens) and tokens[end].text in _CLOSING and _glued(tokens, end):
                end += 1
            if end < len(tokens) and end > i + 1 and end in breaks:
                continue  # the paragraph break splits here anyway
            if end < len(tokens) and _starts_sentence(tokens[end]):
                sentences.append(Sentence(first, end, paragraph))
                first = end
    if first < len(tokens):
        sentences.append(Sentence(first, len(tokens), paragraph))
    return _bounded(_merge_overlaps(sentences), tokens)


MAX_SENTENCE_TOKENS = 300
"""Longest sentence the taggers see (PolNeAR's longest has 220 tokens). Every later
stage works sentence by sentence; a text with no full stop (a list, a transcript, a
hostile input) must not become one sequence of a million tokens."""
_SOFT_BREAKS = frozenset({";", ",", ":", "--", "\u2014", "\u2013"})


def _bounded(sentences: list[Sentence], tokens: list[Token]) -> list[Sentence]:
    """Sentences over :data:`MAX_SENTENCE_TOKENS` cut after their last semicolon, comma,
    colon or dash in the second half of each stretch, else at the limit."""
    if all(s.last - s.first <= MAX_SENTENCE_TOKENS for s in sentences):
        return sentences
    out: list[Sentence] = []
    for sentence in sentences:
        first = sentence.first
        while sentence.last - first > MAX_SENTENCE_TOKENS:
            end = _cut(tokens, first)
            out.append(Sentence(first, end, sentence.paragraph))
            first = end
        out.append(Sentence(first, sentence.last, sentence.paragraph))
    return out


def _cut(tokens: list[Token], first: int) -> int:
    """Where a stretch of tokens starting at ``first`` ends when it is too long."""
    end = first + MAX_SENTENCE_TOKENS
    for k in range(end - 1, first + MAX_SENTENCE_TOKENS // 2, -1):
        if tokens[k].text in _SOFT_BREAKS:
            return k + 1
    return end


def paragraph_starts(text: str, tokens: list[Token]) -> set[int]:
    """Indices of tokens preceded by a line break (not the first token)."""
    starts = [t.start for t in tokens]
    found: set[int] = set()
    for match in _NEWLINE.finditer(text):
        i = bisect_left(starts, match.start())
        if 0 < i < len(tokens):
            found.add(i)
    return found


def _merge_overlaps(sentences: list[Sentence]) -> list[Sentence]:
    """Closing marks consumed after a split can make a later split start early; drop empties."""
    out: list[Sentence] = []
    for sentence in sentences:
        if out and sentence.first < out[-1].last:
            sentence = Sentence(out[-1].last, sentence.last, sentence.paragraph)
        if sentence.last > sentence.first:
            out.append(sentence)
    return out


def _glued(tokens: list[Token], i: int) -> bool:
    return tokens[i].start == tokens[i - 1].end


def _ends_sentence(tokens: list[Token], i: int) -> bool:
    word = tokens[i].text
    if word not in _TERMINAL:
        return False
    if word == "." and i > 0 and _glued(tokens, i):
        prev = tokens[i - 1].text
        if prev.lower() in ABBREVIATIONS or (len(prev) == 1 and prev.isupper()):
            return False
    return True


def _starts_sentence(token: Token) -> bool:
    first = token.text[0]
    return first.isupper() or first.isdigit() or token.text in _OPENING or first in "-\u2014"


def text_chunks(text: str, limit: int) -> Iterator[tuple[int, str]]:
    """``text`` in consecutive pieces of at most ``limit`` characters, with the offset
    of each: cut at the last paragraph break in the second half of each stretch, else
    a line break, a sentence end, a space, or at the limit. Linear in the text."""
    start = 0
    while len(text) - start > limit:
        floor, end = start + limit // 2, start + limit
        cut = -1
        for separator in ("\n\n", "\n", ". ", " "):
            found = text.rfind(separator, floor, end)
            if found >= 0:
                cut = found + len(separator)
                break
        cut = cut if cut > start else end
        yield start, text[start:cut]
        start = cut
    yield start, text[start:]
