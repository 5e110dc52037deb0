"""A cue's force class: said -> claimed is a change, said -> stated is not."""

from __future__ import annotations

import re

from annotator.drift.lexicon import Force, load_lexicon
from annotator.evaluation.cues import lemma

_WORD = re.compile(r"[a-z]+")


def force(cue: str | None) -> Force | None:
    """The class of a cue: the fixed idiom first, then its first word with a known lemma.

    A cue with no known word (a colon, a verb outside the table) is ``None``: unknown, and
    never reported as a change, since a guess would turn every unusual verb into drift.
    """
    if not cue:
        return None
    lexicon = load_lexicon()
    if any(p.search(cue) for p in lexicon.neutral_idioms):
        return Force.neutral
    for word in _WORD.findall(cue.lower().replace("\u2019", "'")):
        found = lexicon.forces.get(lemma(word)) or lexicon.forces.get(word)
        if found is not None:
            return found
    return None
