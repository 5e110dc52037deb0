"""The answer the model fills in, how it is checked, and what is kept of a last answer.

:class:`ClaimExtraction` is the ``response_model`` handed to instructor. Its items are
:class:`ModelClaim`: the claim contract's statement plus the cleaning a model's
verbatim copy needs (enclosing quotation marks, a final full stop). When the
validation context carries the article text, the validator grounds every claim and
raises on any that cannot be found, so instructor feeds the failure back to the model
(a re-ask) instead of letting invented text through. A model can never supply offsets:
they are attached here, after grounding.
"""

from __future__ import annotations

import json
from typing import Any

from instructor.utils.core import extract_json_from_codeblock
from pydantic import BaseModel, Field, PrivateAttr, ValidationError, ValidationInfo, field_validator, model_validator

from annotator.claims import ClaimStatement, ExtractedClaim, ground_all
from annotator.grounding import clean_fragment
from annotator.llm.settings import ExtractionMode
from annotator.models import DroppedClaim

ARTICLE_CONTEXT_KEY = "article_text"


class ModelOutputError(RuntimeError):
    """The model's last answer could not be parsed at all, even after re-asking."""


class ModelClaim(ClaimStatement):
    """One claim as the model writes it; verbatim fields are cleaned as the scheme says."""

    @field_validator("content", "mention", "cue")
    @classmethod
    def _strip(cls, value: str) -> str:
        return clean_fragment(value) if value else value


class ClaimExtraction(BaseModel):
    """The model's answer for one article (or one piece of a long article)."""

    claims: list[ModelClaim] = Field(
        default_factory=list,
        description="Every attributed claim in the article, in order of appearance",
    )
    _grounded: list[ExtractedClaim] = PrivateAttr(default_factory=list)

    @property
    def grounded(self) -> list[ExtractedClaim]:
        """The claims with offsets, once validated against the article."""
        return self._grounded

    @model_validator(mode="after")
    def _ground(self, info: ValidationInfo) -> ClaimExtraction:
        """Re-ask trigger: with the article in context, every claim must be found in it."""
        text = (info.context or {}).get(ARTICLE_CONTEXT_KEY)
        if text is None:
            return self
        claims = [ExtractedClaim.of(claim) for claim in self.claims]
        failures = ground_all(text, claims)
        if failures:
            lines = [f"claims[{f.index}]: {f.reason}" for f in failures]
            raise ValueError(
                "Some claims are not grounded in the article. Copy content, mention and "
                "cue verbatim from the article, or leave the claim out:\n" + "\n".join(lines)
            )
        self._grounded = claims
        return self


def salvage(
    completion: Any, text: str, mode: ExtractionMode
) -> tuple[list[ExtractedClaim], list[DroppedClaim]]:
    """Keep what grounds from the model's last answer; drop and explain the rest."""
    data = _last_answer(completion, mode)
    items = data.get("claims", []) if isinstance(data, dict) else []
    claims: list[ExtractedClaim] = []
    dropped: list[DroppedClaim] = []
    for item in items if isinstance(items, list) else []:
        try:
            claims.append(ExtractedClaim.of(ModelClaim.model_validate(item)))
        except ValidationError as error:
            content = str(item.get("content", "")) if isinstance(item, dict) else str(item)
            reason = error.errors()[0]
            dropped.append(DroppedClaim(content=content, reason=f"invalid claim: {reason['msg']}"))
    failures = ground_all(text, claims)
    failed = {f.index for f in failures}
    dropped.extend(DroppedClaim(content=f.claim.content, reason=f.reason) for f in failures)
    return [c for i, c in enumerate(claims) if i not in failed], dropped


def _last_answer(completion: Any, mode: ExtractionMode) -> Any:
    """The JSON the model last returned, whichever mode carried it."""
    if completion is None or not getattr(completion, "choices", None):
        raise ModelOutputError("the model returned no answer")
    message = completion.choices[0].message
    if mode is ExtractionMode.tools and message.tool_calls:
        raw = message.tool_calls[0].function.arguments
    else:
        raw = message.content or ""
    if mode is not ExtractionMode.tools:
        raw = extract_json_from_codeblock(raw)  # the same leniency instructor applies
    try:
        return json.loads(raw)
    except json.JSONDecodeError as error:
        raise ModelOutputError(f"the model's last answer is not valid JSON: {error}") from error
