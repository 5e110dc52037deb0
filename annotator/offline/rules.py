"""Constructions the taggers see too rarely in PolNeAR to learn, written as rules.

- a quotation signed with a dash: ``"..." ― Sonya Herridge``;
- ``X quoted Y as saying ...``: Y is the source, "as saying" the cue (the outlet X
  becomes ``via``).
Signed quotes only fill gaps; "quoted ... as saying" overrides the taggers, which take
the outlet that quotes for the source (:func:`annotator.offline.backend.merge`).
"""

from __future__ import annotations

from annotator.offline.document import Document
from annotator.offline.reported_speech import Relation

DASHES = frozenset({"\u2015", "\u2014", "\u2013", "-", "--"})
MAX_SIGNATURE = 6
MAX_SIGNATURE_TOKENS = 4 * MAX_SIGNATURE  # words with their punctuation


def rule_relations(doc: Document) -> tuple[list[Relation], list[Relation]]:
    """Relations found by rules: those that only fill gaps the taggers left, and those
    that override what the taggers found for the same content."""
    return _signed_quotes(doc), _quoted_as_saying(doc)


def _signed_quotes(doc: Document) -> list[Relation]:
    """A quotation followed by a dash and a short capitalised name ending its paragraph."""
    tokens = doc.tokens
    out: list[Relation] = []
    for quote in doc.quotes.quotes:
        dash = quote.end
        if not quote.terminated or dash >= len(tokens) or tokens[dash].text not in DASHES:
            continue
        # the signature ends the paragraph: look no further than a signature could reach
        reach = min(len(tokens), dash + 1 + MAX_SIGNATURE_TOKENS)
        end = dash + 1
        while end < reach and doc.paragraph_of[end] == doc.paragraph_of[dash]:
            end += 1
        if end < len(tokens) and doc.paragraph_of[end] == doc.paragraph_of[dash]:
            continue
        name = [i for i in range(dash + 1, end) if tokens[i].text[0].isalnum()]
        if not name or len(name) > MAX_SIGNATURE or not tokens[name[0]].text[0].isupper():
            continue
        out.append(Relation((dash,), tuple(range(name[0], name[-1] + 1)), ((quote.open, quote.end),)))
    return out


def _quoted_as_saying(doc: Document) -> list[Relation]:
    """``quoted <source> as saying <content>``, content running to the sentence end."""
    tokens = doc.tokens
    out: list[Relation] = []
    for i in (k for k, word in enumerate(doc.words) if word.lower == "quoted"):
        sentence = doc.sentences[doc.sentence_of[i]]
        for j in range(i + 2, min(i + 15, sentence.last - 2)):
            if tokens[j].text.lower() == "as" and tokens[j + 1].text.lower() == "saying":
                content = (j + 2, sentence.last)
                out.append(Relation((j, j + 1), tuple(range(i + 1, j)), (content,)))
                break
    return out
