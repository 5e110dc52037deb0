"""Typed records that cross module boundaries: articles in, claims out.

The gold file format of ``shared/annotation-scheme.md`` is the spine: a prediction is a
gold-shaped :class:`AnnotatedArticle` plus provenance, so the eval harness compares
gold to gold and prediction to gold with one code path.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from enum import Enum
from typing import Any

from pydantic import AliasChoices, BaseModel, ConfigDict, Field


class QuoteType(str, Enum):
    """How much of the content stands inside quotation marks."""

    direct = "direct"
    mixed = "mixed"
    indirect = "indirect"


class Hedging(str, Enum):
    """The speaker's commitment to the content (ordinal: none < low < high)."""

    none = "none"
    low = "low"
    high = "high"


HEDGING_ORDER: tuple[Hedging, ...] = (Hedging.none, Hedging.low, Hedging.high)


class Stance(str, Enum):
    """The author's attitude to the attributed content."""

    endorse = "endorse"
    neutral = "neutral"
    distance = "distance"
    dispute = "dispute"


class SpeakerType(str, Enum):
    """What kind of source a speaker is; ``author`` only for unattributed assertions."""

    person = "person"
    organization = "organization"
    anonymous = "anonymous"
    author = "author"


class Alignment(str, Enum):
    """How a verbatim field was found in the article, from most to least trustworthy."""

    exact = "exact"
    normalised = "normalised"
    fuzzy = "fuzzy"


class Article(BaseModel):
    """One input document, already reduced to plain text."""

    model_config = ConfigDict(frozen=True)

    id: str
    text: str
    path: str
    title: str | None = None
    url: str | None = None
    date: str | None = None
    outlet: str | None = None
    """The publication, when the input names it (or its URL's host does)."""

    @property
    def sha256(self) -> str:
        """Content hash used to decide whether stored output is still valid."""
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()


class CharSpan(BaseModel):
    """Half-open character offsets ``[start, end)`` into the article text."""

    start: int = Field(ge=0)
    end: int = Field(ge=0)
    alignment: Alignment = Alignment.exact


class ClaimSpans(BaseModel):
    """Where each verbatim field of a claim sits; several spans for discontinuous text."""

    content: list[CharSpan]
    mention: list[CharSpan] = Field(default_factory=list)
    cue: list[CharSpan] = Field(default_factory=list)
    hedge_cues: list[CharSpan] = Field(
        default_factory=list,
        description="one span per hedge cue, in the order of hedge_cues, each inside the content",
    )


class Speaker(BaseModel):
    """A source entity: every way the article names it is an alias of one id."""

    id: str
    name: str
    type: SpeakerType
    role: str | None = None
    aliases: list[str] = Field(default_factory=list)


class ClaimLabels(BaseModel):
    """The labelled fields of a claim, wherever it appears: a gold file, a backend's answer,
    an article's output, a row of ``claims.jsonl``. Adding a field means adding it here.

    ``None`` in a labelled field means "not labelled" (imported corpora carry no hedging
    or stance); the harness leaves such fields unscored instead of counting them wrong.
    """

    model_config = ConfigDict(populate_by_name=True)

    mention: str | None = None
    cue: str | None = None
    content: str
    quote_type: QuoteType | None = None
    via: list[str] | None = Field(default_factory=list)
    hedging: Hedging | None = None
    hedge_cues: list[str] = Field(default_factory=list)
    stance: Stance | None = None
    restatement: str | None = Field(
        default=None,
        validation_alias=AliasChoices("restatement", "claim"),
        serialization_alias="claim",
        description="The content as one standalone sentence, written by the backend (never "
        "verbatim: a model's restatement is unverified by design). Gold files call it "
        "'claim' (the scheme's name); outputs of schema 1 did too.",
    )

    def labels(self) -> dict[str, Any]:
        """The label fields by name, to carry them into another claim record unchanged."""
        return {name: getattr(self, name) for name in ClaimLabels.model_fields}


class Unverified(BaseModel):
    """What a backend said of a claim that the article does not contain.

    Kept for inspection, never used as a label: the claim's own fields hold only what
    was found in the text (a speaker name not in the article is replaced by the mention
    that is; a role, an intermediary or a hedge cue not found is left out there).
    """

    speaker: str | None = Field(default=None, description="the speaker name the backend gave")
    speaker_role: str | None = None
    via: list[str] = Field(default_factory=list)
    hedge_cues: list[str] = Field(default_factory=list, description="hedge cues not inside the content")

    def __bool__(self) -> bool:
        return bool(self.speaker or self.speaker_role or self.via or self.hedge_cues)


RESTATEMENT_BY_DESCRIPTION = (
    "who wrote the restatement: the backend's name ('llm': a language model wrote it; 'offline': "
    "rules did). Never the article's words and never checked against them. Absent in gold."
)


class Claim(ClaimLabels):
    """One attributed proposition, in the gold file format: the speaker is an id."""

    speaker: str = Field(description="id of an entry in the article's speakers list")
    occurrence: int | None = Field(default=None, ge=1)
    spans: ClaimSpans | None = None
    unverified: Unverified | None = Field(
        default=None, description="what the backend said that the article does not contain"
    )
    restatement_by: str | None = Field(default=None, description=RESTATEMENT_BY_DESCRIPTION)


class AnnotatedArticle(BaseModel):
    """Speakers and claims of one article: exactly the gold file format."""

    article: str
    speakers: list[Speaker] = Field(default_factory=list)
    claims: list[Claim] = Field(default_factory=list)


class Usage(BaseModel):
    """Tokens and requests spent, summed over every attempt including failed ones."""

    requests: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    total_tokens: int = 0

    def __add__(self, other: Usage) -> Usage:
        return Usage(
            requests=self.requests + other.requests,
            prompt_tokens=self.prompt_tokens + other.prompt_tokens,
            completion_tokens=self.completion_tokens + other.completion_tokens,
            total_tokens=self.total_tokens + other.total_tokens,
        )


class DroppedClaim(BaseModel):
    """A claim the model returned that could not be grounded, kept for drill-down."""

    content: str
    reason: str


class Exchange(BaseModel):
    """One HTTP round trip with the model, kept for the article's log (never the key).

    ``request`` and ``response`` are the JSON bodies as sent and received: the wire
    format is the record, so they stay plain JSON objects.
    """

    request: dict[str, Any]
    response: dict[str, Any] | None = None
    error: str | None = None


@dataclass(frozen=True)
class CacheKey:
    """What a stored result must match to be reused instead of redone."""

    text_sha256: str
    backend: str
    model: str
    prompt_version: str


SCHEMA_VERSION = 2
"""Version of the output files. 2: results carry their text, title, url and date, and
``claim`` is called ``restatement``. Schema 1 outputs are still read (see ``store``)."""


class ArticleResult(AnnotatedArticle):
    """A prediction: the gold-shaped annotation plus what produced it and at what cost.

    Self-contained: ``text`` is the exact text every offset points into, so a result
    can be checked, viewed or scored without the input folder.
    """

    schema_version: int = SCHEMA_VERSION
    source: str = Field(description="path of the input file (and record, for JSON input)")
    text_sha256: str
    title: str | None = None
    url: str | None = None
    date: str | None = None
    outlet: str | None = None
    backend: str
    model: str
    prompt_version: str
    annotator_version: str
    chunks: int = 1
    dropped_claims: int = 0
    dropped: list[DroppedClaim] = Field(default_factory=list)
    usage: Usage = Field(default_factory=Usage)
    errors: list[str] = Field(default_factory=list)
    warnings: list[str] = Field(
        default_factory=list,
        description="what to check although the article succeeded: no claims where the text has "
        "quotations and reporting verbs, an answer cut off at the token limit",
    )
    seconds: float = 0.0
    text: str | None = Field(
        default=None, description="the article text the offsets refer to (absent in schema 1)"
    )

    @property
    def ok(self) -> bool:
        """An article with errors is redone on the next run; a clean one is kept."""
        return not self.errors

    @property
    def cache_key(self) -> CacheKey:
        return CacheKey(self.text_sha256, self.backend, self.model, self.prompt_version)
