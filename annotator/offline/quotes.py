"""Pair quotation marks into quotations, including quotes that run over paragraphs.

News style opens every paragraph of a multi-paragraph quotation with a mark and closes
only the last one; a straight ``"`` is an opener or a closer depending on parity. Single
marks are paired separately: they are scare quotes or quotes inside quotes, and a
curly apostrophe looks exactly like a closing single mark.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from dataclasses import dataclass, field

from annotator.offline.sentences import Token

_OPEN = frozenset(("\u201c", "\u00ab", "\u201e", "``"))
_CLOSE = frozenset(("\u201d", "\u00bb"))
_STRAIGHT = frozenset(('"', "''"))
_SINGLE_OPEN = "\u2018"
_SINGLE_CLOSE = "\u2019"


@dataclass(frozen=True, slots=True)
class Quote:
    """Token indices of the opening and closing marks of one quotation.

    An unterminated quotation has no closing mark: ``close`` is then the index just
    past its last token (the start of the next paragraph).
    """

    open: int
    close: int
    terminated: bool = True

    @property
    def end(self) -> int:
        """Index just past the quotation, closing mark included."""
        return self.close + 1 if self.terminated else self.close

    @property
    def inner(self) -> range:
        return range(self.open + 1, self.close)


@dataclass
class QuoteMap:
    """Double-quoted and single-quoted spans of an article, by token index.

    Double quotations never overlap and come in text order, so their openings and ends
    are both sorted: every lookup is a dictionary hit or a bisection, never a scan
    (an article of a thousand quotations must not cost a million comparisons).
    """

    quotes: list[Quote] = field(default_factory=list)
    singles: list[Quote] = field(default_factory=list)
    _by_open: dict[int, Quote] = field(init=False, repr=False)
    _opens: list[int] = field(init=False, repr=False)
    _ends: list[int] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._by_open = {q.open: q for q in self.quotes}
        self._opens = [q.open for q in self.quotes]
        self._ends = [q.end for q in self.quotes]

    def starting_at(self, index: int) -> Quote | None:
        """The quotation whose opening mark is token ``index``."""
        return self._by_open.get(index)

    def containing(self, index: int) -> Quote | None:
        """The quotation with ``open < index <= close``, if any (at most one)."""
        k = bisect_left(self._opens, index) - 1
        if k >= 0 and index <= self.quotes[k].close:
            return self.quotes[k]
        return None

    def overlapping(self, first: int) -> int:
        """Position in :attr:`quotes` of the first quotation ending after token ``first``."""
        return bisect_right(self._ends, first)

    def complete(self, first: int, last: int) -> tuple[int, int]:
        """Grow the token range ``[first, last)`` to the whole quotation when it holds
        just one end of one: the tagger sees one paragraph, a quote may run over several."""
        quote = self.containing(first)
        if quote is not None and abs(quote.end - last) <= 1:
            return quote.open, max(last, quote.end)
        quote = self._by_open.get(first)
        if quote is not None and first < last < quote.close:
            return first, quote.end
        return first, last


def find_quotes(tokens: list[Token], paragraph_of: list[int]) -> QuoteMap:
    """Pair double and single quotation marks; ``paragraph_of`` gives each token's paragraph."""
    doubles = _pair_doubles(tokens, paragraph_of)
    singles = _pair_singles(tokens, paragraph_of)
    return QuoteMap(doubles, singles)


MAX_QUOTE_TOKENS = 5000
"""A quotation still open after this many tokens was opened by a stray mark and is
dropped (PolNeAR's longest, over several paragraphs, has 1,498): one unclosed mark in a
huge paragraph must not make the rest of it a quotation every window grows to cover."""


def _pair_doubles(tokens: list[Token], paragraph_of: list[int]) -> list[Quote]:
    quotes: list[Quote] = []
    opened: int | None = None
    for i, token in enumerate(tokens):
        if opened is not None and i - opened > MAX_QUOTE_TOKENS:
            opened = None
        mark = token.text
        new_paragraph = i == 0 or paragraph_of[i] != paragraph_of[i - 1]
        if opened is not None and new_paragraph:
            if mark in _OPEN or mark in _STRAIGHT:
                continue  # the mark continues a multi-paragraph quotation
            quotes.append(Quote(opened, i, terminated=False))  # it ends with its paragraph
            opened = None
        if opened is None:
            # a closing mark opening a paragraph is a typo for an opening one
            if mark in _OPEN or mark in _STRAIGHT or (mark in _CLOSE and new_paragraph):
                opened = i
        elif mark in _CLOSE or mark in _STRAIGHT:
            quotes.append(Quote(opened, i))
            opened = None
        elif mark in _OPEN:
            opened = i  # an unclosed mark before it was stray
    if opened is not None:
        quotes.append(Quote(opened, len(tokens), terminated=False))
    return quotes


def _pair_singles(tokens: list[Token], paragraph_of: list[int]) -> list[Quote]:
    quotes: list[Quote] = []
    opened: int | None = None
    for i, token in enumerate(tokens):
        if token.text == _SINGLE_OPEN:
            opened = i
        elif token.text == _SINGLE_CLOSE and opened is not None:
            if paragraph_of[i] == paragraph_of[opened]:
                quotes.append(Quote(opened, i))
            opened = None
    return quotes
