"""One article analysed once: tokens, sentences, paragraphs, quotations, lexical features.

Training and extraction share this so the tagger sees identical inputs in both.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass

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

    def span_text(self, first: int, last: int) -> str:
        """Verbatim text covered by tokens ``[first, last)``."""
        return self.text[self.tokens[first].start : self.tokens[last - 1].end]

    def token_at(self, offset: int) -> int:
        """Index of the token containing or following character ``offset``."""
        return bisect_right(self._starts, offset) - 1

    @property
    def _starts(self) -> list[int]:
        return [t.start for t in self.tokens]


def analyse(text: str, table: WordTable) -> Document:
    """Tokenise, split and pair quotes once per article."""
    tokens = tokenize(text)
    sentences = split_sentences(text, tokens)
    paragraph_of = [0] * len(tokens)
    sentence_of = [0] * len(tokens)
    for index, sentence in enumerate(sentences):
        for i in range(sentence.first, sentence.last):
            paragraph_of[i] = sentence.paragraph
            sentence_of[i] = index
    quotes = find_quotes(tokens, paragraph_of)
    in_quote = [False] * len(tokens)
    for quote in quotes.quotes:
        in_quote[quote.open + 1 : quote.close] = [True] * len(quote.inner)
    words = table.words(tokens)
    return Document(text, tokens, sentences, paragraph_of, sentence_of, quotes, words, in_quote)
