"""How alike two claims are, as one number in [0, 1], for every pair of a story's claims.

``score = TEXT * text + SPEAKER * same_speaker + CUE * same_cue_force``, where ``text``
is the best of two texts compared two ways: the verbatim content and the standalone
restatement (gold's ``claim``, a run's ``restatement``, which resolves pronouns: "it
was behind the attacks" -> "JNIM was behind the attacks"), each reduced to content-word
stems, compared with rapidfuzz's ``token_set_ratio`` (one rendering contains the other:
a rewrite that adds a clause) averaged with ``token_sort_ratio`` (penalises what the
set ratio forgives, so a two-word content is not "identical" to every long one that
contains its words). The speaker (story-wide entity, :mod:`speakers`) and the cue's force
class only add: a claim re-attributed or re-cued in a rewrite is still the same claim,
so neither may veto a match, but between two candidates they decide.

The weights and thresholds are set in :data:`DEFAULT` and were tuned on synthetic
rewrites of PolNeAR train claims (``eval/drift/tune.py``), never on the sample gold.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from rapidfuzz import fuzz, process

from annotator.compare.lexicon import Force, load_lexicon

STOPWORDS = frozenset(
    """a an the and or but if of to in on at by for with from as into onto upon about over
    under than then that this these those there here it its they them their he him his she
    her hers we us our you your i me my is are was were be been being has have had having do
    does did will would shall should can could may might must not no nor so such also just
    very too which who whom whose what when where while how all any both each few more most
    other some own same only said says say saying told tell according""".split()
)
_TOKEN = re.compile(r"[^\W_]+(?:['’][^\W_]+)*")
_SUFFIXES = ("ings", "ing", "ied", "ies", "ed", "es", "s", "ly")


@dataclass(frozen=True)
class Weights:
    """The similarity's parameters (see the module docstring)."""

    text: float = 0.7
    speaker: float = 0.2
    cue: float = 0.1
    join: float = 0.5
    """A claim joins a cluster when its score with it reaches this."""
    repeat: float = 0.7
    """... or, when the cluster already has a claim of the same article, this (a repeat)."""


DEFAULT = Weights()


@dataclass(frozen=True)
class ClaimFeatures:
    """What similarity reads of one claim."""

    content: str
    restatement: str
    speaker: int
    force: Force | None


def reduce_text(text: str) -> str:
    """Content-word stems in order: "Mali's army said it repelled the attacks" -> "mali army repel attack"."""
    return _reduce(text)


@lru_cache(maxsize=65536)
def _reduce(text: str) -> str:
    units = load_lexicon().units
    folded = unicodedata.normalize("NFKD", text)
    folded = "".join(ch for ch in folded if not unicodedata.combining(ch)).lower()
    words = []
    for token in _TOKEN.findall(folded):
        token = re.sub(r"['’]s$", "", token)
        if token in STOPWORDS:
            continue
        words.append(str(units[token]) if token in units else _stem(token))
    return " ".join(words)


def _stem(word: str) -> str:
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            word = word[: -len(suffix)]
            break
    if len(word) > 3 and word[-1] == word[-2] and word[-1] not in "aeiouls":
        word = word[:-1]  # "recovered" and "recover", "planned" and "plan"
    return word.rstrip("e") if len(word) > 4 else word


def similarity_matrix(claims: Sequence[ClaimFeatures], weights: Weights = DEFAULT) -> np.ndarray:
    """Every claim against every claim (symmetric, the diagonal unused)."""
    contents = [c.content for c in claims]
    restatements = [c.restatement or c.content for c in claims]
    text = np.maximum(_text(contents), _text(restatements))
    speakers = np.array([c.speaker for c in claims])
    forces = np.array([c.force.value if c.force else "" for c in claims], dtype=object)
    same_speaker = (speakers[:, None] == speakers[None, :]) & (speakers[:, None] >= 0)
    same_force = (forces[:, None] == forces[None, :]) & (forces[:, None] != "")
    return weights.text * text + weights.speaker * same_speaker + weights.cue * same_force


def _text(texts: list[str]) -> np.ndarray:
    """Mean of token-set and token-sort ratios, in [0, 1]; 0 against an empty text."""
    if not texts:
        return np.zeros((0, 0))
    unique = sorted(set(texts))
    where = {t: i for i, t in enumerate(unique)}
    set_ratio = process.cdist(unique, unique, scorer=fuzz.token_set_ratio, dtype=np.uint8, workers=1)
    sort_ratio = process.cdist(unique, unique, scorer=fuzz.token_sort_ratio, dtype=np.uint8, workers=1)
    combined = (set_ratio.astype(np.float32) + sort_ratio) / 200.0
    index = np.array([where[t] for t in texts])
    return combined[np.ix_(index, index)]
