"""The answer the model fills in, and how one answer is read: what grounds, what does not,
and what is wrong with the answer as a whole.

:class:`ClaimExtraction` is the ``response_model`` instructor turns into the tool or JSON
schema of the request. Its items are :class:`ModelClaim`: the claim contract's statement
plus the cleaning a model's verbatim copy needs (enclosing quotation marks, a final full
stop). An answer is read here, not by instructor's all-or-nothing validation, so that
one invented claim does not cost the seven good ones beside it: :func:`read_answer` keeps
every claim that grounds, lists the others with the reason, and reads the complete claims
of an answer cut off at the token limit. A model can never supply offsets: they are
attached by grounding.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from instructor.utils.core import extract_json_from_codeblock
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from annotator.claims import ClaimStatement, ExtractedClaim, ground_all
from annotator.grounding import clean_fragment
from annotator.llm.settings import ExtractionMode

ANSWER_CLIP = 300
"""Characters of an unreadable answer quoted back in an error message."""
LOOP_ITEMS = 6


class ModelOutputError(RuntimeError):
    """The model's answers could not be read as claims, even after re-asking."""


SCHEMA_ORDER = (
    "speaker", "speaker_type", "speaker_role", "mention", "cue", "content", "quote_type", "via",
    "hedging", "hedge_cues", "stance", "restatement",
)
"""The order of a claim's fields in the schema sent to the model: the few-shot example's.
A schema grammar (llama.cpp) makes the model write them in this order, so it must be the
order the example shows: with the contract's order (labels first, speaker last) against
the example's, the 1.5B model measured looped on one claim to the token limit."""


def _in_example_order(schema: dict[str, Any]) -> None:
    properties = schema["properties"]
    schema["properties"] = {name: properties[name] for name in SCHEMA_ORDER if name in properties} | {
        name: value for name, value in properties.items() if name not in SCHEMA_ORDER
    }


class ModelClaim(ClaimStatement):
    """One claim as the model writes it; verbatim fields are cleaned as the scheme says."""

    model_config = ConfigDict(json_schema_extra=_in_example_order)

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


@dataclass(frozen=True)
class FailedClaim:
    """A claim of the answer that cannot be kept: as the model wrote it, and why."""

    item: Any
    reason: str

    @property
    def content(self) -> str:
        if isinstance(self.item, dict):
            return str(self.item.get("content", ""))
        return str(self.item)


@dataclass
class Reading:
    """One answer, read against the piece of article it was asked about."""

    grounded: list[ExtractedClaim] = field(default_factory=list)
    failed: list[FailedClaim] = field(default_factory=list)
    problem: str | None = None
    """What is wrong with the answer as a whole (unreadable, not a claims list); then
    ``grounded`` and ``failed`` are empty unless it was only cut short."""
    truncated: bool = False
    """The server stopped at the token limit (``finish_reason: length``)."""
    call_id: str | None = None
    """The tool call's id (tools mode), which a re-ask's tool message must answer."""
    items: list[Any] = field(default_factory=list)
    """Every complete claim of the answer as the model wrote it, in order."""
    raw: str = ""
    """The answer's JSON text (tool arguments or message content)."""

    @property
    def settled(self) -> bool:
        """Nothing left to re-ask about."""
        return not self.failed and self.problem is None and not self.truncated

    @property
    def looping(self) -> bool:
        """Cut off while repeating itself: a small model's failure that a continuation
        only prolongs (measured: 21 items, 5 distinct, until the token limit)."""
        contents = [str(i.get("content", "")) if isinstance(i, dict) else str(i) for i in self.items]
        return self.truncated and len(contents) >= LOOP_ITEMS and len(set(contents)) * 2 <= len(contents)


def read_answer(completion: Any, text: str, mode: ExtractionMode, max_tokens: int | None = None) -> Reading:
    """Read one chat completion: ground each claim in ``text``, list the rest with reasons.

    An answer is cut off when the server says so (``finish_reason`` ``length``) or when it
    used every one of the ``max_tokens`` asked for: llama-cpp-python reports a tool call
    cut at the limit as ``tool_calls``, as if it were complete."""
    if completion is None or not getattr(completion, "choices", None):
        return Reading(problem="the server sent no answer (no choices)")
    choice = completion.choices[0]
    message = choice.message
    used = getattr(getattr(completion, "usage", None), "completion_tokens", None)
    truncated = getattr(choice, "finish_reason", None) == "length" or bool(
        max_tokens and isinstance(used, int) and used >= max_tokens
    )
    call_id = None
    raw = message.content or ""
    if message.tool_calls:
        call_id = message.tool_calls[0].id
        raw = message.tool_calls[0].function.arguments or ""
    if mode is not ExtractionMode.tools or not message.tool_calls:
        raw = extract_json_from_codeblock(raw) if raw.strip() else raw  # instructor's leniency
    items, problem = _claim_items(raw, truncated)
    reading = Reading(problem=problem, truncated=truncated, call_id=call_id, items=items or [], raw=raw)
    claims: list[ExtractedClaim] = []
    written: list[Any] = []
    for item in items or []:
        try:
            claims.append(ExtractedClaim.of(ModelClaim.model_validate(item)))
            written.append(item)
        except ValidationError as error:
            first = error.errors()[0]
            where = ".".join(str(part) for part in first["loc"])
            reading.failed.append(FailedClaim(item, f"invalid claim: {where}: {first['msg']}"))
    failures = ground_all(text, claims)
    failed = {f.index for f in failures}
    reading.failed.extend(FailedClaim(written[f.index], f.reason) for f in failures)
    reading.grounded = [c for i, c in enumerate(claims) if i not in failed]
    return reading


def _claim_items(raw: str, truncated: bool) -> tuple[list[Any] | None, str | None]:
    """The claims list of an answer, or why there is none."""
    if not raw.strip():
        return None, "the answer is empty"
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as error:
        if truncated:
            items = complete_items(raw)
            if items:
                return items, None
            return None, f"the answer was cut off at the token limit before its first claim ended: {error}"
        return None, f"the answer is not valid JSON ({error}): {_clip(raw)}"
    if isinstance(data, list):
        return None, "the answer is a bare JSON array; expected an object with a \"claims\" list"
    if not isinstance(data, dict) or "claims" not in data:
        return None, f"the answer has no \"claims\" list: {_clip(raw)}"
    if not isinstance(data["claims"], list):
        return None, f"the answer's \"claims\" is {json.dumps(data['claims'])[:40]}, not a list"
    return data["claims"], None


_CLAIMS_LIST = re.compile(r'"claims"\s*:\s*\[')


def complete_items(raw: str) -> list[Any]:
    """The complete JSON values of a ``"claims": [...]`` list that was cut off mid-way."""
    found = _CLAIMS_LIST.search(raw)
    if found is None:
        return []
    decoder = json.JSONDecoder()
    items: list[Any] = []
    position = found.end()
    while True:
        while position < len(raw) and raw[position] in " \t\r\n,":
            position += 1
        try:
            item, position = decoder.raw_decode(raw, position)
        except json.JSONDecodeError:
            return items
        items.append(item)


def _clip(raw: str) -> str:
    text = " ".join(raw.split())
    return repr(text if len(text) <= ANSWER_CLIP else text[: ANSWER_CLIP - 1] + "…")
