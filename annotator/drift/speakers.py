"""One entity per source across the articles of a story, before any claim is aligned.

Each article names its sources its own way ("Mali's army", "The Malian army", "Mali's
armed forces", a run's slug ids), so an article's speaker ids mean nothing in another
article. Entities are merged by evidence, strongest first:

1. an alias file (the Gender Gap Tracker's ``aliases.txt`` format: one entity a line,
   ``Primary name, alias 1, alias 2``; ``#`` starts a comment);
2. the same speaker id (the gold convention shares ids across a set's files, and a
   run's ids are slugs of names);
3. a shared *specific* name key: a name or alias, normalised (case, accents, titles,
   possessives, determiners and prepositions), that has a capitalised word of its own
   ("JNIM", "Mali's army"), so generic anaphors ("the group", "the army") never merge
   two articles' entities on their own; a parenthesised acronym is a key too;
4. a surname shortening of a person ("Dembele", "Souleymane Dembele");
5. rapidfuzz ``token_sort_ratio`` of specific keys of the same speaker type at least
   :data:`FUZZY_NAME` (spelling variants: "wal-Muslimin" / "wal Muslimin", "Mali" /
   "Malian").

A merge that would put two entities of one article into one group is refused: the
extractor (or the annotator) already decided they are different sources.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from rapidfuzz import fuzz, process

from annotator.drift.loading import CompareInputError, StoryArticle
from annotator.models import Speaker, SpeakerType
from annotator.speakers import is_pronoun, normalise_name, same_source

FUZZY_NAME = 90.0
_DROP = frozenset("the a an one this that these those its their of from in at for on to and".split())
_PAREN = re.compile(r"\(([^()]{2,40})\)")

Entity = tuple[str, str]
"""(article id, speaker id)."""


@dataclass(frozen=True)
class SpeakerMap:
    """Which story-wide entity each article's speaker is, and what to call it."""

    group: dict[Entity, int]
    names: tuple[str, ...]

    def of(self, article: str, speaker: str) -> int:
        return self.group.get((article, speaker), -1)

    def name(self, article: str, speaker: str) -> str:
        index = self.of(article, speaker)
        return self.names[index] if index >= 0 else speaker


def read_aliases(path: Path) -> dict[str, str]:
    """``aliases.txt``: every name's key mapped to its line's primary name."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as error:
        raise CompareInputError(f"{path}: cannot read the alias file: {error}") from error
    table: dict[str, str] = {}
    for number, line in enumerate(lines, 1):
        line = line.split("#", 1)[0].strip()
        if not line or (number == 1 and line.lower().startswith("primary name")):
            continue
        names = [n.strip() for n in line.split(",") if n.strip()]
        for name in names:
            key = normalise_name(name)
            if key in table and table[key] != names[0]:
                raise CompareInputError(f"{path}:{number}: {name!r} is already an alias of {table[key]!r}")
            table[key] = names[0]
    return table


def merge_speakers(articles: Sequence[StoryArticle], aliases: dict[str, str] | None = None) -> SpeakerMap:
    """Group every (article, speaker) of a story into story-wide entities."""
    entities = [(a.id, s) for a in articles for s in a.speakers.values()]
    union = _Groups([e[0] for e in entities])
    for _, i, j in sorted(_evidence(entities, aliases or {}), key=lambda item: -item[0]):
        union.join(i, j)
    members: dict[int, list[int]] = {}
    for index in range(len(entities)):
        members.setdefault(union.find(index), []).append(index)
    group: dict[Entity, int] = {}
    names: list[str] = []
    for position, indices in enumerate(sorted(members.values(), key=lambda m: m[0])):
        names.append(_display([entities[i][1] for i in indices], aliases or {}))
        for i in indices:
            article, speaker = entities[i]
            group[(article, speaker.id)] = position
    return SpeakerMap(group=group, names=tuple(names))


def _evidence(entities: list[tuple[str, Speaker]], aliases: dict[str, str]) -> Iterable[tuple[float, int, int]]:
    """(strength, i, j) for every pair of entities some rule says are one source."""
    by_alias: dict[str, list[int]] = {}
    by_id: dict[str, list[int]] = {}
    by_key: dict[str, list[int]] = {}
    persons: list[int] = []
    for index, (_, speaker) in enumerate(entities):
        by_id.setdefault(speaker.id, []).append(index)
        for name in [speaker.name, *speaker.aliases]:
            primary = aliases.get(normalise_name(name))
            if primary:
                by_alias.setdefault(primary, []).append(index)
        for key in specific_keys(speaker):
            by_key.setdefault(key, []).append(index)
        if speaker.type is SpeakerType.person:
            persons.append(index)
    for strength, table in ((5.0, by_alias), (4.0, by_id), (3.0, by_key)):
        for indices in table.values():
            yield from ((strength, indices[0], other) for other in indices[1:])
    yield from _surnames(entities, persons)
    yield from _fuzzy(entities, by_key)


def _surnames(entities: list[tuple[str, Speaker]], persons: list[int]) -> Iterable[tuple[float, int, int]]:
    for n, i in enumerate(persons):
        for j in persons[n + 1 :]:
            if entities[i][0] != entities[j][0] and same_source(entities[i][1].name, entities[j][1].name):
                yield 2.5, i, j


def _fuzzy(entities: list[tuple[str, Speaker]], by_key: dict[str, list[int]]) -> Iterable[tuple[float, int, int]]:
    keys = sorted(by_key)
    if len(keys) < 2:
        return
    scores = process.cdist(keys, keys, scorer=fuzz.token_sort_ratio, score_cutoff=FUZZY_NAME, workers=1)
    for a, b in zip(*scores.nonzero(), strict=True):
        if a >= b:
            continue
        for i in by_key[keys[a]]:
            for j in by_key[keys[b]]:
                if entities[i][1].type is entities[j][1].type:
                    yield 1.0 + float(scores[a, b]) / 100, i, j


def specific_keys(speaker: Speaker) -> set[str]:
    """The name keys of an entity that can identify it in another article."""
    keys = set()
    for name in [speaker.name, *speaker.aliases]:
        if is_pronoun(name):
            continue
        for part in [name.split(",")[0], *_PAREN.findall(name), _PAREN.sub(" ", name).split(",")[0]]:
            if _is_specific(part):
                key = name_key(part)
                if key:
                    keys.add(key)
    return keys


def name_key(name: str) -> str:
    """``normalise_name`` without determiners and prepositions: "a resident of Kayes" -> "resident kayes"."""
    return " ".join(w for w in normalise_name(name).split() if w not in _DROP)


def _is_specific(name: str) -> bool:
    """Has a capitalised word that is not just the sentence-initial determiner."""
    words = re.findall(r"[^\W\d_][\w'’-]*", unicodedata.normalize("NFKC", name))
    return any(w[0].isupper() and w.lower() not in _DROP for w in words)


def _display(speakers: list[Speaker], aliases: dict[str, str]) -> str:
    """The alias file's primary name, else the fullest name the group uses most."""
    for speaker in speakers:
        primary = aliases.get(normalise_name(speaker.name))
        if primary:
            return primary
    names = [s.name for s in speakers]
    return max(names, key=lambda n: (names.count(n), len(n)))


class _Groups:
    """Union-find that refuses to join two groups holding entities of one article."""

    def __init__(self, articles: list[str]) -> None:
        self._parent = list(range(len(articles)))
        self._articles = [{a} for a in articles]

    def find(self, i: int) -> int:
        while self._parent[i] != i:
            self._parent[i] = self._parent[self._parent[i]]
            i = self._parent[i]
        return i

    def join(self, i: int, j: int) -> bool:
        a, b = self.find(i), self.find(j)
        if a == b or self._articles[a] & self._articles[b]:
            return False
        self._parent[b] = a
        self._articles[a] |= self._articles[b]
        return True
