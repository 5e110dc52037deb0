"""The offline backend: the pipeline's zero-configuration default.

``OfflineBackend.extract_claims`` is pure and deterministic: the CRFs and word lists are
loaded once at construction, and one article in gives the same claims out every time.
It returns claims in text order with verbatim strings, as the pipeline's grounding
expects (identical contents take successive occurrences).
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass
from pathlib import Path

from annotator.claims import ExtractedClaim
from annotator.furniture import Region, page_furniture
from annotator.grounding import FRAGMENT_SEPARATOR, clean_fragment
from annotator.models import Article, QuoteType, SpeakerType
from annotator.offline.clusters import CLUSTER_FILE, read_clusters
from annotator.offline.document import Document, analyse
from annotator.offline.features import WordTable
from annotator.offline.hedging_stance import cue_lemma, hedging, stance
from annotator.offline.lexicon import MODEL_DIR, Lexicon, content_hash, load_lexicon
from annotator.offline.reported_speech import Relation, RelationTagger
from annotator.offline.rules import rule_relations
from annotator.offline.scheme import participle_sources, to_scheme
from annotator.offline.sentences import text_chunks
from annotator.offline.speakers import ResolvedSpeaker, SpeakerResolver
from annotator.offline.via import Intermediaries

MODEL_NAME = "offline-crf-1"
CHUNK_CHARS = 200_000
"""Longest text analysed as one document: five times PolNeAR's longest article."""
_EDGE_PUNCTUATION = frozenset({",", ".", ";", ":", "-", "--", "\u2014", "\u2013", "\u2015"})


@dataclass(frozen=True)
class _Draft:
    """A relation with its speaker resolved, before names are made consistent."""

    relation: Relation
    speaker: ResolvedSpeaker
    via: list[str]


class OfflineBackend:
    """Attributed claims from two CRFs (PolNeAR train) and the scheme's rules."""

    name = "offline"

    def __init__(self, model_dir: Path = MODEL_DIR, split: bool = True, scope: str = "scheme") -> None:
        self._args = (model_dir, split, scope)
        self._tagger = RelationTagger(model_dir)
        self._words = WordTable(
            read_clusters(model_dir / CLUSTER_FILE), self._tagger.cue_known, self._tagger.span_known
        )
        self._lex: Lexicon = load_lexicon()
        self.split = split
        self._actions = self._lex.action_cues if scope == "scheme" else frozenset()
        self.prompt_version = content_hash()
        self.model = f"{MODEL_NAME}+{self.prompt_version[:8]}"

    def __reduce__(self) -> tuple[type[OfflineBackend], tuple[Path, bool, str]]:
        """Pickled as its arguments: a process pool ships the backend to each worker,
        which loads its own taggers (crfsuite handles do not pickle)."""
        return OfflineBackend, self._args

    def extract_claims(self, article: Article) -> list[ExtractedClaim]:
        """Every attributed claim of ``article``, in text order of its content.

        A text over :data:`CHUNK_CHARS` is read in pieces cut at paragraph breaks, so
        memory follows the piece, not the article (a 50 MB file is not one document).
        """
        furniture = page_furniture(article.text)
        claims: list[ExtractedClaim] = []
        for offset, piece in text_chunks(article.text, CHUNK_CHARS):
            found = self._extract(piece, _within(furniture, offset, offset + len(piece)))
            for claim in found:
                claim.shift(offset)
            claims += found
        return claims

    def _extract(self, text: str, furniture: list[Region]) -> list[ExtractedClaim]:
        doc = analyse(text, self._words, furniture)
        reporting = self._lex.reporting_cues
        merged = participle_sources(doc, merge(self._tagger.relations(doc), *rule_relations(doc)))
        relations = [
            claim
            for relation in merged
            for claim in to_scheme(doc, relation, self._actions, split=self.split, reporting=reporting)
        ]
        drafts = self._resolve(doc, relations)
        found = [(d.relation.content[0], self._claim(doc, d)) for d in drafts]
        return [claim for _, claim in sorted(found, key=lambda pair: pair[0]) if claim is not None]

    def _resolve(self, doc: Document, relations: list[Relation]) -> list[_Draft]:
        """Speakers in text order of their mention, so antecedents are already known."""
        contents = frozenset(i for r in relations for a, b in r.content for i in range(a, b))
        resolver = SpeakerResolver(doc, self._lex, contents)
        intermediaries = Intermediaries(doc, self._lex)
        order = sorted(range(len(relations)), key=lambda i: relations[i].source[0])
        enclosing = _Enclosing(relations, order)
        drafts: dict[int, _Draft] = {}
        for index in order:
            relation = relations[index]
            outer = enclosing.first_resolved(index)
            quote_speaker = drafts[outer].speaker if outer is not None else None
            speaker = resolver.resolve(relation.source[0], relation.source[-1] + 1, quote_speaker)
            resolver.note(relation.source[0], speaker)
            drafts[index] = _Draft(relation, speaker, intermediaries.of(relation))
        return [drafts[i] for i in range(len(relations))]

    def _claim(self, doc: Document, draft: _Draft) -> ExtractedClaim | None:
        """The claim of one relation, grounded here: the backend knows its exact offsets,
        so short or repeated strings ("it", "he") never land on another occurrence."""
        relation, speaker = draft.relation, draft.speaker
        pieces, quote_type = content_pieces(doc, relation)
        if not pieces:
            return None
        content = FRAGMENT_SEPARATOR.join(doc.span_text(a, b) for a, b in pieces)
        cue = doc.span_text(relation.cue[0], relation.cue[-1] + 1)
        before, after = _frame(doc, relation)
        level, markers = hedging(content, self._lex)
        return ExtractedClaim.at(
            doc.text,
            content=[_offsets(doc, a, b) for a, b in pieces],
            mention=_offsets(doc, *_trimmed(doc, relation.source[0], relation.source[-1] + 1)),
            cue=_offsets(doc, *_trimmed(doc, relation.cue[0], relation.cue[-1] + 1)),
            speaker=speaker.name,
            speaker_type=speaker.type,
            speaker_role=speaker.role,
            quote_type=quote_type,
            via=draft.via,
            hedging=level,
            hedge_cues=markers,
            stance=stance(cue, content, before, after, self._lex),
            restatement=restate(speaker.name, speaker, content, cue),
        )


def _within(regions: list[Region], start: int, end: int) -> list[Region]:
    """The regions inside ``[start, end)``, clipped to it, as offsets from ``start``."""
    return [
        Region(r.kind, max(r.start, start) - start, min(r.end, end) - start)
        for r in regions
        if r.start < end and r.end > start
    ]


def _trimmed(doc: Document, first: int, last: int) -> tuple[int, int]:
    """A mention or cue without edge punctuation, unless punctuation is all it is (a
    colon introducing a transcript turn is the cue itself)."""
    inner = _strip_punctuation(doc, first, last)
    return inner if inner[0] < inner[1] else (first, last)


def _offsets(doc: Document, first: int, last: int) -> tuple[int, int]:
    """Character offsets of tokens ``[first, last)``."""
    return doc.tokens[first].start, doc.tokens[last - 1].end


def merge(tagged: list[Relation], fills: list[Relation], overrides: list[Relation]) -> list[Relation]:
    """Tagger relations plus rule relations.

    A fill-in rule relation is kept only where no tagged relation covers most of its
    content; an overriding one replaces the tagged relations that overlap its content
    ("quoted X as saying": X is the source, not the outlet that quoted).
    """
    covers = _Coverage(overrides)
    out = [t for t in tagged if not covers.most_of_one(t)] + overrides
    taken = {i for r in out for a, b in r.content for i in range(a, b)}
    for relation in fills:
        tokens = _tokens(relation)
        if len(tokens & taken) * 2 < len(tokens):
            out.append(relation)
    return _dedupe(out)


def _tokens(relation: Relation) -> set[int]:
    return {i for a, b in relation.content for i in range(a, b)}


class _Coverage:
    """Which rule relations a tagged relation overlaps most of, through a token index:
    the cost is the tagged content's length, not that times the number of rules."""

    def __init__(self, rules: list[Relation]) -> None:
        self._sizes = [len(_tokens(rule)) for rule in rules]
        self._owners: dict[int, list[int]] = {}
        for index, rule in enumerate(rules):
            for i in _tokens(rule):
                self._owners.setdefault(i, []).append(index)

    def most_of_one(self, tagged: Relation) -> bool:
        """Whether ``tagged`` shares at least half of some rule relation's content."""
        if 0 in self._sizes:
            return True  # half of nothing is nothing: an empty rule content is covered
        shared: dict[int, int] = {}
        for i in _tokens(tagged):
            for index in self._owners.get(i, ()):
                shared[index] = shared.get(index, 0) + 1
        return any(count * 2 >= self._sizes[index] for index, count in shared.items())


def _dedupe(relations: list[Relation]) -> list[Relation]:
    """One relation per content: a cue split in two ("said ... in a statement") tags the
    same content twice; the first cue in text order is kept."""
    seen: dict[tuple[tuple[int, int], ...], Relation] = {}
    for relation in sorted(relations, key=lambda r: r.cue[0]):
        seen.setdefault(relation.content, relation)
    return list(seen.values())


class _Enclosing:
    """For relations visited in ``order`` (by source start), the first already visited
    relation whose content contains the current one's source: whose speaker "I" or
    "we" there means.

    A sweep, not a scan per relation: content pieces enter a heap keyed by visiting
    rank as the source position passes their start and leave once it passes their end,
    so each query costs a logarithm, whatever the number of relations.
    """

    def __init__(self, relations: list[Relation], order: list[int]) -> None:
        self._relations = relations
        self._rank = {index: rank for rank, index in enumerate(order)}
        self._pieces = sorted((a, b, i) for i, r in enumerate(relations) for a, b in r.content)
        self._next = 0
        self._active: list[tuple[int, int, int]] = []  # (rank, end, index)

    def first_resolved(self, index: int) -> int | None:
        """Call with indices in visiting order; the enclosing relation's index or None."""
        position = self._relations[index].source[0]
        pieces, active = self._pieces, self._active
        while self._next < len(pieces) and pieces[self._next][0] <= position:
            _, end, owner = pieces[self._next]
            heapq.heappush(active, (self._rank[owner], end, owner))
            self._next += 1
        while active and active[0][1] <= position:
            heapq.heappop(active)  # positions only grow: a piece ended is gone for good
        # the lowest rank still open; itself or anything later is not yet resolved
        if not active or active[0][0] >= self._rank[index]:
            return None
        return active[0][2]


def content_pieces(doc: Document, relation: Relation) -> tuple[list[tuple[int, int]], QuoteType]:
    """Token ranges of the content as the scheme writes it, and its quote type.

    A piece that is exactly one quotation loses its marks (a direct quote is stored
    without them); marks inside a piece stay, which is what makes it mixed. Edge
    commas, stops and dashes go, inside the closing mark too.
    """
    pieces: list[tuple[int, int]] = []
    quoted = partial = 0
    for number, (first, last) in enumerate(relation.content):
        first, last = _strip_punctuation(doc, first, last)
        if number == 0 and _complementiser(doc, relation, first, last):
            first += 1
        quote = doc.quotes.starting_at(first) if first < last else None
        if quote is not None and _whole_quote(doc, quote.close, quote.end, last):
            quoted += 1
            first, last = _strip_punctuation(doc, first + 1, min(last, quote.close))
        elif any(_quotation_mark(doc, i) or doc.in_quote[i] for i in range(first, last)):
            partial += 1
        if first < last:
            pieces.append((first, last))
    if quoted and not partial and quoted == len(pieces):
        kind = QuoteType.direct
    elif quoted or partial:
        kind = QuoteType.mixed
    else:
        kind = QuoteType.indirect
    return pieces, kind


def _complementiser(doc: Document, relation: Relation, first: int, last: int) -> bool:
    """A content after its cue that opens with "that" ("said that it ..."): the guidelines
    leave the complementiser out. Inside a quotation or before the cue ("That was wrong,
    he said") it is the source's own word and stays."""
    return (
        last - first > 1
        and first > relation.cue[-1]
        and doc.tokens[first].text.lower() == "that"
        and not doc.in_quote[first]
    )


def _whole_quote(doc: Document, close: int, end: int, last: int) -> bool:
    """Whether a piece opening a quotation runs to its end (punctuation short of the
    closing mark, as in ``"... forces,"`` cut before the comma, still counts)."""
    return last in {close, end} or (last < close and all(doc.words[i].shape == "p" for i in range(last, close)))


def _quotation_mark(doc: Document, i: int) -> bool:
    """A quotation mark, not the apostrophe of a plural possessive ("the groups' access")."""
    if doc.words[i].shape != "Q":
        return False
    token, tokens = doc.tokens[i], doc.tokens
    glued = i > 0 and tokens[i - 1].end == token.start and tokens[i - 1].text[-1:] in ("s", "S")
    return not (token.text in ("'", "\u2019") and glued)


def _strip_punctuation(doc: Document, first: int, last: int) -> tuple[int, int]:
    """Drop edge commas, stops and dashes (never quotation marks: they decide the type)."""
    tokens = doc.tokens
    while first < last and tokens[first].text in _EDGE_PUNCTUATION:
        first += 1
    while last > first and tokens[last - 1].text in _EDGE_PUNCTUATION:
        last -= 1
    return first, last


def _frame(doc: Document, relation: Relation) -> tuple[str, str]:
    """Sentence text just before and after the content, where "allegedly" and
    "without providing evidence" stand."""
    start, end = relation.content[0][0], relation.content[-1][1]
    sentence_first = doc.sentences[doc.sentence_of[start]].first
    sentence_last = doc.sentences[doc.sentence_of[end - 1]].last
    lo = max(sentence_first, start - 3)
    before = doc.span_text(lo, start) if lo < start else ""
    after = doc.span_text(end, sentence_last) if end < sentence_last else ""
    return before, after


_PERSON_SUBJECTS = frozenset({"he", "she", "i"})
_GROUP_SUBJECTS = frozenset({"it", "they", "we"})


def restate(name: str, speaker: ResolvedSpeaker, content: str, cue: str) -> str:
    """A standalone sentence: "that" dropped, a leading pronoun that can only mean the
    speaker ("he" for a person, "it" for an organisation) replaced by the speaker's name.
    Content that is only an object ("claimed responsibility" for it) keeps its cue."""
    text = clean_fragment(" ".join(content.replace(FRAGMENT_SEPARATOR, " ").split()))
    if cue_lemma(cue) == "claim" and "responsibility" in cue.lower():
        return f"{name} claimed responsibility for {text}."
    first, _, rest = text.partition(" ")
    if first.lower() == "that" and rest:
        text = rest
        first, _, rest = text.partition(" ")
    subjects = _PERSON_SUBJECTS if speaker.type is SpeakerType.person else _GROUP_SUBJECTS
    if first.lower() in subjects and speaker.type is not SpeakerType.anonymous and rest:
        text = f"{name} {rest}"
    text = text[:1].upper() + text[1:]
    return text if text.endswith((".", "!", "?")) else text + "."
