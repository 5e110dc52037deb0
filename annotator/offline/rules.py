"""Constructions the taggers see too rarely in PolNeAR to learn, written as rules.

- a quotation signed with a dash: ``"..." ― Sonya Herridge``;
- a paragraph opening with a name and a colon: ``MATTHEWS: Well, ...`` (transcripts,
  headlines that attribute by colon);
- a finding "in a CNN poll": the poll is its source;
- ``X quoted Y as saying ...``: Y is the source, "as saying" the cue (the outlet X
  becomes ``via``).
- a reporting noun with its source and content: "a warning from US Africa Command
  about ...".
Signed quotes, speaker turns and poll findings only fill gaps; "quoted ... as saying" overrides the
taggers, which take the outlet that quotes for the source, and so do reporting nouns,
whose cue the taggers run into the words around them ("follows a warning")
(:func:`annotator.offline.backend.merge`).
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
    fills = _signed_quotes(doc) + _speaker_turns(doc) + _poll_findings(doc)
    return fills, _quoted_as_saying(doc) + _nominal_cues(doc)


NOMINAL_CUES = frozenset(
    """warning warnings concern concerns criticism criticisms claim claims allegation
    allegations accusation accusations assessment assessments assurance assurances
    prediction predictions fears""".split()
)
_FROM = frozenset({"from", "by"})
_ABOUT = frozenset({"about", "over", "of", "that", "regarding", "on"})
_STOPS = frozenset({",", ";", ".", ":", "!", "?", "(", ")"})
MAX_SOURCE_WORDS = 10


def _nominal_cues(doc: Document) -> list[Relation]:
    """"a warning from US Africa Command about Islamist groups intensifying efforts ...":
    a reporting noun, its source after "from" or "by", its content after "about", "over"
    or "that", to the end of the clause (scheme: nominal cues are the noun)."""
    words = doc.words
    out: list[Relation] = []
    for i in (k for k, w in enumerate(words) if w.lower in NOMINAL_CUES):
        sentence = doc.sentences[doc.sentence_of[i]]
        if i + 2 >= sentence.last or words[i + 1].lower not in _FROM:
            continue
        source_start = i + 2
        k = source_start
        while k < sentence.last and words[k].lower not in _ABOUT and words[k].lower not in _STOPS:
            k += 1
        k = _past_parenthesis(doc, k, sentence.last)
        if k >= sentence.last - 1 or words[k].lower not in _ABOUT or not 0 < k - source_start <= MAX_SOURCE_WORDS:
            continue
        if not any(words[j].capital for j in range(source_start, k)):
            continue  # a named source only: "concerns from residents about" is too vague to split
        end = k + 1
        while end < sentence.last and (words[end].lower not in _STOPS or _relative_follows(doc, end)):
            end += 1
        if end - (k + 1) >= 2:
            out.append(Relation((i,), tuple(range(source_start, k)), ((k + 1, end),)))
    return out


def _relative_follows(doc: Document, k: int) -> bool:
    """A comma opening ", which could enhance ...": the content goes on (and is split there)."""
    return doc.words[k].lower == "," and k + 1 < len(doc.words) and doc.words[k + 1].lower == "which"


def _past_parenthesis(doc: Document, k: int, last: int) -> int:
    """Past an acronym in brackets after a name: "the United States Africa Command (Africom)"."""
    words = doc.words
    if k + 2 < last and words[k].lower == "(" and words[k + 2].lower == ")":
        return k + 3
    return k


NOT_SPEAKERS = frozenset(
    """update correction editor editor's note related video photo image watch read source
    sources contributing email report transcript news guide breaking exclusive poll stat
    previously so also listen name age city job pay pledged superdelegates week""".split()
)
MAX_TURN_NAME = 4


def _speaker_turns(doc: Document) -> list[Relation]:
    """"MATTHEWS: Well, speculation is bad." and "Bernie Sanders: 'It Is Not A Radical
    Idea'": a paragraph opening with a short capitalised name and a colon gives that name's
    words, to the paragraph's end (transcripts; headlines that attribute by colon)."""
    words, sentences = doc.words, doc.sentences
    out: list[Relation] = []
    for k, sentence in enumerate(sentences):
        if k and sentences[k - 1].paragraph == sentence.paragraph:
            continue  # not the paragraph's first sentence
        start = sentence.first + (words[sentence.first].shape == "Q")
        colon = start
        while colon < sentence.last and colon - start <= MAX_TURN_NAME and words[colon].capital and words[colon].alpha:
            colon += 1
        if colon == start or colon - start > MAX_TURN_NAME or colon >= sentence.last or words[colon].lower != ":":
            continue
        if any(words[i].lower in NOT_SPEAKERS for i in range(start, colon)):
            continue
        end = colon + 1
        while end < len(words) and doc.paragraph_of[end] == sentence.paragraph:
            end += 1
        while end > colon + 1 and words[end - 1].shape == "p":
            end -= 1
        head = words[colon + 1] if colon + 1 < end else None
        if end - colon <= 3 or head is None or head.shape == "d" or not (head.alnum or head.shape == "Q"):
            continue  # "Clinton: 547." is a tally, not a turn
        out.append(Relation((colon,), tuple(range(start, colon)), ((colon + 1, end),)))
    return out


POLLS = frozenset({"poll", "polls", "survey", "surveys"})
POLL_REACH = 8


def _poll_findings(doc: Document) -> list[Relation]:
    """"Clinton held a 24-point lead among black voters in a CNN national poll" and "In a
    Suffolk University poll, 79 percent ...": a finding attributed to the poll, as
    "according to a poll" would be; the rest of the sentence before "in", or after the
    comma that closes a leading "In a ... poll"."""
    words = doc.words
    out: list[Relation] = []
    for i, word in enumerate(words):
        if word.lower != "in":
            continue
        sentence = doc.sentences[doc.sentence_of[i]]
        k = i + 1
        while k < min(sentence.last, i + POLL_REACH) and words[k].lower not in POLLS and words[k].shape != "p":
            k += 1
        if k >= sentence.last or words[k].lower not in POLLS or k == i + 1:
            continue
        end = k + 1
        while end < sentence.last and words[end].shape != "p":
            end += 1  # "... poll released Monday"
        source = tuple(range(i + 1, end))
        if i == sentence.first:
            if end >= sentence.last or words[end].lower != ",":
                continue
            content = (end + 1, sentence.last - (words[sentence.last - 1].shape == "p"))
        else:
            content = (sentence.first, i)
        if content[1] - content[0] >= 4:
            out.append(Relation((i,), source, (content,)))
    return out


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
    tokens, words = doc.tokens, doc.words
    out: list[Relation] = []
    for i in (k for k, word in enumerate(words) if word.lower == "quoted"):
        sentence = doc.sentences[doc.sentence_of[i]]
        for j in range(i + 2, min(i + 15, sentence.last - 1)):
            if tokens[j].text.lower() == "as" and tokens[j + 1].text.lower() == "saying":
                content = _quoted_before(doc, i, sentence.first)
                if content is None or _clause_follows(doc, j + 2, sentence.last):
                    content = (j + 2, sentence.last)
                if content[1] > content[0]:
                    out.append(Relation((j, j + 1), tuple(range(i + 1, j)), (content,)))
                break
    return out


def _quoted_before(doc: Document, quoted: int, start: int) -> tuple[int, int] | None:
    """The quotation closing just before "<outlet> quoted" ("“...,” BBC quoted X as
    saying in a statement"): what X said, when nothing after "as saying" is."""
    k = quoted - 1
    while k > start and doc.words[k].capital:
        k -= 1  # the outlet's name
    quote = doc.quotes.containing(k) or doc.quotes.containing(k - 1)
    if quote is not None and quote.terminated and k - quote.close <= 2:
        return quote.open, quote.end
    return None


_NOT_CONTENT = frozenset("in on at during after before from via through , . ; ( -- \u2014".split())


def _clause_follows(doc: Document, start: int, end: int) -> bool:
    """Whether words after "as saying" are what was said, not the circumstances of it."""
    return start < end and doc.words[start].lower not in _NOT_CONTENT
