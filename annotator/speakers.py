"""Speaker names: normalising them and merging the ways an article names one source.

Shared by the pipeline (building one entity per source from per-claim names) and the
eval harness (deciding whether a predicted speaker is the gold one).
"""

from __future__ import annotations

import functools
import re
import unicodedata

from annotator.models import Speaker, SpeakerType

TITLES = frozenset(
    """mr mrs ms miss dr prof sir col colonel gen general lt lieutenant maj major capt
    captain sgt sergeant cmdr commander adm admiral president vice sen senator rep
    representative gov governor rev father pope king queen prince princess minister
    secretary spokesman spokeswoman spokesperson chairman chairwoman judge justice
    mayor ambassador former the""".split()
)
PRONOUNS = frozenset(
    """he she they it we i you him her them us his hers its their our my
    who which that this these those""".split()
)
ARTICLES = frozenset({"the", "a", "an"})
_NON_WORD = re.compile(r"[^\w\s]")
_POSSESSIVE = re.compile(r"['\u2019]s\b")


@functools.lru_cache(maxsize=65536)
def normalise_name(name: str) -> str:
    """Lower-case, strip accents, possessives, punctuation and leading titles.

    ``"Col. Souleymane Dembélé"`` and ``"souleymane dembele"`` become the same key. A
    name that is only a title ("The minister") keeps it, without the article: it must
    stay a key of its own, not become empty and match nothing.
    """
    text = unicodedata.normalize("NFKD", name)
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).lower()
    text = _POSSESSIVE.sub("", text)
    words = _NON_WORD.sub(" ", text).split()
    first = 0
    while first < len(words) and words[first] in TITLES:
        first += 1
    if first == len(words):
        first = 0
        while first < len(words) - 1 and words[first] in ARTICLES:
            first += 1
    return " ".join(words[first:])


def is_pronoun(mention: str) -> bool:
    """Pronouns are valid mentions but never aliases (scheme rule)."""
    return mention.strip().lower() in PRONOUNS


def same_source(a: str, b: str) -> bool:
    """Whether two names plausibly denote one source.

    Equal after normalising, or one is the trailing part of the other ("Dembele" and
    "Souleymane Dembele"), which is how news text shortens names on second mention.
    """
    na, nb = normalise_name(a), normalise_name(b)
    if not na or not nb:
        return False
    if na == nb:
        return True
    short, long = sorted((na.split(), nb.split()), key=len)
    return long[-len(short) :] == short and short[-1] not in {"army", "group", "forces"}


def slug(name: str) -> str:
    """A readable, file-safe speaker id."""
    return re.sub(r"[^a-z0-9]+", "-", normalise_name(name) or name.lower()).strip("-") or "speaker"


class SpeakerRegistry:
    """Assigns one id per source, merging names and collecting noun-phrase aliases.

    Entities are indexed by type and by the last word of every name they go by, since
    :func:`same_source` only merges names that end alike: finding a name's entity
    compares it with its namesakes only, so a long article costs linear time.
    """

    def __init__(self) -> None:
        self._speakers: list[Speaker] = []
        self._order: dict[str, int] = {}
        self._index: dict[tuple[SpeakerType, str], list[Speaker]] = {}
        self._ids: set[str] = set()

    def resolve(
        self, name: str, type_: SpeakerType, mention: str | None, role: str | None = None
    ) -> str:
        """Return the id for ``name``, creating or enriching an entity as needed."""
        speaker = self._find(name, type_)
        if speaker is None:
            speaker = Speaker(id=self._unique_id(name), name=name, type=type_, role=role)
            self._order[speaker.id] = len(self._speakers)
            self._speakers.append(speaker)
            self._ids.add(speaker.id)
            self._remember(speaker, name)
        elif len(normalise_name(name)) > len(normalise_name(speaker.name)):
            speaker.aliases.append(speaker.name)
            speaker.name = name
            self._remember(speaker, name)
        if role and not speaker.role:
            speaker.role = role
        for alias in (name, mention):
            if self._add_alias(speaker, alias):
                self._remember(speaker, alias)
        return speaker.id

    @property
    def speakers(self) -> list[Speaker]:
        """The entities in order of first appearance."""
        return list(self._speakers)

    def _find(self, name: str, type_: SpeakerType) -> Speaker | None:
        """The first entity (in order of appearance) one of whose names is ``name``'s source."""
        key = _last_word(name)
        if key is None:
            return None
        matches = [
            speaker
            for speaker in self._index.get((type_, key), [])
            if any(same_source(name, known) for known in [speaker.name, *speaker.aliases])
        ]
        return min(matches, key=lambda s: self._order[s.id]) if matches else None

    def _remember(self, speaker: Speaker, name: str | None) -> None:
        key = _last_word(name) if name else None
        if key is None:
            return
        bucket = self._index.setdefault((speaker.type, key), [])
        if speaker not in bucket:
            bucket.append(speaker)

    def _unique_id(self, name: str) -> str:
        base = slug(name)
        candidate, n = base, 2
        while candidate in self._ids:
            candidate, n = f"{base}-{n}", n + 1
        return candidate

    @staticmethod
    def _add_alias(speaker: Speaker, alias: str | None) -> bool:
        """Add ``alias`` unless it is empty, a pronoun or already known; say if it was added."""
        if not alias or is_pronoun(alias) or alias == speaker.name or alias in speaker.aliases:
            return False
        speaker.aliases.append(alias)
        return True


def _last_word(name: str) -> str | None:
    words = normalise_name(name).split()
    return words[-1] if words else None
