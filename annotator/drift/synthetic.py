"""Synthetic rewrites of one article's claims, with the true alignment known by construction.

Used to tune the similarity (``eval/drift/tune.py``, on PolNeAR train claims, so that no
figure reported on the sample gold was tuned on it) and to build the benchmark's story of
100 articles (``bench/bench_compare.py``, from the sample claims). A rewrite keeps each
claim with some probability and perturbs what it keeps the way rewrites do: words dropped,
replaced or added, the end cut, a number's approximator changed, a hedge swapped, the cue
replaced, the claim re-attributed to another speaker of the article, repeated, reordered.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass
from pathlib import Path

from annotator.drift.loading import StoryArticle
from annotator.models import Claim, Hedging

CUES = ("said", "told", "stated", "added", "claimed", "asserted", "noted", "reported", "warned", "according to")
APPROXIMATORS = ("more than", "over", "at least", "about", "nearly", "")
HEDGES = {"would": "could", "could": "might", "may": "would", "will": "could"}
_WORD = re.compile(r"\S+")


@dataclass(frozen=True)
class Rates:
    """How often each perturbation happens (per claim, or per word for word edits)."""

    omit: float = 0.15
    drop_word: float = 0.12
    replace_word: float = 0.12
    cut_end: float = 0.15
    add_words: float = 0.2
    approximator: float = 0.5
    hedge: float = 0.5
    cue: float = 0.3
    speaker: float = 0.1
    repeat: float = 0.05
    swap_order: float = 0.2


@dataclass(frozen=True)
class SyntheticStory:
    """The reference, its rewrites, and each claim's origin (its index in the reference)."""

    articles: list[StoryArticle]
    origin: dict[tuple[str, int], int]


def rewrite_story(reference: StoryArticle, count: int, seed: int = 0, rates: Rates = Rates()) -> SyntheticStory:
    """``count`` rewrites of ``reference``; the reference keeps its id and comes first."""
    rng = random.Random(seed)
    vocabulary = sorted({w for c in reference.claims for w in _WORD.findall(c.content)})
    origin = {(reference.id, i): i for i in range(len(reference.claims))}
    articles = [reference]
    for number in range(1, count + 1):
        article_id = f"{reference.id}-rw{number:03d}"
        speakers = dict(reference.speakers)
        claims: list[tuple[int, Claim]] = []
        for index, claim in enumerate(reference.claims):
            if rng.random() < rates.omit:
                continue
            copy = _perturb(claim, reference, vocabulary, rng, rates)
            claims.append((index, copy))
            if rng.random() < rates.repeat:
                claims.append((index, copy))
        for i in range(len(claims) - 1):
            if rng.random() < rates.swap_order:
                claims[i], claims[i + 1] = claims[i + 1], claims[i]
        for position, (index, _) in enumerate(claims):
            origin[(article_id, position)] = index
        articles.append(
            StoryArticle(id=article_id, path=Path(f"{article_id}.json"), claims=[c for _, c in claims],
                         speakers=speakers, outlet=f"Outlet {number}")
        )
    return SyntheticStory(articles=articles, origin=origin)


def _perturb(claim: Claim, article: StoryArticle, vocabulary: list[str], rng: random.Random, rates: Rates) -> Claim:
    words = _WORD.findall(claim.content)
    edited: list[str] = []
    for word in words:
        roll = rng.random()
        if roll < rates.drop_word and len(words) > 3:
            continue
        if roll < rates.drop_word + rates.replace_word and vocabulary:
            edited.append(rng.choice(vocabulary))
            continue
        edited.append(HEDGES.get(word, word) if rng.random() < rates.hedge else word)
    if rng.random() < rates.cut_end and len(edited) > 6:
        edited = edited[: max(4, int(len(edited) * 0.7))]
    if rng.random() < rates.add_words and vocabulary:
        edited += [rng.choice(vocabulary) for _ in range(rng.randint(2, 6))]
    def approximate(match: re.Match[str]) -> str:
        if rng.random() >= rates.approximator:
            return match.group(0)
        return f"{rng.choice(APPROXIMATORS)} {match.group(2)}".strip()

    content = re.sub(r"\b(more than|over|at least|about|nearly)?\s*(\d+)\b", approximate, " ".join(edited))
    speaker = claim.speaker
    if rng.random() < rates.speaker and len(article.speakers) > 1:
        speaker = rng.choice(sorted(article.speakers))
    name = article.speakers[speaker].name if speaker in article.speakers else speaker
    cue = rng.choice(CUES) if rng.random() < rates.cue else claim.cue
    hedging = claim.hedging
    if hedging is not None and any(w in content.split() for w in ("could", "might")):
        hedging = Hedging.high
    return claim.model_copy(update={
        "speaker": speaker, "content": content, "cue": cue, "hedging": hedging,
        "restatement": f"{name} {content}", "spans": None, "occurrence": None,
    })
