"""Relations reshaped to the annotation scheme where it differs from PolNeAR's habits.

The taggers learned PolNeAR's spans; the scheme (``shared/annotation-scheme.md``) adds
rules the corpus does not follow:

- the source is the name, not an introductory phrase swept in with it;
- "claimed responsibility" is one cue and the content is what it is for;
- "without saying ..." reports that nothing was claimed: no claim;
- a source's actions and bare intentions ("X backs Y", "X wants to") are not claims;
- indirect content joining separately checkable propositions is split, one claim per
  proposition, each with the same speaker and cue ("it repelled the attacks,
  allegedly 'neutralising' 80 militants" is two claims); an author's stance adverb
  at the head of the second part ("allegedly") stays outside its content.
"""

from __future__ import annotations

from dataclasses import replace

from annotator.offline.document import Document
from annotator.offline.hedging_stance import AUXILIARIES
from annotator.offline.reported_speech import Relation
from annotator.offline.speakers import trim_source

STANCE_ADVERBS = frozenset({"allegedly", "reportedly", "purportedly", "supposedly"})
NOT_CLAUSES = frozenset(
    """including according following regarding concerning during saying adding noting
    citing pending notwithstanding excluding considering""".split()
)
SUBJECT_PRONOUNS = frozenset({"he", "she", "it", "they", "we", "i"})
_RESPONSIBILITY = ("responsibility", "for")


def to_scheme(
    doc: Document, relation: Relation, actions: frozenset[str] = frozenset(), split: bool = True
) -> list[Relation]:
    """One tagged relation as the scheme's claims: one, several after splitting, or none
    for a speech act the text says did not happen ("without saying if ...") or for an
    action or intention (cue lemma in ``actions``: "X backs Y", "X wants to")."""
    if "without" in {doc.words[i].lower for i in (relation.cue[0] - 1, relation.cue[0]) if i >= 0}:
        return []
    head = _head_lemma(doc, relation.cue)
    if head in actions or head + "e" in actions:  # the crude lemma of "endorsed" is "endors"
        return []
    first, last = trim_source(doc, relation.source[0], relation.source[-1] + 1)
    if _head_lemma(doc, relation.cue) == "accord" and first > relation.cue[-1]:
        commas = [i for i in range(first, last) if doc.tokens[i].text == ","]
        last = commas[0] if commas and commas[0] > first else last  # "according to X, <content>"
    if not any(doc.tokens[i].text[0].isalnum() for i in range(first, last)):
        return []  # a source of punctuation only names no one
    relation = replace(relation, source=tuple(range(first, last)))
    relation = _claimed_responsibility(doc, relation)
    if not split:
        return [relation]
    pieces: list[tuple[int, int]] = []
    for piece in relation.content:
        pieces.extend(split_clauses(doc, *piece))
    if len(pieces) == len(relation.content):
        return [relation]
    return [replace(relation, content=(piece,)) for piece in pieces]


def _head_lemma(doc: Document, cue: tuple[int, ...]) -> str:
    """Lemma of the cue's head: its first word that is not an auxiliary or adverb."""
    words = [doc.words[i] for i in cue]
    heads = [w for w in words if w.lower not in AUXILIARIES and w.lower[:1].isalpha()]
    return (heads or words)[0].lemma


def _claimed_responsibility(doc: Document, relation: Relation) -> Relation:
    """"X claimed responsibility for Y": cue "claimed responsibility", content Y."""
    start, end = relation.content[0]
    words = [doc.words[i].lower for i in range(start, min(start + 2, end))]
    if doc.words[relation.cue[-1]].lemma != "claim" or tuple(words) != _RESPONSIBILITY or end - start < 3:
        return relation
    cue = (*relation.cue, start)
    return replace(relation, cue=cue, content=((start + 2, end), *relation.content[1:]))


def split_clauses(doc: Document, first: int, last: int) -> list[tuple[int, int]]:
    """Split one content piece at clause boundaries outside quotations.

    Boundaries: ", [adverb] <verb>-ing ..." (an added participial clause), "and that"
    (a second complement clause), ", and <subject pronoun>" (a coordinated clause).
    A piece that is one quotation is never split (a direct quote is one claim).
    """
    if doc.quotes.starting_at(first) is not None:
        return [(first, last)]
    words, in_quote = doc.words, doc.in_quote
    cuts: list[tuple[int, int]] = []  # (end of the previous part, start of the next)
    for i in range(first + 2, last - 2):
        if in_quote[i] or (words[i].lower != "," and words[i].lower != "and"):
            continue
        start = _clause_start(doc, i, last)
        if start is not None:
            cuts.append((i, start))
    parts: list[tuple[int, int]] = []
    begin = first
    for end, start in cuts:
        if end - begin >= 3:
            parts.append((begin, end))
            begin = start
    parts.append((begin, last))
    return [p for p in parts if p[1] > p[0]]


def _clause_start(doc: Document, i: int, last: int) -> int | None:
    """Where a new proposition starts after the comma or "and" at token ``i``, if one does."""
    words = doc.words
    nxt = i + 1
    if words[i].lower == ",":
        if words[nxt].lower == "and" and nxt + 1 < last:
            after = words[nxt + 1].lower
            if after in SUBJECT_PRONOUNS or after == "that":
                return nxt + 1
            return None
        adverb = words[nxt].lower in STANCE_ADVERBS or words[nxt].lower.endswith("ly")
        head = nxt + 1 if adverb else nxt
        while head < last and words[head].shape == "Q":
            head += 1
        if head < last and words[head].lower.endswith("ing") and words[head].lower not in NOT_CLAUSES:
            return nxt + 1 if words[nxt].lower in STANCE_ADVERBS else nxt
        return None
    if words[nxt].lower == "that" and words[i - 1].lower != ",":
        return nxt
    return None
