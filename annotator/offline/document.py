"""One article analysed once: tokens, sentences, paragraphs, quotations, lexical features.

Training and extraction share this so the tagger sees identical inputs in both.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

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

    @cached_property
    def capitalised(self) -> list[int]:
        """Indices of tokens that start with a capital letter (name candidates)."""
        return [i for i, w in enumerate(self.words) if w.capital]

    def span_text(self, first: int, last: int) -> str:
        """Verbatim text covered by tokens ``[first, last)``."""
        return self.text[self.tokens[first].start : self.tokens[last - 1].end]


def analyse(text: str, table: WordTable) -> Document:
    """Tokenise, split and pair quotes once per article."""
    tokens = tokenize(text)
    sentences = split_sentences(text, tokens)
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
    return Document(text, tokens, sentences, paragraph_of, sentence_of, quotes, words, in_quote)
