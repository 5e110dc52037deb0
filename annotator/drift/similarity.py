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

from annotator.drift.lexicon import Force, load_lexicon

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

    text: float = 0.8
    speaker: float = 0.1
    cue: float = 0.1
    set_share: float = 0.5
    """Share of ``token_set_ratio`` in the text measure (the rest is ``token_sort_ratio``)."""
    join: float = 0.6
    """A claim joins a cluster when its score with it reaches this."""
    repeat: float = 0.8
    """... or, when the cluster already has a claim of the same article, this (a repeat)."""


DEFAULT = Weights()
"""Tuned by ``eval/drift/tune.py`` (``eval/drift/tune-output.txt``; rerun after the repeat
grouping in ``tune-output-2.txt``): cluster pairwise F1 0.933 on 60 synthetic PolNeAR-train
stories, 0.936 on 60 dev stories."""


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


@dataclass(frozen=True)
class Components:
    """The parts of the score for every pair of claims, before they are weighted."""

    content_set: np.ndarray
    content_sort: np.ndarray
    restatement_set: np.ndarray
    restatement_sort: np.ndarray
    same_speaker: np.ndarray
    same_force: np.ndarray

    def combine(self, weights: Weights = DEFAULT) -> np.ndarray:
        share = weights.set_share
        content = share * self.content_set + (1 - share) * self.content_sort
        restatement = share * self.restatement_set + (1 - share) * self.restatement_sort
        text = np.maximum(content, restatement)
        return weights.text * text + weights.speaker * self.same_speaker + weights.cue * self.same_force


def components(claims: Sequence[ClaimFeatures]) -> Components:
    """Every claim against every claim (symmetric, the diagonal unused)."""
    content_set, content_sort = _ratios([c.content for c in claims])
    restatement_set, restatement_sort = _ratios([c.restatement or c.content for c in claims])
    speakers = np.array([c.speaker for c in claims])
    forces = np.array([c.force.value if c.force else "" for c in claims], dtype=object)
    same_speaker = (speakers[:, None] == speakers[None, :]) & (speakers[:, None] >= 0)
    same_force = (forces[:, None] == forces[None, :]) & (forces[:, None] != "")
    return Components(content_set, content_sort, restatement_set, restatement_sort,
                      same_speaker.astype(np.float32), same_force.astype(np.float32))


def similarity_matrix(claims: Sequence[ClaimFeatures], weights: Weights = DEFAULT) -> np.ndarray:
    """The weighted score of every pair of claims."""
    return components(claims).combine(weights)


def _ratios(texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """Token-set and token-sort ratios of every pair, in [0, 1]; 0 against an empty text.

    Computed once per distinct text: a story's repeats and duplicates cost nothing.
    """
    if not texts:
        return np.zeros((0, 0), dtype=np.float32), np.zeros((0, 0), dtype=np.float32)
    unique = sorted(set(texts))
    where = {t: i for i, t in enumerate(unique)}
    index = np.array([where[t] for t in texts])
    out = []
    for scorer in (fuzz.token_set_ratio, fuzz.token_sort_ratio):
        ratio = process.cdist(unique, unique, scorer=scorer, dtype=np.uint8, workers=1)
        out.append(ratio.astype(np.float32)[np.ix_(index, index)] / 100.0)
    return out[0], out[1]
