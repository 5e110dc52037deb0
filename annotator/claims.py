"""The claim contract: what every backend hands the pipeline.

A backend states each claim as an :class:`ExtractedClaim`: the speaker as a name (the
pipeline turns names into entities), the labels of :class:`~annotator.models.ClaimLabels`
with every verbatim field filled, and, when the backend knows them, the exact offsets.
A backend that knows offsets builds its claims with :meth:`ExtractedClaim.at`, which
cuts the verbatim strings from those offsets, so strings and spans can never disagree.
Claims without offsets are grounded by :func:`ground_all` (the pipeline does it for any
backend that did not).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import Field

from annotator.grounding import (
    FRAGMENT_SEPARATOR,
    NormalisedText,
    locate_claim,
    normalise,
)
from annotator.models import (
    CharSpan,
    ClaimLabels,
    ClaimSpans,
    Hedging,
    QuoteType,
    SpeakerType,
    Stance,
)


class ClaimStatement(ClaimLabels):
    """A claim as a backend states it: every label given, the speaker named, no offsets.

    The field descriptions are part of the contract: the LLM backend sends them to the
    model as the schema of its answer.
    """

    speaker: str = Field(
        description="The source's fullest name in the article, e.g. 'Souleymane Dembele', "
        "'Malian army', 'a resident of Kayes'. Resolve pronouns to the named source."
    )
    speaker_type: SpeakerType = Field(
        description="person, organization, anonymous (unnamed or vague), or author "
        "(only for the article's own unattributed assertions)"
    )
    speaker_role: str | None = Field(
        default=None, description="The speaker's role if the article gives one"
    )
    mention: str = Field(description="Verbatim words naming the speaker at this claim")
    cue: str = Field(description="Verbatim reporting words: said, told, according to, ...")
    content: str = Field(
        description="Verbatim claimed text, without cue or speaker; for a direct quote "
        "the quoted words without the quotation marks"
    )
    quote_type: QuoteType
    via: list[str] = Field(
        default_factory=list, description="Intermediaries, outermost first, e.g. ['BBC']"
    )
    hedging: Hedging
    hedge_cues: list[str] = Field(default_factory=list)
    stance: Stance
    restatement: str = Field(
        description="The content restated as one standalone sentence",
        validation_alias="restatement",
    )


class ExtractedClaim(ClaimStatement):
    """A stated claim plus its offsets in the article, once known."""

    spans: ClaimSpans | None = None

    @classmethod
    def at(
        cls,
        text: str,
        *,
        content: list[tuple[int, int]],
        mention: tuple[int, int],
        cue: tuple[int, int],
        **labels: Any,
    ) -> ExtractedClaim:
        """A claim from a backend that knows exact offsets: the verbatim fields are cut
        from ``text`` at those offsets (pieces of discontinuous content joined by
        :data:`~annotator.grounding.FRAGMENT_SEPARATOR`)."""
        spans = ClaimSpans(
            content=[CharSpan(start=a, end=b) for a, b in content],
            mention=[CharSpan(start=mention[0], end=mention[1])],
            cue=[CharSpan(start=cue[0], end=cue[1])],
        )
        return cls(
            content=FRAGMENT_SEPARATOR.join(text[a:b] for a, b in content),
            mention=text[mention[0] : mention[1]],
            cue=text[cue[0] : cue[1]],
            spans=spans,
            **labels,
        )

    @classmethod
    def of(cls, statement: ClaimStatement, spans: ClaimSpans | None = None) -> ExtractedClaim:
        """The contract's record of a statement (e.g. a model's answer item)."""
        return cls(**{name: getattr(statement, name) for name in ClaimStatement.model_fields},
                   spans=spans)

    def shift(self, offset: int) -> None:
        """Move offsets from a piece of the article to the whole article."""
        if self.spans is None or offset == 0:
            return
        self.spans = ClaimSpans(
            **{
                name: [
                    CharSpan(start=s.start + offset, end=s.end + offset, alignment=s.alignment)
                    for s in getattr(self.spans, name)
                ]
                for name in ("content", "mention", "cue")
            }
        )

    def ground(self, text: str, folded: NormalisedText, occurrence: int | None = None) -> None:
        """Attach offsets, raising :class:`GroundingError` naming the field that failed."""
        self.spans = locate(self, text, folded, occurrence)


class GroundingError(ValueError):
    """A verbatim field is not in the article: the claim may be invented."""


def locate(
    claim: ClaimStatement, text: str, folded: NormalisedText, occurrence: int | None = None
) -> ClaimSpans:
    """Offsets of a stated claim's verbatim fields, or :class:`GroundingError` naming the
    first field that is empty or not in the article."""
    for name in ("mention", "cue"):
        if not getattr(claim, name).strip():
            raise GroundingError(f"{name} is empty: copy the {name} verbatim from the article")
    found = locate_claim(
        text, claim.content, claim.mention, claim.cue, occurrence=occurrence, folded=folded
    )
    if found.spans is None:
        raise GroundingError(f"content not found verbatim in the article: {claim.content!r}")
    if found.missing:
        name = found.missing[0]
        raise GroundingError(f"{name} not found in the article: {getattr(claim, name)!r}")
    return found.spans


@dataclass(frozen=True)
class GroundingFailure:
    """A claim that could not be grounded and why."""

    index: int
    claim: ClaimStatement
    reason: str


def ground_all(text: str, claims: list[ExtractedClaim]) -> list[GroundingFailure]:
    """Ground every claim in place; return those that failed.

    Identical contents take successive occurrences, so a passage the page repeats is
    labelled at each place it stands (the scheme's rule for scraping duplicates).
    """
    if not claims:
        return []  # nothing to ground: skip normalising the whole text
    folded = normalise(text)
    seen: dict[str, int] = {}
    failures: list[GroundingFailure] = []
    for index, claim in enumerate(claims):
        count = seen.get(claim.content, 0) + 1
        seen[claim.content] = count
        try:
            claim.ground(text, folded, occurrence=count if count > 1 else None)
        except GroundingError as error:
            if count > 1:
                try:
                    claim.ground(text, folded)
                    continue
                except GroundingError:
                    pass
            failures.append(GroundingFailure(index, claim, str(error)))
    return failures
