"""Word tokens with offsets: the unit in which span overlap is measured.

Spans are compared as sets of word-token indices rather than characters so that
quotation marks, a trailing comma or a doubled space, which annotators and models
treat differently, never decide a match. Tokens are maximal runs of word characters,
with an internal apostrophe kept ("didn't", "Mali's").
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from dataclasses import dataclass

from annotator.models import CharSpan

WORD = re.compile(r"\w+(?:['\u2019]\w+)*")


@dataclass(frozen=True)
class TokenIndex:
    """Start and end offsets of every word token of one text, in order."""

    starts: tuple[int, ...]
    ends: tuple[int, ...]

    @classmethod
    def of(cls, text: str) -> TokenIndex:
        """Tokenise once per article; every span of that article is then a lookup."""
        bounds = [m.span() for m in WORD.finditer(text)]
        starts, ends = zip(*bounds, strict=True) if bounds else ((), ())
        return cls(starts=starts, ends=ends)

    def __len__(self) -> int:
        return len(self.starts)

    def ranges(self, spans: Sequence[CharSpan]) -> tuple[tuple[int, int], ...]:
        """Half-open token-index ranges of the tokens each span touches.

        A token counts when it overlaps the span by at least one character, so a span
        that cuts a word (a fuzzy alignment) still covers that word.
        """
        found = []
        for span in spans:
            first = bisect_right(self.ends, span.start)
            stop = bisect_left(self.starts, span.end)
            if stop > first:
                found.append((first, stop))
        return tuple(found)


def token_set(ranges: Sequence[tuple[int, int]]) -> frozenset[int]:
    """The token indices covered by some ranges."""
    return frozenset(i for start, stop in ranges for i in range(start, stop))


def trim(text: str, span: CharSpan) -> tuple[int, int]:
    """Offsets of a span without surrounding whitespace, punctuation and quote marks.

    This is the "strict" view's notion of the same span: ``"Subpoenas are not
    optional,"`` and ``Subpoenas are not optional`` are one span.
    """
    start, end = span.start, min(span.end, len(text))
    while start < end and not text[start].isalnum():
        start += 1
    while end > start and not text[end - 1].isalnum():
        end -= 1
    return start, end
