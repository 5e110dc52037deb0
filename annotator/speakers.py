"""Speaker names: normalising them and merging the ways an article names one source.

Shared by the pipeline (building one entity per source from per-claim names) and the
eval harness (deciding whether a predicted speaker is the gold one).
"""

from __future__ import annotations

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
_NON_WORD = re.compile(r"[^\w\s]")
_POSSESSIVE = re.compile(r"['\u2019]s\b")


def normalise_name(name: str) -> str:
    """Lower-case, strip accents, possessives, punctuation and leading titles.

    ``"Col. Souleymane Dembélé"`` and ``"souleymane dembele"`` become the same key.
    """
    text = unicodedata.normalize("NFKD", name)
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).lower()
    text = _POSSESSIVE.sub("", text)
    words = _NON_WORD.sub(" ", text).split()
    while words and words[0] in TITLES:
        words.pop(0)
    return " ".join(words)


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
    """Assigns one id per source, merging names and collecting noun-phrase aliases."""

    def __init__(self) -> None:
        self._speakers: list[Speaker] = []

    def resolve(
        self, name: str, type_: SpeakerType, mention: str | None, role: str | None = None
    ) -> str:
        """Return the id for ``name``, creating or enriching an entity as needed."""
        speaker = self._find(name, type_)
        if speaker is None:
            speaker = Speaker(id=self._unique_id(name), name=name, type=type_, role=role)
            self._speakers.append(speaker)
        elif len(normalise_name(name)) > len(normalise_name(speaker.name)):
            speaker.aliases.append(speaker.name)
            speaker.name = name
        if role and not speaker.role:
            speaker.role = role
        for alias in (name, mention):
            self._add_alias(speaker, alias)
        return speaker.id

    @property
    def speakers(self) -> list[Speaker]:
        """The entities in order of first appearance."""
        return list(self._speakers)

    def _find(self, name: str, type_: SpeakerType) -> Speaker | None:
        for speaker in self._speakers:
            if speaker.type != type_:
                continue
            if any(same_source(name, known) for known in [speaker.name, *speaker.aliases]):
                return speaker
        return None

    def _unique_id(self, name: str) -> str:
        base = slug(name)
        taken = {s.id for s in self._speakers}
        candidate, n = base, 2
        while candidate in taken:
            candidate, n = f"{base}-{n}", n + 1
        return candidate

    @staticmethod
    def _add_alias(speaker: Speaker, alias: str | None) -> None:
        if not alias or is_pronoun(alias) or alias == speaker.name:
            return
        if alias not in speaker.aliases:
            speaker.aliases.append(alias)
