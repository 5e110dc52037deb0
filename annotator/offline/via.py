"""Intermediaries: "told AFP", "according to a BBC report", "Reuters quoted X as saying".

The scheme's ``via`` lists the outlets through which the article got a claim, outermost
first. Outlets are recognised from the lexicon's media list; an outlet that is itself
the source is the speaker, not an intermediary.
"""

from __future__ import annotations

import re
from functools import cache

from annotator.offline.document import Document
from annotator.offline.lexicon import Lexicon
from annotator.offline.reported_speech import Relation


@cache
def _media_pattern(media: tuple[str, ...]) -> re.Pattern[str]:
    names = sorted(media, key=len, reverse=True)
    alternatives = "|".join(re.escape(n) for n in names)
    return re.compile(rf"(?<![\w-])(?:the\s+)?({alternatives})(?![\w-])")


@cache
def _patterns(media: tuple[str, ...]) -> list[re.Pattern[str]]:
    outlet = _media_pattern(media).pattern
    return [
        re.compile(rf"according\s+to\s+(?:an?\s+|the\s+)?{outlet}", re.IGNORECASE),
        re.compile(rf"\b(?:told|telling|tells|tell)\s+{outlet}"),
        re.compile(rf"interview\s+with\s+{outlet}"),
        re.compile(rf"{outlet}\s+(?:news\s+agency\s+)?(?:quoted|quoting|cited|citing)\b"),
        re.compile(rf"\b(?:said|says|saying)\s+(?:in\s+a\s+statement\s+)?to\s+{outlet}"),
    ]


class Intermediaries:
    """Finds ``via`` for the relations of one article, scanning each sentence once."""

    def __init__(self, doc: Document, lex: Lexicon) -> None:
        self._doc = doc
        self._patterns = _patterns(lex.media)
        self._sentences: dict[int, tuple[int, list[tuple[int, str]]]] = {}

    def of(self, relation: Relation) -> list[str]:
        """Outlets named around the relation's cue and source, outermost (earliest) first."""
        doc = self._doc
        start, mentions = self._outlets(doc.sentence_of[relation.cue[0]])
        if not mentions:
            return []
        source = doc.span_text(relation.source[0], relation.source[-1] + 1).lower()
        content = [(doc.tokens[a].start - start, doc.tokens[b - 1].end - start) for a, b in relation.content]
        names: list[str] = []
        for position, name in mentions:
            inside = any(a <= position < b for a, b in content)
            if not inside and name.lower() not in source and name not in names:
                names.append(name)
        return names

    def _outlets(self, index: int) -> tuple[int, list[tuple[int, str]]]:
        """A sentence's start offset and the outlets its patterns name, in text order."""
        if index not in self._sentences:
            doc = self._doc
            sentence = doc.sentences[index]
            start = doc.tokens[sentence.first].start
            text = doc.text[start : doc.tokens[sentence.last - 1].end]
            found = [
                (match.start(), match.group(match.lastindex or 1))
                for pattern in self._patterns
                for match in pattern.finditer(text)
            ]
            self._sentences[index] = (start, sorted(found))
        return self._sentences[index]
