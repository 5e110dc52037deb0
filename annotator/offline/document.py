"""One article analysed once: tokens, sentences, paragraphs, quotations, lexical features.

Training and extraction share this so the tagger sees identical inputs in both.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property

from annotator.furniture import Region, RegionKind, mask
from annotator.offline.features import Word, WordTable
from annotator.offline.quotes import QuoteMap, find_quotes
from annotator.offline.sentences import Sentence, Token, split_sentences, tokenize


@dataclass
class Document:
    """An article's text with every token-level view the taggers and rules need."""

    text: str
    tokens: list[Token]
    sentences: list[Sentence]
    paragraph_of: list[int]
    sentence_of: list[int]
    quotes: QuoteMap
    words: list[Word]
    in_quote: list[bool]
    headlines: list[tuple[int, int]] = field(default_factory=list)
    """Character ranges of headline lines (the article's own, and Title Case lines)."""

    def in_headline(self, index: int) -> bool:
        """Whether token ``index`` stands in a headline line."""
        start = self.tokens[index].start
        k = bisect_right(self._headline_starts, start) - 1
        return k >= 0 and start < self.headlines[k][1]

    @cached_property
    def _headline_starts(self) -> list[int]:
        return [start for start, _ in self.headlines]

    @cached_property
    def capitalised(self) -> list[int]:
        """Indices of tokens that start with a capital letter (name candidates)."""
        return [i for i, w in enumerate(self.words) if w.capital]

    def span_text(self, first: int, last: int) -> str:
        """Verbatim text covered by tokens ``[first, last)``."""
        return self.text[self.tokens[first].start : self.tokens[last - 1].end]


def analyse(text: str, table: WordTable, furniture: Sequence[Region] = ()) -> Document:
    """Tokenise, split and pair quotes once per article.

    Page furniture (:mod:`annotator.furniture`) is blanked before tokenising, so no
    token, sentence or quotation comes from a READ MORE list or a dateline, while every
    offset still points into ``text``; headline regions are kept and remembered.
    """
    masked = mask(text, list(furniture)) if furniture else text
    tokens = tokenize(masked)
    sentences = split_sentences(masked, tokens)
    paragraph_of: list[int] = []
    sentence_of: list[int] = []
    for index, sentence in enumerate(sentences):
        size = sentence.last - sentence.first
        paragraph_of += [sentence.paragraph] * size
        sentence_of += [index] * size
    quotes = find_quotes(tokens, paragraph_of)
    in_quote = [False] * len(tokens)
    for quote in quotes.quotes:
        in_quote[quote.open + 1 : quote.close] = [True] * len(quote.inner)
    words = table.words(tokens)
    headlines = [(r.start, r.end) for r in furniture if r.kind is RegionKind.headline]
    return Document(text, tokens, sentences, paragraph_of, sentence_of, quotes, words, in_quote, headlines)
