"""What a backend returns: claims with verbatim strings, before grounding and entity ids.

:class:`ClaimExtraction` is also the ``response_model`` handed to instructor. When the
validation context carries the article text, its validator grounds every claim and
raises on any that cannot be found, so instructor feeds the failure back to the model
(a re-ask) instead of letting invented text through.
"""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import BaseModel, Field, PrivateAttr, ValidationInfo, field_validator, model_validator

from annotator.grounding import (
    NormalisedText,
    clean_fragment,
    locate_fragments,
    normalise,
)
from annotator.models import CharSpan, ClaimSpans, Hedging, QuoteType, SpeakerType, Stance

ARTICLE_CONTEXT_KEY = "article_text"


class ExtractedClaim(BaseModel):
    """One claim as a model (or the offline backend) states it, with verbatim fields."""

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
    claim: str = Field(description="The content restated as one standalone sentence")

    _spans: ClaimSpans | None = PrivateAttr(default=None)

    @field_validator("content", "mention", "cue")
    @classmethod
    def _strip(cls, value: str) -> str:
        return clean_fragment(value) if value else value

    @property
    def spans(self) -> ClaimSpans | None:
        """Offsets set by grounding; ``None`` until grounded."""
        return self._spans

    def place(self, spans: ClaimSpans) -> None:
        """Record offsets a backend knows exactly; the pipeline then skips string grounding."""
        self._spans = spans

    def shift(self, offset: int) -> None:
        """Move grounded offsets from a piece of the article to the whole article."""
        if self._spans is None or offset == 0:
            return
        self._spans = ClaimSpans(
            **{
                name: [
                    CharSpan(start=s.start + offset, end=s.end + offset, alignment=s.alignment)
                    for s in getattr(self._spans, name)
                ]
                for name in ("content", "mention", "cue")
            }
        )

    def ground(self, text: str, folded: NormalisedText, occurrence: int | None = None) -> None:
        """Attach offsets, raising :class:`GroundingError` naming the field that failed."""
        content = locate_fragments(text, self.content, occurrence=occurrence, folded=folded)
        if content is None:
            raise GroundingError(f"content not found verbatim in the article: {self.content!r}")
        anchor = content[0].start
        mention = locate_fragments(text, self.mention, near=anchor, folded=folded)
        if mention is None:
            raise GroundingError(f"mention not found in the article: {self.mention!r}")
        cue = locate_fragments(text, self.cue, near=anchor, folded=folded)
        if cue is None:
            raise GroundingError(f"cue not found in the article: {self.cue!r}")
        self._spans = ClaimSpans(content=content, mention=mention, cue=cue)


class GroundingError(ValueError):
    """A verbatim field is not in the article: the claim may be invented."""


@dataclass(frozen=True)
class GroundingFailure:
    """A claim that could not be grounded and why."""

    index: int
    claim: ExtractedClaim
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


class ClaimExtraction(BaseModel):
    """The model's answer for one article (or one piece of a long article)."""

    claims: list[ExtractedClaim] = Field(
        default_factory=list,
        description="Every attributed claim in the article, in order of appearance",
    )

    @model_validator(mode="after")
    def _grounded(self, info: ValidationInfo) -> ClaimExtraction:
        """Re-ask trigger: with the article in context, every claim must be found in it."""
        text = (info.context or {}).get(ARTICLE_CONTEXT_KEY)
        if text is None:
            return self
        failures = ground_all(text, self.claims)
        if failures:
            lines = [f"claims[{f.index}]: {f.reason}" for f in failures]
            raise ValueError(
                "Some claims are not grounded in the article. Copy content, mention and "
                "cue verbatim from the article, or leave the claim out:\n" + "\n".join(lines)
            )
        return self
