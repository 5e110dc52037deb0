"""What one claim reduces to for scoring, and how a matched pair is judged field by field.

A gold field that is ``None`` is unlabelled: the pair is not scored on it (imported
corpora label no hedging or stance). A prediction that leaves a labelled gold field
empty is scored, and wrong.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum
from functools import lru_cache

from annotator.evaluation.cues import cue_lemma
from annotator.evaluation.loading import SpeakerRule
from annotator.evaluation.tokens import TokenIndex, token_set, trim
from annotator.models import AnnotatedArticle, CharSpan, Claim, SpeakerType
from annotator.speakers import is_pronoun, normalise_name


class Field(str, Enum):
    """The fields scored on matched pairs, in report order."""

    speaker = "speaker"
    cue = "cue"
    quote_type = "quote_type"
    via = "via"
    hedging = "hedging"
    stance = "stance"


LABEL_FIELDS = (Field.quote_type, Field.hedging, Field.stance)


@dataclass(frozen=True)
class PreparedClaim:
    """A claim with everything scoring needs computed once: tokens, trimmed spans, names."""

    index: int
    claim: Claim
    speaker_name: str
    speaker_type: SpeakerType | None
    names: frozenset[str]
    content_ranges: tuple[tuple[int, int], ...]
    pieces: tuple[tuple[int, int], ...]
    mention_tokens: frozenset[int]
    cue_key: str | None

    @property
    def token_count(self) -> int:
        return sum(stop - start for start, stop in self.content_ranges)


def prepare(
    annotation: AnnotatedArticle, claims: list[Claim], tokens: TokenIndex, text: str, *, gold: bool
) -> list[PreparedClaim]:
    """Reduce an article's claims (already carrying spans) to :class:`PreparedClaim`.

    A gold speaker is known by its entity's name, every alias and the claim's mention;
    a predicted one by its entity's name and the claim's mention (the issue's rule).
    Pronouns never identify anyone by name.
    """
    speakers = {s.id: s for s in annotation.speakers}
    prepared = []
    for index, claim in enumerate(claims):
        entity = speakers.get(claim.speaker)
        raw = [entity.name if entity else claim.speaker, claim.mention or ""]
        if gold and entity is not None:
            raw += entity.aliases
        spans = claim.spans
        assert spans is not None, "loading gives every claim spans"
        content = without_complementiser(text, spans.content)
        prepared.append(
            PreparedClaim(
                index=index,
                claim=claim,
                speaker_name=entity.name if entity else claim.speaker,
                speaker_type=entity.type if entity else None,
                names=frozenset(n for n in map(_name_key, raw) if n),
                content_ranges=tokens.ranges(content),
                pieces=tuple(p for p in (trim(text, s) for s in content) if p[1] > p[0]),
                mention_tokens=token_set(tokens.ranges(spans.mention)),
                cue_key=cue_lemma(claim.cue),
            )
        )
    return prepared


_COMPLEMENTISER = re.compile(r"that\s+", re.IGNORECASE)


def without_complementiser(text: str, content: list[CharSpan]) -> list[CharSpan]:
    """The content without a leading "that", on either side of a comparison.

    The guidelines leave the complementiser out ("said that it ..." -> ``it ...``);
    PolNeAR's annotators put it in. Dropping it from both sides scores the proposition,
    not the convention, and keeps gold against itself exact.
    """
    if not content:
        return content
    first = content[0]
    found = _COMPLEMENTISER.match(text, first.start, first.end)
    if found is None or found.end() >= first.end:
        return content
    return [first.model_copy(update={"start": found.end()}), *content[1:]]


@lru_cache(maxsize=65536)
def _name_key(name: str) -> str:
    return "" if not name or is_pronoun(name) else normalise_name(name)


@dataclass(frozen=True)
class FieldOutcome:
    """One field of one matched pair: the two values shown to a reader, and the verdict."""

    field: Field
    gold: str | None
    pred: str | None
    correct: bool | None
    """``None`` when gold does not label the field."""


def speaker_correct(gold: PreparedClaim, pred: PreparedClaim, rule: SpeakerRule) -> bool:
    """Names agree after normalising; for mention-only gold, overlapping mentions also do."""
    if gold.names & pred.names:
        return True
    return rule is SpeakerRule.mentions and bool(gold.mention_tokens & pred.mention_tokens)


def compare(gold: PreparedClaim, pred: PreparedClaim, rule: SpeakerRule) -> tuple[FieldOutcome, ...]:
    """Judge every field of a matched pair."""
    g, p = gold.claim, pred.claim
    outcomes = [
        FieldOutcome(
            Field.speaker,
            _who(gold),
            _who(pred),
            speaker_correct(gold, pred, rule),
        ),
        FieldOutcome(
            Field.cue,
            g.cue,
            p.cue,
            None if gold.cue_key is None else gold.cue_key == pred.cue_key,
        ),
        FieldOutcome(
            Field.via,
            _via(g.via),
            _via(p.via),
            None if g.via is None else _via_key(g.via) == _via_key(p.via),
        ),
    ]
    for field in LABEL_FIELDS:
        gold_label, pred_label = _label(g, field), _label(p, field)
        verdict = None if gold_label is None else gold_label == pred_label
        outcomes.append(FieldOutcome(field, gold_label, pred_label, verdict))
    order = list(Field)
    return tuple(sorted(outcomes, key=lambda o: order.index(o.field)))


def _who(claim: PreparedClaim) -> str:
    mention = claim.claim.mention
    return f"{claim.speaker_name} ({mention})" if mention and mention != claim.speaker_name else claim.speaker_name


def _label(claim: Claim, field: Field) -> str | None:
    value = getattr(claim, field.value)
    return None if value is None else value.value


def _via(via: list[str] | None) -> str | None:
    return None if via is None else "[" + ", ".join(via) + "]"


def _via_key(via: list[str] | None) -> tuple[str, ...] | None:
    return None if via is None else tuple(normalise_name(v) for v in via)
