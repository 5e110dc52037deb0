"""Who is speaking: names, types, roles, and pronouns or "the group" resolved to a source.

Without a coreference model the article itself is the knowledge base: every capitalised
name run is indexed once, a short name ("Trump") is expanded to the fullest name in the
article that ends with it, "Long Name (ACR)" makes the acronym an alias, gender comes
from honorifics and the pronouns that follow a name, and an anaphor takes the nearest
preceding compatible entity.
"""

from __future__ import annotations

import heapq
import re
from bisect import bisect_left
from dataclasses import dataclass
from functools import lru_cache

from annotator.models import SpeakerType
from annotator.offline.document import Document
from annotator.offline.features import Word
from annotator.offline.lexicon import Lexicon
from annotator.speakers import TITLES, normalise_name, same_source

_FUNCTION_WORDS = frozenset(
    """the a an but and or in on at for to of by with from as if when while after before
    this that these those it its he she they we i you his her their our my your there here
    then so not no yes also however meanwhile still yet both either neither what who why how
    where which mr mrs ms dr according one two three four five several many some most other
    another each every all any""".split()
)
_PARTICLES = ("al-", "el-", "ad-", "as-", "ash-", "ibn-", "bin-", "abu-")
_CONNECTORS = frozenset({"of", "al", "al-", "de", "del", "la", "le", "van", "von", "bin", "wal", "."})
MALE = frozenset({"he", "him", "his", "himself"})
FEMALE = frozenset({"she", "her", "hers", "herself"})
PERSON_PRONOUNS = MALE | FEMALE | {"i", "me", "my", "we", "us", "our", "you"}
GROUP_PRONOUNS = frozenset({"they", "them", "their", "it", "its"})
FIRST_PERSON = frozenset({"i", "me", "my", "we", "us", "our"})
RELATIVES = frozenset({"who", "which", "that", "whom", "whose"})
_ACRONYM = re.compile(r"^[A-Z][A-Z&.-]{1,7}$")
_WORDS = re.compile(r"[\w']+")
_POSSESSIVE_END = re.compile(r"['\u2019]s?$")
_NAME_SHAPE = re.compile(r"[A-Z][\w'\u2019-]*\.?(?: [A-Z][\w'\u2019-]*\.?){0,3}")
_PREPOSITIONS = frozenset("of at for from with in on by to and or".split())
_DETERMINERS = frozenset("the a an this that these those its his her their".split())
_INTRODUCERS = frozenset(
    {"according", "in", "on", "at", "after", "during", "for", "with", "by", "as", "while", "speaking"}
)
DOCUMENT_NOUNS = frozenset(
    """report reports study statement statements poll survey post posts tweet tweets memo
    letter analysis review filing document documents release website blog op-ed editorial
    article interview video ad advertisement campaign-ad page account""".split()
)
GENDER_WINDOW = 25
HONORIFIC_WEIGHT = 5
HEADLINE_WORDS = 5
HEADLINE_SHARE = 0.7
ANTECEDENT_WINDOW = 400
MAX_NAMESAKES = 32
"""Entities sharing a last word that a new name is compared with, latest first
(PolNeAR's most: 14); a bound so a list of a million Smiths stays linear."""


@dataclass(frozen=True)
class NameRun:
    """A capitalised name in the article as a token range."""

    first: int
    last: int
    text: str


@dataclass
class Entity:
    """What the article says about one named source."""

    name: str
    type: SpeakerType
    gender: str | None = None
    place: bool = False  # named as a place ("in Kayes", "the Lake Chad Basin")


@dataclass(frozen=True)
class ResolvedSpeaker:
    """A claim's speaker: fullest name, type, role if stated, and the verbatim mention."""

    name: str
    type: SpeakerType
    role: str | None
    mention: str


class SpeakerResolver:
    """Resolves source spans of one article; call :meth:`resolve` in text order."""

    def __init__(self, doc: Document, lex: Lexicon, contents: frozenset[int] = frozenset()) -> None:
        """``contents``: token positions inside some claim's content (less salient names)."""
        self._doc = doc
        self._lex = lex
        self._runs = name_runs(doc)
        self._run_starts = [run.first for run in self._runs]
        self._acronyms = _acronyms(doc, self._runs)
        self._acronym_names = frozenset(self._acronyms.values())
        self._entities: dict[str, Entity] = {}
        self._by_last: dict[str, list[Entity]] = {}
        self._mentions = MentionSweep(contents, lex.media_lower)
        mid_sentence = _capitalised_mid_sentence(doc)
        headlines = _title_case_sentences(doc)
        for run in self._runs:
            if doc.sentence_of[run.first] in headlines:
                continue  # "The Absurd Double Standard Clinton Faces": capitals, not names
            if run.last - run.first > 1 or run.text in mid_sentence or not _sentence_initial(doc, run):
                self._entity_for(run.text, run.first, place=_is_place(doc, run))
        self._guess_genders()
        self._mentions.freeze()

    def resolve(self, first: int, last: int, quote_speaker: ResolvedSpeaker | None) -> ResolvedSpeaker:
        """Speaker of the source tokens ``[first, last)``.

        ``quote_speaker`` is the speaker of a quotation enclosing the source, which is
        who "I" or "we" means there.
        """
        mention = self._doc.span_text(first, last)
        words = mention.lower().split()
        lowered = _strip_possessive(mention.lower())  # "the army's (statement)" is the army
        if len(words) == 1 and words[0] in RELATIVES:
            return self._antecedent(first, mention, None, relative=True)
        if len(words) == 1 and words[0] in PERSON_PRONOUNS | GROUP_PRONOUNS:
            if words[0] in FIRST_PERSON:
                # "I" and "we" are the speaker of the quotation they stand in; outside
                # one (an op-ed's author, a transcript) there is no one to resolve to
                if quote_speaker:
                    return ResolvedSpeaker(quote_speaker.name, quote_speaker.type, quote_speaker.role, mention)
                return ResolvedSpeaker(mention, SpeakerType.anonymous, None, mention)
            return self._antecedent(first, mention, words[0])
        possessor = _possessor_of_document(self._doc, first, last)
        if possessor is not None:  # "the army's statement": the army speaks
            owner = self.resolve(first, possessor, quote_speaker)
            return ResolvedSpeaker(owner.name, owner.type, owner.role, mention)
        if any(lowered == a or lowered.endswith(" " + a) for a in self._lex.organization_anaphors):
            return self._anaphor(first, mention, SpeakerType.organization)
        if lowered in self._lex.person_anaphors:
            return self._anaphor(first, mention, SpeakerType.person)
        return self._named(first, last, mention)

    def _named(self, first: int, last: int, mention: str) -> ResolvedSpeaker:
        """A source phrase that is not a pronoun: a name, a described name, an outlet's
        document, a possessive phrase, or an unnamed description."""
        start, stop = bisect_left(self._run_starts, first), bisect_left(self._run_starts, last)
        runs = [r for r in self._runs[start:stop] if r.last <= last]
        lowered = mention.lower()
        words = _WORDS.findall(lowered)
        if runs and any(w in DOCUMENT_NOUNS for w in words[1:]):
            entity = self._entity_for(_strip_possessive(runs[0].text), runs[0].first)
            return ResolvedSpeaker(entity.name, entity.type, None, mention)
        if not runs or _is_anonymous(lowered, self._lex):
            kind = SpeakerType.organization if _is_organization(mention, self._lex) else SpeakerType.anonymous
            return ResolvedSpeaker(_clean_description(mention), kind, None, mention)
        run = _head_run(runs, self._doc.words)
        if run.last < last and not _later_run(runs, run):
            phrase = _clean_description(_drop_article(self._doc.span_text(run.first, last)))
            if _POSSESSIVE_END.search(run.text):  # "Mali's army": the phrase names it
                kind = SpeakerType.organization if _is_organization(mention, self._lex) else SpeakerType.person
                if kind is SpeakerType.organization:
                    self._entity_for(phrase, run.first)
                return ResolvedSpeaker(phrase, kind, None, mention)
            tail = self._doc.words[run.last : last]
            if _is_organization(mention, self._lex) and all(w.shape == "x" for w in tail):
                # "The Malian army": a proper adjective and a common noun, one body
                entity = self._entity_for(phrase, run.first)
                return ResolvedSpeaker(entity.name, SpeakerType.organization, None, mention)
        entity = self._entity_for(run.text, run.first)
        return ResolvedSpeaker(entity.name, entity.type, _role(self._doc, first, run.first), mention)

    def note(self, position: int, speaker: ResolvedSpeaker) -> None:
        """Remember a resolved source, spoken at token ``position``, as an antecedent."""
        self._mentions.add(position, Source(speaker, _source_kinds(speaker, self._entity_gender(speaker))))

    def _entity_gender(self, speaker: ResolvedSpeaker) -> str | None:
        entity = self._entities.get(_key(speaker.name))
        return entity.gender if entity is not None else None

    def _entity_for(self, name: str, position: int, place: bool = False) -> Entity:
        """The entity a name denotes, created on first sight and expanded to its fullest form.

        Candidates are looked up by last word, since :func:`same_source` only merges a
        name with one it ends (or is the end of).
        """
        name = self._acronyms.get(name, name)
        key = _key(name)
        entity = self._entities.get(key)
        if entity is None:
            last_word = key.rsplit(" ", 1)[-1]
            namesakes = self._by_last.get(last_word, [])[-MAX_NAMESAKES:]
            fuller = [e for e in namesakes if same_source(name, e.name)]
            if fuller:
                entity = max(fuller, key=lambda e: (_looks_like_name(e.name), len(e.name)))
                better = _looks_like_name(name) and (
                    len(key) > len(_key(entity.name)) or not _looks_like_name(entity.name)
                )
                if better:
                    entity.name = name
            else:
                named = name in self._acronym_names  # "Long Name (ACR)" names a body
                kind = SpeakerType.organization if named else _name_type(name, self._lex)
                entity = Entity(name, kind, place=place and kind is SpeakerType.person)
                self._by_last.setdefault(last_word, []).append(entity)
            self._entities[key] = entity
        if place and entity.type is SpeakerType.person:
            entity.place = True  # a town named once as a place is no one who speaks
        self._mentions.add(position, entity)
        return entity

    def _guess_genders(self) -> None:
        """Honorifics decide; otherwise the majority of he/she pronouns just after a name."""
        words = self._doc.words
        male = [i for i, word in enumerate(words) if word.lower in MALE]
        female = [i for i, word in enumerate(words) if word.lower in FEMALE]
        votes: dict[int, list[int]] = {}
        for run in self._runs:
            entity = self._entities.get(_key(self._acronyms.get(run.text, run.text)))
            if entity is None or entity.type is not SpeakerType.person:
                continue
            tally = votes.setdefault(id(entity), [0, 0])
            title = _title_before(words, run.first)
            if title in self._lex.female_titles:
                tally[1] += HONORIFIC_WEIGHT
            elif title in self._lex.male_titles:
                tally[0] += HONORIFIC_WEIGHT
            end = run.last + GENDER_WINDOW
            tally[0] += bisect_left(male, end) - bisect_left(male, run.last)
            tally[1] += bisect_left(female, end) - bisect_left(female, run.last)
        for entity in self._entities.values():
            he, she = votes.get(id(entity), (0, 0))
            if he != she:
                entity.gender = "m" if he > she else "f"

    def _antecedent(
        self, position: int, mention: str, pronoun: str | None, relative: bool = False
    ) -> ResolvedSpeaker:
        """Nearest preceding entity or source compatible with the pronoun (a relative
        takes any; "they" a group or several people first)."""
        queries: tuple[tuple[Kind, ...], ...]
        if relative:
            queries = ((ANY,),)
        elif pronoun in {"they", "them", "their"}:
            queries = ((PLURAL, SpeakerType.organization), (ANY,))
        elif pronoun in {"it", "its"}:
            queries = ((SpeakerType.organization, MEDIA),)
        elif pronoun in MALE:
            queries = (((SpeakerType.person, "m"), (SpeakerType.person, None)),)
        elif pronoun in FEMALE:
            queries = (((SpeakerType.person, "f"), (SpeakerType.person, None)),)
        else:
            queries = ((SpeakerType.person,),)
        for kinds in queries:
            found = self._mentions.nearest_before(position, kinds, ANTECEDENT_WINDOW)
            if found is not None:
                return _as_speaker(found, mention)
        return ResolvedSpeaker(mention, SpeakerType.anonymous, None, mention)

    def _anaphor(self, position: int, mention: str, kind: SpeakerType) -> ResolvedSpeaker:
        """ "the group", "the spokesperson": nearest preceding entity or source of that type."""
        media = kind is SpeakerType.organization and mention.lower().endswith(_MEDIA_ANAPHORS)
        found = self._mentions.nearest_before(position, (kind, MEDIA) if media else (kind,))
        if found is None:
            fallback = SpeakerType.organization if kind is SpeakerType.organization else SpeakerType.anonymous
            return ResolvedSpeaker(_clean_description(mention), fallback, None, mention)
        return _as_speaker(found, mention)


def _as_speaker(found: Antecedent, mention: str) -> ResolvedSpeaker:
    """The speaker an anaphor stands for, with the anaphor as its mention."""
    if isinstance(found, Source):
        return ResolvedSpeaker(found.speaker.name, found.speaker.type, found.speaker.role, mention)
    return ResolvedSpeaker(found.name, found.type, None, mention)


def _source_kinds(speaker: ResolvedSpeaker, gender: str | None) -> tuple[Kind, ...]:
    """What a resolved source can be referred back to as."""
    if speaker.type is SpeakerType.person:
        return (ANY, SpeakerType.person, (SpeakerType.person, gender))
    if speaker.type is SpeakerType.organization:
        return (ANY, SpeakerType.organization, (SpeakerType.organization, None))
    words = _WORDS.findall(speaker.name.lower())
    head = next((k for k, w in enumerate(words) if k and w in _PREPOSITIONS), len(words))
    words = words[:head]  # "a resident of Kayes": the resident is the head
    if words and _plural(words[-1]):
        return (ANY, PLURAL)
    return (ANY, SpeakerType.person, (SpeakerType.person, None))  # "a resident": he or she


def _plural(noun: str) -> bool:
    return len(noun) > 3 and noun.endswith("s") and not noun.endswith(("ss", "us", "is"))


ANY = "any"
PLURAL = "plural"
MEDIA = "media"
"""News outlets: "it" may be one, "the military" or "the group" never is."""
_MEDIA_ANAPHORS = ("the outlet", "the newspaper", "the paper", "the network")
Kind = str | SpeakerType | tuple[SpeakerType, str | None]
"""What an anaphor can refer to: anything, a type, a type with a gender, or a plural."""


@dataclass(frozen=True)
class Source:
    """A speaker already resolved at an earlier claim, as an antecedent: "A resident of
    Kayes told the BBC ... he was quoted as saying" (he is the resident, no named entity)."""

    speaker: ResolvedSpeaker
    kinds: tuple[Kind, ...]


Antecedent = Entity | Source


class MentionSweep:
    """Where entities are named and sources speak, for "the nearest mention before
    position p of something of this kind", asked as sources are resolved, in text order.

    A scan back from every pronoun is quadratic on a long text with nothing to find.
    Instead one sweep moves forward through the mentions (those of the first pass over
    the article, then those resolution adds, always at or after the source being
    resolved) keeping the latest mention of each kind: a query costs a dictionary
    lookup. A query behind the sweep (not in text order) restarts it.

    A mention inside the content of a claim ("described attacks in Nigeria and the Lake
    Chad Basin") is less salient than a source: it is remembered apart and taken only
    when no salient mention qualifies.
    """

    def __init__(self, demoted: frozenset[int] = frozenset(), media: frozenset[str] = frozenset()) -> None:
        self._demoted = demoted  # token positions inside some claim's content
        self._media = media  # outlet names, lower-cased
        self._known: list[tuple[int, int, Antecedent]] = []  # (position, order, antecedent)
        self._frozen = 0  # mentions of the first pass, in text order
        self._later: list[tuple[int, int, Antecedent]] = []  # a heap of mentions added since
        self._next = 0
        self._swept = -1
        self._salient: dict[Kind, tuple[int, int, Antecedent]] = {}
        self._any: dict[Kind, tuple[int, int, Antecedent]] = {}

    def add(self, position: int, antecedent: Antecedent) -> None:
        item = (position, len(self._known), antecedent)
        self._known.append(item)
        if self._frozen:
            heapq.heappush(self._later, item)

    def freeze(self) -> None:
        """The first pass is over: its mentions, in text order, are swept by index."""
        self._frozen = len(self._known)

    def nearest_before(
        self, position: int, kinds: tuple[Kind, ...], reach: int | None = None
    ) -> Antecedent | None:
        """What of one of ``kinds`` was named last before ``position`` (first named of a
        tie), within ``reach`` tokens: a salient mention if there is one, else any."""
        if position < self._swept:
            self._restart()
        self._sweep(position)
        for table in (self._salient, self._any):
            best: tuple[int, int, Antecedent] | None = None
            for kind in kinds:
                found = table.get(kind)
                if found is not None and (best is None or (found[0], -found[1]) > (best[0], -best[1])):
                    best = found
            if best is not None and (reach is None or best[0] > position - reach):
                return best[2]
        return None

    def _sweep(self, position: int) -> None:
        known, later = self._known, self._later
        while True:
            first = known[self._next] if self._next < self._frozen else None
            if later and (first is None or later[0] < first):
                if later[0][0] >= position:
                    break
                item = heapq.heappop(later)
            elif first is not None and first[0] < position:
                item = first
                self._next += 1
            else:
                break
            antecedent = item[2]
            if isinstance(antecedent, Source):
                kinds, salient = antecedent.kinds, True
                if antecedent.speaker.name.lower() in self._media:
                    kinds = (ANY, MEDIA)
            elif antecedent.place:
                continue  # "in Kayes": a town is no one's antecedent
            else:
                kinds = (ANY, antecedent.type, (antecedent.type, antecedent.gender))
                if antecedent.name.lower() in self._media:
                    kinds = (ANY, MEDIA)
                salient = item[0] not in self._demoted
            for table in (self._salient, self._any) if salient else (self._any,):
                for kind in kinds:
                    if kind not in table or item[0] > table[kind][0]:
                        table[kind] = item
        self._swept = position

    def _restart(self) -> None:
        self._next, self._swept, self._salient, self._any = 0, -1, {}, {}
        self._later = list(self._known[self._frozen :])
        heapq.heapify(self._later)


@lru_cache(maxsize=65536)
def _key(name: str) -> str:
    """:func:`normalise_name`, memoised: articles repeat the same names many times."""
    return normalise_name(name)


def trim_source(doc: Document, first: int, last: int) -> tuple[int, int]:
    """A source span without edge punctuation or an introductory phrase the tagger swept
    in ("According to a BBC report, JNIM" is JNIM)."""
    tokens = doc.tokens
    if tokens[first].text.lower() in _INTRODUCERS:
        commas = [k for k in range(first, last - 1) if tokens[k].text == ","]
        if commas:
            first = commas[-1] + 1
    while first < last - 1 and (not tokens[first].text[0].isalnum() or doc.words[first].lower in _CONJUNCTIONS):
        first += 1
    last = _without_trailers(doc, first, last)
    first, last = _without_apposition(doc, first, last)
    while last > first + 1 and not tokens[last - 1].text[0].isalnum() and tokens[last - 1].text != ")":
        last -= 1
    return first, last


_TRAILING = frozenset(
    """has have had also was were is are be been did does do not n't never would will could
    should may might can just then already still again once repeatedly previously later
    earlier first publicly privately recently quickly""".split()
)
_TIME_PREPOSITIONS = frozenset("on in at during last this earlier late early".split())
_TIME_WORDS = frozenset(
    """monday tuesday wednesday thursday friday saturday sunday today yesterday tonight
    week weekend month year morning afternoon evening night day days weeks months years
    january february march april may june july august september october november december
    jan feb mar apr jun jul aug sep sept oct nov dec""".split()
)


def _possessor_of_document(doc: Document, first: int, last: int) -> int | None:
    """End of "the army's" in "the army's statement" (a document source), else None."""
    words = doc.words
    if last - first < 2 or words[last - 1].lower not in DOCUMENT_NOUNS:
        return None
    for k in range(last - 2, first - 1, -1):
        if words[k].lower.endswith(("'s", "\u2019s")):
            return k + 1 if k + 1 < last else None
        if words[k].shape != "x":
            return None
    return None


def _without_apposition(doc: Document, first: int, last: int) -> tuple[int, int]:
    """The name of a source with an apposition, whichever side it stands: "Souleymane
    Dembele, the army's spokesperson" and "the commander of Africom, Gen Michael
    Langley" are both the named person (guidelines: mention without the apposition)."""
    words = doc.words
    commas = [k for k in range(first + 1, last - 1) if words[k].lower == ","]
    if len(commas) != 1 and not (len(commas) == 2 and commas[1] == last - 1):
        return first, last
    comma = commas[0]
    after = comma + 1
    named_before = any(words[k].capital and words[k].alpha for k in range(first, comma))
    if words[after].lower in _DETERMINERS and named_before and words[first].capital:
        return first, comma  # name, then its description
    described = words[first].lower in _DETERMINERS and words[first + 1].shape == "x"
    if described and words[after].capital and words[after].lower not in _DETERMINERS:
        end = commas[1] if len(commas) == 2 else last
        return after, end  # a description, then the name
    return first, last


def _without_trailers(doc: Document, first: int, last: int) -> int:
    """End of a source before what stands between it and its cue: auxiliaries and
    adverbs ("The group has also said"), a time phrase ("Malian army on Tuesday said")."""
    words = doc.words
    for k in range(first + 1, last):
        if words[k].lower in _TIME_PREPOSITIONS and any(
            words[j].lower in _TIME_WORDS for j in range(k + 1, min(k + 4, last))
        ):
            last = k
            break
    while last > first + 1 and (words[last - 1].lower in _TRAILING or words[last - 1].lower in _CONJUNCTIONS):
        last -= 1
    return last


_CONJUNCTIONS = frozenset({"and", "or", "but", "nor", ","})


def names_someone(doc: Document, first: int, last: int) -> bool:
    """Whether a source span can name a speaker: some word in it is a name, a pronoun or
    a noun, not only adverbs and function words ("quickly", "and")."""
    for word in doc.words[first:last]:
        if not word.alpha:
            continue
        if word.lower in PERSON_PRONOUNS | GROUP_PRONOUNS | RELATIVES:
            return True
        if word.lower not in _FUNCTION_WORDS and not word.lower.endswith("ly") and word.lower not in _TRAILING:
            return True  # a name or a noun; "In", "And" capitalised are still function words
    return False


def name_runs(doc: Document) -> list[NameRun]:
    """Runs of capitalised tokens that look like names, titles left out."""
    tokens, words, sentence_of = doc.tokens, doc.words, doc.sentence_of
    n = len(tokens)
    runs: list[NameRun] = []
    end = 0
    for i in doc.capitalised:
        if i < end or not _name_start(tokens[i].text):
            continue
        j = i + 1
        sentence = sentence_of[i]
        while j < n and sentence_of[j] == sentence:
            word = words[j]
            named = word.capital and word.lower not in _FUNCTION_WORDS
            joins = (
                word.lower in _CONNECTORS and j + 1 < n and words[j + 1].capital and sentence_of[j + 1] == sentence
            )
            if named or joins:
                j += 1
            elif word.lower.startswith(_PARTICLES) and tokens[j].text[-1:].isalpha() and j > i:
                j += 1  # "al-Islam" inside an Arabic name
            else:
                break
        end = j
        for k in range(j - 2, i - 1, -1):
            if words[k].lower.rstrip(".") in TITLES:
                i = k + 1  # "Army Spokesperson Souleymane Dembele": the name follows the title
                break
        if j - i == 1 and words[i].lower in _NOT_NAMES:
            continue  # "on national TV": capitals, no one's name
        runs.append(NameRun(i, j, doc.span_text(i, j)))
    return runs


_NOT_NAMES = frozenset("tv radio gmt ceo am pm ok dna gdp mph pdf faq op-ed".split())
_PLACE_PREPOSITIONS = frozenset("in from near at across towards toward outside throughout into around".split())
_PLACE_NOUNS = frozenset(
    """resident residents city town village region province state capital outskirts border
    north south east west centre center people citizens governor mayor""".split()
)
_GEOGRAPHY = frozenset(
    """basin lake river sea ocean gulf bay coast peninsula valley desert mountains mountain
    hills island islands region province county district city street square avenue airport
    strait channel plateau delta""".split()
)


def _is_place(doc: Document, run: NameRun) -> bool:
    """Whether a name is used as a place: after "in", "from", "near" ..., after "resident
    of" and the like, or ending in a geographical word ("the Lake Chad Basin")."""
    words = doc.words
    if words[run.last - 1].lower in _GEOGRAPHY:
        return True
    before = run.first - 1
    if before < 0:
        return False
    if words[before].lower in _PLACE_PREPOSITIONS:
        return True
    return words[before].lower == "of" and before > 0 and words[before - 1].lower in _PLACE_NOUNS


def _title_before(words: list[Word], first: int) -> str:
    """The word before a name, skipping an abbreviation's full stop ("Mrs. Clinton")."""
    k = first - 1
    if k >= 0 and words[k].lower == ".":
        k -= 1
    return words[k].lower if k >= 0 else ""


@lru_cache(maxsize=65536)
def _name_start(word: str) -> bool:
    if not word[:1].isupper():
        return False
    lowered = word.lower().rstrip(".")
    return lowered not in _FUNCTION_WORDS and lowered not in TITLES


def _acronyms(doc: Document, runs: list[NameRun]) -> dict[str, str]:
    """``Long Name (ACR)`` makes ``ACR`` an alias of ``Long Name``."""
    tokens = doc.tokens
    out: dict[str, str] = {}
    for run in runs:
        k = run.last
        if k + 2 < len(tokens) and tokens[k].text == "(" and tokens[k + 2].text == ")":
            acronym = tokens[k + 1].text
            if _ACRONYM.match(acronym) and run.last - run.first > 1:
                out[acronym] = run.text
    return out


def _head_run(runs: list[NameRun], words: list[Word]) -> NameRun:
    """The name a source phrase is about: the first run, unless it only modifies a later
    one: an affiliation ("CNN's Jake Tapper") or a title ("Republican presidential
    candidate Donald Trump": role words, no comma, just before the later name). After a
    comma, a determiner or a preposition a later run is an apposition or an affiliation
    ("Marc Morial, the chief executive of the National Urban League")."""
    head = runs[0]
    for run in runs[1:]:
        # a title just before the later name ("energy minister Prince Abdulaziz") is
        # part of the role: look past it
        k = run.first - 1
        while k > head.last and words[k].lower.rstrip(".") in TITLES:
            k -= 1
        between = [w.lower for w in words[head.last : k + 1]]
        titled = (
            bool(between)
            and "," not in between
            and words[k].shape == "x"
            and between[-1] not in _PREPOSITIONS | _DETERMINERS
        )
        if _POSSESSIVE_END.search(head.text) or titled:
            head = run
        else:
            break
    return head


def _looks_like_name(name: str) -> bool:
    """One to four capitalised words: a name, not a headline fragment swept into a run."""
    return bool(_NAME_SHAPE.fullmatch(name))


def _capitalised_mid_sentence(doc: Document) -> set[str]:
    """Capitalised words standing after the first token of their sentence."""
    starts = {s.first for s in doc.sentences}
    tokens, words = doc.tokens, doc.words
    return {
        tokens[i].text
        for i in doc.capitalised
        if i not in starts and words[i - 1].shape != "Q"
    }


def _title_case_sentences(doc: Document) -> set[int]:
    """Sentences of five words or more nearly all capitalised: headlines."""
    out: set[int] = set()
    words = doc.words
    for index, sentence in enumerate(doc.sentences):
        alphabetic = [w.capital for w in words[sentence.first : sentence.last] if w.alpha]
        if len(alphabetic) >= HEADLINE_WORDS and sum(alphabetic) >= HEADLINE_SHARE * len(alphabetic):
            out.add(index)
    return out


def _sentence_initial(doc: Document, run: NameRun) -> bool:
    """Whether a run opens its sentence (after any opening quotation mark)."""
    first = doc.sentences[doc.sentence_of[run.first]].first
    return all(doc.words[i].shape == "Q" for i in range(first, run.first))


def _later_run(runs: list[NameRun], run: NameRun) -> bool:
    return any(r.first > run.first for r in runs)


def _strip_possessive(name: str) -> str:
    return _POSSESSIVE_END.sub("", name)


def _drop_article(text: str) -> str:
    first, _, rest = text.partition(" ")
    return rest if first.lower() in {"the", "a", "an"} and rest else text


def _name_type(name: str, lex: Lexicon) -> SpeakerType:
    if name.lower() in lex.media_lower or _is_organization(name, lex):
        return SpeakerType.organization
    if _ACRONYM.match(name):
        return SpeakerType.organization
    return SpeakerType.person


def _is_organization(text: str, lex: Lexicon) -> bool:
    words = _WORDS.findall(text.lower())
    if not words:
        return False
    return words[-1] in lex.organization_words or " ".join(words[-2:]) in lex.organization_words


def _is_anonymous(lowered: str, lex: Lexicon) -> bool:
    words = _WORDS.findall(lowered)
    if not words:
        return True
    if words[0] in {"a", "an", "some", "one", "two", "three", "several", "many", "most",
                    "other", "others", "few", "certain", "unnamed", "anonymous"}:
        return True
    if words[0] in lex.anonymous_heads:
        return True
    # "Top Sanders strategists", "the officials": a group named by a common plural noun
    return len(words) > 1 and words[-1] in lex.anonymous_heads


def _clean_description(mention: str) -> str:
    return mention.strip(" ,.;:")


def _role(doc: Document, first: int, name_first: int) -> str | None:
    """Descriptive words before the name inside the source ("army spokesperson")."""
    if name_first <= first:
        return None
    words = [doc.tokens[i].text for i in range(first, name_first)]
    while words and words[0].lower() in {"the", "a", "an"}:
        words.pop(0)
    text = " ".join(words).strip(" ,")
    if not text or text.endswith(("'s", "\u2019s")):
        return None
    return text
