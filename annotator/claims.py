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

import re
from dataclasses import dataclass
from typing import Any

from pydantic import Field

from annotator.fidelity import WORD, fold, words
from annotator.grounding import (
    FRAGMENT_SEPARATOR,
    NormalisedText,
    candidates,
    locate_claim,
    normalise,
    why_not_found,
)
from annotator.models import (
    CharSpan,
    ClaimLabels,
    ClaimSpans,
    Hedging,
    QuoteType,
    SpeakerType,
    Stance,
    Unverified,
)
from annotator.speakers import PRONOUNS, TITLES


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
    """A stated claim plus its offsets in the article, once known, and what of it the
    article does not support (see :meth:`verify`)."""

    spans: ClaimSpans | None = None
    unverified: Unverified | None = None

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
                for name in ("content", "mention", "cue", "hedge_cues")
            }
        )

    def ground(self, text: str, folded: NormalisedText, occurrence: int | None = None) -> None:
        """Attach offsets, raising :class:`GroundingError` naming the field that failed.

        The verbatim fields then become the article's own words at those offsets, whichever
        tier found them: what is stored is what the article says, never the backend's copy.
        """
        spans = locate(self, text, folded, occurrence)
        self.spans = spans
        self.content = _at(text, spans.content)
        self.mention = _at(text, spans.mention)
        self.cue = _at(text, spans.cue)

    def verify(self, text: str, index: TextIndex) -> None:
        """Check the fields grounding does not place, once the claim has offsets.

        The speaker name, the role and every intermediary must occur in the article (word
        for word, case and punctuation aside), and a speaker name must not contradict a
        mention that is itself a name (:func:`names_someone_else`); hedge cues must lie
        inside the content and get offsets. What fails is moved to :attr:`unverified` (added
        to what an earlier check put there); a speaker name the article does not contain is
        replaced by the mention, which it does.
        """
        if self.spans is None:
            return
        missing = self.unverified.model_copy(deep=True) if self.unverified else Unverified()
        if not index.contains(self.speaker) or names_someone_else(self.mention, self.speaker):
            missing.speaker = self.speaker
            self.speaker = self.mention
        if self.speaker_role and not index.contains(self.speaker_role):
            missing.speaker_role, self.speaker_role = self.speaker_role, None
        missing.via += [item for item in self.via if not index.contains(item)]
        self.via = [item for item in self.via if index.contains(item)]
        cues: list[str] = []
        cue_spans: list[CharSpan] = []
        for cue in self.hedge_cues:
            span = _inside(text, cue, self.spans.content, cue_spans)
            if span is None:
                missing.hedge_cues.append(cue)
            else:
                cues.append(text[span.start : span.end])
                cue_spans.append(span)
        self.hedge_cues = cues
        self.spans = self.spans.model_copy(update={"hedge_cues": cue_spans})
        self.unverified = missing if missing else None


class TextIndex:
    """The article's words, case, accents and punctuation folded, for phrase look-ups.

    Apostrophes split words here, so "MSNBC" is found in "MSNBC's"."""

    def __init__(self, text: str) -> None:
        self._joined = " " + " ".join(_keys(text)) + " "

    def contains(self, phrase: str) -> bool:
        """Whether the article has ``phrase``'s words, in order and side by side."""
        keys = _keys(phrase)
        return bool(keys) and f" {' '.join(keys)} " in self._joined


def _keys(text: str) -> list[str]:
    return [fold(match.group()) for match in WORD.finditer(_APOSTROPHES.sub(" ", text))]


_APOSTROPHES = re.compile("['\u2019]")
_FUNCTION_WORDS = frozenset("a an the of for and in on at to".split())


def names_someone_else(mention: str, name: str) -> bool:
    """Whether ``mention`` is itself a name ("Council chair Ines Albrecht") that the
    speaker ``name`` neither shares a word with nor abbreviates ("JNIM" for "Jama'at Nusrat
    al-Islam wal Muslimin"): then the name, even if the article has it somewhere, is not
    this mention's. Pronouns and descriptions ("He", "the group", "A spokesperson")
    contradict nothing."""
    proper = [
        w for w in words(_APOSTROPHES.sub(" ", mention))
        if w.text[:1].isupper() and w.key not in TITLES | PRONOUNS | _FUNCTION_WORDS
    ]
    if not proper:
        return False
    shared = (set(_keys(mention)) & set(_keys(name))) - _FUNCTION_WORDS - TITLES
    return not shared and not _abbreviates(mention, name) and not _abbreviates(name, mention)


def _abbreviates(short: str, long: str) -> bool:
    """Some capitalised word of ``short`` ("JNIM", "US") spells, in order, initials of
    ``long``'s words."""
    initials = "".join(key[0] for key in _keys(re.sub(r"[-\u2010-\u2015]", " ", long)) if key)
    return any(
        len(w.text) >= 2 and w.text.isupper() and _subsequence(w.key, initials)
        for w in words(short.replace(".", ""))  # "U.S." is "US"
    )


def _subsequence(needle: str, haystack: str) -> bool:
    letters = iter(haystack)
    return all(ch in letters for ch in needle)


def _at(text: str, spans: list[CharSpan]) -> str:
    return FRAGMENT_SEPARATOR.join(text[s.start : s.end] for s in spans)


def _inside(text: str, cue: str, content: list[CharSpan], taken: list[CharSpan]) -> CharSpan | None:
    """The first instance of ``cue`` inside a content span that no earlier cue took."""
    for piece in content:
        for found in candidates(text[piece.start : piece.end], cue, allow_fuzzy=False):
            span = CharSpan(start=piece.start + found.start, end=piece.start + found.end,
                            alignment=found.alignment)
            if all(span.start != t.start for t in taken):
                return span
    return None


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
        hint = why_not_found(text, claim.content, folded)
        raise GroundingError(
            f"content not found verbatim in the article: {claim.content!r}" + (f" ({hint})" if hint else "")
        )
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


def verify_all(text: str, claims: list[ExtractedClaim]) -> None:
    """:meth:`ExtractedClaim.verify` every claim against one index of the article."""
    if claims:
        index = TextIndex(text)
        for claim in claims:
            claim.verify(text, index)
