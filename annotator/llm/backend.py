"""Claims from a chat model: pieces within the context budget, targeted re-asks, merging.

Two layers of retry, each catching only its own failures: the transport
(:mod:`annotator.llm.transport`) retries transient faults of one request; this module
re-asks when an answer does not parse or does not ground, at most ``max_reasks`` times.

A re-ask is about what went wrong, never the whole conversation again: it sends the
article once more, then, as the model's own turn, only the claims that failed (or the
unreadable answer, clipped, or the last claim before an answer was cut off), and the
feedback. Claims that grounded are kept from the answer that gave them. So every re-ask
fits the context budget (:mod:`annotator.llm.budget`) however many rounds it takes,
instead of growing by a whole answer each time (measured: 9,977 tokens against an 8,192
context on the second re-ask). After the last round, what still fails is dropped and
counted, with the reason.
"""

from __future__ import annotations

import asyncio
import copy
import json
from dataclasses import dataclass, field
from typing import Any

import httpx
import openai
from instructor import Mode
from instructor.processing.response import handle_response_model
from rapidfuzz import fuzz

from annotator.backends import BackendUnavailable, Extraction, ExtractionFailed
from annotator.chunking import Piece, TokenCounter, merge_duplicates, split, token_counter
from annotator.claims import ExtractedClaim
from annotator.furniture import Enclosure, page_furniture
from annotator.llm.answer import ClaimExtraction, FailedClaim, ModelOutputError, Reading, read_answer
from annotator.llm.budget import Budget, BudgetError, request_tokens
from annotator.llm.dialects import context_limit
from annotator.llm.estimate import Estimate
from annotator.llm.preflight import EndpointUnusable
from annotator.llm.settings import Dialect, ExtractionMode, LLMSettings
from annotator.llm.transport import Meter, RequestRejected, Sleep, Transport, describe
from annotator.models import Article, DroppedClaim
from annotator.prompts import PromptSet
from annotator.secrets import api_key

INSTRUCTOR_MODES = {
    ExtractionMode.tools: Mode.TOOLS,
    ExtractionMode.json_schema: Mode.JSON_SCHEMA,
    ExtractionMode.json: Mode.JSON,
}
ECHO_CLIP = 1200
"""Characters of an unreadable answer sent back with the re-ask."""
ANSWERED = 60
"""rapidfuzz partial ratio at which a re-ask's claim answers a claim it was asked about."""
REASK_CALL_ID = "call_reask"


@dataclass
class PieceOutcome:
    """What one piece gave, after its re-asks."""

    claims: list[ExtractedClaim] = field(default_factory=list)
    dropped: list[DroppedClaim] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


class ContextOverflow(Exception):
    """The server's context is smaller than the budget assumed; it said how large."""

    def __init__(self, context: int) -> None:
        super().__init__(context)
        self.context = context


class LLMBackend:
    """Claims from a chat model, grounded, re-asked about what does not ground.

    The keyword arguments are seams: ``http_client`` (any ``httpx.AsyncClient``, e.g.
    with a recording or mock transport), ``count_tokens`` (how prompts and pieces are
    measured; default the model's tiktoken encoding), ``sleep`` (the wait between
    attempts) and ``key`` (default: :func:`annotator.secrets.api_key`).
    """

    name = "llm"

    def __init__(
        self,
        settings: LLMSettings,
        prompts: PromptSet,
        *,
        http_client: httpx.AsyncClient | None = None,
        count_tokens: TokenCounter | None = None,
        sleep: Sleep = asyncio.sleep,
        key: str | None = None,
    ) -> None:
        self._given = settings
        self.prompts = prompts
        self.model = settings.model
        self.prompt_version = prompts.version
        self._transport = Transport(
            settings.resolved(), key if key is not None else api_key(), http_client=http_client, sleep=sleep,
            chosen=settings.dialect,
        )
        self.endpoint: str | None = self._transport.endpoint
        self.rate_limiter = self._transport.limiter
        """Shared by every request of the run (see :mod:`annotator.llm.ratelimit`)."""
        self._count_tokens = count_tokens or token_counter(settings.model)
        self._budget: Budget | None = None
        self.server: str | None = None
        """What the pre-flight found (``llama-cpp-python``, ``ollama``, ...), if it ran."""

    @property
    def settings(self) -> LLMSettings:
        """The settings in force: ``auto`` values decided (after the pre-flight, for the server)."""
        return self._transport.settings

    @property
    def mode(self) -> str | None:
        return self.settings.mode.value

    @property
    def dialect(self) -> Dialect:
        return self.settings.dialect

    async def prepare(self) -> list[str]:
        """The pre-flight, then the budget; raises :class:`~annotator.backends.BackendUnavailable` when the run
        cannot work (dead endpoint, refused key, model not served, context too small)."""
        notes: list[str] = []
        if self._given.preflight:
            try:
                info = await self._transport.preflight(self._given)
            except EndpointUnusable as error:
                raise BackendUnavailable(str(error)) from error
            self.server = info.kind
            notes.extend(info.notes)
        try:
            budget = self.budget()
        except BudgetError as error:
            raise BackendUnavailable(str(error)) from error
        settings = self.settings
        notes.append(
            f"{self.server or 'server'} speaks dialect {settings.dialect.value}: mode {settings.mode.value}, "
            f"context {budget.context} tokens, --max-tokens {budget.max_tokens}, "
            f"pieces of at most {self._piece_tokens(budget)} tokens, --timeout {settings.timeout_seconds:g} s"
        )
        return notes

    def budget(self) -> Budget:
        """The context budget for the settings in force (raises :class:`BudgetError`)."""
        if self._budget is None:
            settings = self.settings
            empty = Article(id="budget", text="", path="")
            messages = [m.as_dict() for m in self.prompts.render(empty, "")]
            fixed = self._prompt_tokens(self._request(messages))
            budget = Budget.of(settings.context_tokens or 0, settings.max_tokens or 0, fixed)
            budget.check()
            self._budget = budget
        return self._budget

    def _piece_tokens(self, budget: Budget) -> int:
        return min(self.settings.max_article_tokens, budget.piece)

    def _prompt_tokens(self, request: dict[str, Any]) -> int:
        """Prompt tokens of ``request`` as the server will count them (over, not under)."""
        return request_tokens(request, self._count_tokens, self._schema_in_prompt())

    def _schema_in_prompt(self) -> bool:
        """Whether the server puts the answer schema into the prompt (and counts it)."""
        settings = self.settings
        return settings.mode is ExtractionMode.tools or settings.dialect is Dialect.openai

    async def aclose(self) -> None:
        """Close the connections of the run's client."""
        await self._transport.aclose()

    async def extract(self, article: Article) -> Extraction:
        """Annotate each piece of the article and merge the pieces' claims.

        A failure carries what was already spent and exchanged, with the key redacted,
        so a failed article is still paid for in the totals and can be inspected.
        """
        meter = Meter()
        claims: list[ExtractedClaim] = []
        dropped: list[DroppedClaim] = []
        warnings: list[str] = []
        try:
            pieces = self.pieces(article)
            done = 0
            while done < len(pieces):
                try:
                    outcome = await self.extract_piece(article, pieces[done], done + 1, len(pieces), meter)
                except ContextOverflow as overflow:
                    pieces = self._resplit(pieces, done, overflow.context)
                    warnings.append(f"the server's context is {overflow.context} tokens; the article was "
                                    f"split again into {len(pieces)} pieces")
                    continue
                claims.extend(outcome.claims)
                dropped.extend(outcome.dropped)
                warnings.extend(outcome.warnings)
                done += 1
        except Exception as error:
            message = self._transport.redact(describe(error))
            raise ExtractionFailed(message, meter.usage, meter.exchanges) from error
        kept, furniture = _outside_furniture(article.text, merge_duplicates(claims))
        return Extraction(
            claims=kept,
            dropped=dropped + furniture,
            usage=meter.usage,
            chunks=len(pieces),
            exchanges=meter.exchanges,
            warnings=warnings,
        )

    def pieces(self, article: Article) -> list[Piece]:
        """The pieces the article is sent in: one, unless it is longer than the budget allows."""
        return split(article.text, self._piece_tokens(self.budget()), self._count_tokens)

    def _resplit(self, pieces: list[Piece], index: int, context: int) -> list[Piece]:
        """Pieces again for the context the server stated, from ``index`` on; raises when
        the budget already was that context (the piece cannot fit any better)."""
        if self.budget().context <= context:
            raise BudgetError(
                f"a paragraph of this article does not fit the server's context of {context} tokens "
                f"with the prompt and --max-tokens {self.budget().max_tokens}"
            )
        budget = self.budget().with_context(context)
        budget.check()
        self._budget = budget
        again = split(pieces[index].text, self._piece_tokens(budget), self._count_tokens)
        start = pieces[index].start
        return [*pieces[:index], *(Piece(start + p.start, p.text) for p in again), *pieces[index + 1 :]]

    def estimate(self, article: Article) -> Estimate:
        """The requests ``article`` would cost, counted without sending any."""
        budget = self.budget()
        pieces = self.pieces(article)
        rounds = 1 + self.settings.max_reasks
        prompts = [
            self._prompt_tokens(self._request(self._messages(article, piece, n, len(pieces))))
            for n, piece in enumerate(pieces, 1)
        ]
        return Estimate(
            article=article.id,
            characters=len(article.text),
            pieces=len(pieces),
            prompt_tokens=sum(prompts),
            worst_prompt_tokens=sum(prompts) * rounds + len(pieces) * (rounds - 1) * budget.reask,
            worst_completion_tokens=len(pieces) * rounds * budget.max_tokens,
        )

    # ------------------------------------------------------------ one piece, re-asked

    async def extract_piece(
        self, article: Article, piece: Piece, number: int, count: int, meter: Meter
    ) -> PieceOutcome:
        """One piece's claims (piece ``number`` of ``count``), re-asked as needed. Pieces
        do not depend on one another: the batch API sends every piece's first request
        at once by calling this per piece (:mod:`annotator.batch`)."""
        base = self._messages(article, piece, number, count)
        outcome = PieceOutcome()
        reading = await self._ask(base, meter, piece.text)
        answers, readable = 1, reading.problem is None or bool(reading.items)
        pending: list[FailedClaim] = []
        state: str | None = None
        while True:
            outcome.claims.extend(reading.grounded)
            pending, withdrawn = self._pending(pending, reading)
            outcome.dropped.extend(_dropped(withdrawn, "withdrawn by the model when re-asked: "))
            if reading.settled or reading.looping or answers > self.settings.max_reasks:
                break
            previous, state = state, _state(reading, pending)
            if state == previous:  # the model gave back what it was asked about unchanged
                break
            follow_up, unasked = self._follow_up(base, reading, pending)
            outcome.dropped.extend(_dropped(unasked, "not re-asked (no room left in the context budget): "))
            pending = [c for c in pending if c not in unasked]
            try:
                reading = await self._ask(follow_up, meter, piece.text)
            except RequestRejected as refusal:  # the first answer's claims stand; these cannot be asked
                outcome.warnings.append(f"piece {number}: the server refused the re-ask ({refusal.field})")
                outcome.dropped.extend(_dropped(pending, "not re-asked (the server refused the re-ask): "))
                pending = []
                break
            answers += 1
            readable = readable or reading.problem is None or bool(reading.items)
        outcome.dropped.extend(_dropped(pending, ""))
        if reading.problem is not None:
            if not readable:
                raise ModelOutputError(f"no answer could be read as claims ({answers} answers); "
                                       f"the last: {reading.problem}")
            outcome.warnings.append(f"piece {number}: the last answer was unusable ({reading.problem})")
        if reading.looping:
            outcome.warnings.append(
                f"piece {number}: the model repeated itself until --max-tokens {self.budget().max_tokens}; "
                "the distinct claims are kept, others may be missing"
            )
        elif reading.truncated:
            outcome.warnings.append(
                f"piece {number}: the answer was still cut off at --max-tokens {self.budget().max_tokens} "
                f"after {answers - 1} re-ask(s); claims after it may be missing"
            )
        for claim in outcome.claims:
            claim.shift(piece.start)
        return outcome

    @staticmethod
    def _pending(asked: list[FailedClaim], reading: Reading) -> tuple[list[FailedClaim], list[FailedClaim]]:
        """The failed claims still owed a correction after ``reading``, and those the model
        withdrew.

        An unusable answer answers nothing: what was asked stays asked. Otherwise the
        answer's own failures are pending, and a claim asked about that the answer did not
        take up again (no claim of it has its speaker, mention or a content like it) is
        withdrawn: dropped and counted, never silently lost.
        """
        if reading.problem is not None and not reading.items:
            return asked, []
        withdrawn = [claim for claim in asked if not any(_takes_up(item, claim) for item in reading.items)]
        return reading.failed, withdrawn

    def _follow_up(
        self, base: list[dict[str, Any]], reading: Reading, asked: list[FailedClaim]
    ) -> tuple[list[dict[str, Any]], list[FailedClaim]]:
        """The re-ask for ``reading``, trimmed to the budget; and the claims left out."""
        budget = self.budget()
        kept = len(reading.grounded)
        unasked: list[FailedClaim] = []
        while True:
            echo, feedback = _reask_text(reading, asked, kept)
            messages = [*base, *self._turn(echo, feedback, reading.call_id)]
            tokens = self._prompt_tokens(self._request(messages))
            if budget.answer_room(tokens) >= min(budget.max_tokens, 256) or not asked:
                return messages, unasked
            unasked.insert(0, asked[-1])
            asked = asked[:-1]

    def _turn(self, echo: str, feedback: str, call_id: str | None) -> list[dict[str, Any]]:
        """The model's turn (what it said, or the part of it asked about) and the feedback,
        as the mode's protocol has them: a tool call and its result, or two messages."""
        if self.settings.mode is ExtractionMode.tools:
            call_id = call_id or REASK_CALL_ID
            function = {"name": ClaimExtraction.__name__, "arguments": echo}
            call = {"id": call_id, "type": "function", "function": function}
            return [
                {"role": "assistant", "content": "", "tool_calls": [call]},
                {"role": "tool", "tool_call_id": call_id, "content": feedback},
            ]
        return [{"role": "assistant", "content": echo}, {"role": "user", "content": feedback}]

    # ------------------------------------------------------------------ one request

    def _messages(self, article: Article, piece: Piece, number: int, count: int) -> list[dict[str, Any]]:
        return [m.as_dict() for m in self.prompts.render(article, piece.text, number, count)]

    def _request(self, messages: list[dict[str, Any]]) -> dict[str, Any]:
        """The chat request for ``messages``, shaped by instructor for the mode."""
        settings = self.settings
        extra = {"seed": settings.seed} if settings.seed is not None else {}
        _, kwargs = handle_response_model(
            ClaimExtraction, INSTRUCTOR_MODES[settings.mode], messages=copy.deepcopy(messages),
            model=settings.model, temperature=settings.temperature, **extra,
        )
        for message in kwargs["messages"]:  # instructor turns an empty content into []
            if message.get("tool_calls") and not message.get("content"):
                message["content"] = ""  # llama-cpp-python takes a string only
        return kwargs

    async def _ask(self, messages: list[dict[str, Any]], meter: Meter, text: str) -> Reading:
        kwargs = self._request(messages)
        tokens = self._prompt_tokens(kwargs)
        max_tokens = max(1, self.budget().answer_room(tokens))
        try:
            completion = await self._transport.send(meter, kwargs, max_tokens)
        except openai.BadRequestError as error:
            if (context := context_limit(error)) is not None:
                raise ContextOverflow(context) from error
            raise
        return read_answer(completion, text, self.settings.mode, max_tokens)


def _takes_up(item: Any, asked: FailedClaim) -> bool:
    """Whether an answer's claim is a (corrected) version of a claim asked about."""
    if not isinstance(item, dict) or not isinstance(asked.item, dict):
        return False
    for name in ("speaker", "mention"):
        mine, theirs = str(item.get(name) or "").lower(), str(asked.item.get(name) or "").lower()
        if mine and mine == theirs:
            return True
    return fuzz.partial_ratio(str(item.get("content", "")), asked.content) >= ANSWERED


def _reask_text(reading: Reading, asked: list[FailedClaim], kept: int) -> tuple[str, str]:
    """What the re-ask shows as the model's turn, and the feedback after it."""
    lines: list[str] = []
    echoed: list[Any] = [claim.item for claim in asked]
    if asked:
        accepted = f"{kept} of your claims were found in the article and are kept. " if kept else ""
        lines.append(
            f"{accepted}These claims could not be found in the article:\n"
            + "\n".join(f"claims[{i}]: {claim.reason}" for i, claim in enumerate(asked))
            + "\nAnswer with corrected versions of only these claims, copying content, mention and "
            "cue character for character from the article, and leave out any the article does "
            "not support."
        )
    if reading.truncated and reading.items:
        echoed.append(reading.items[-1])
        lines.append(
            f"Your answer was cut off at the token limit after {len(reading.items)} claims; its last "
            f"complete claim is claims[{len(echoed) - 1}] above. Also give the claims that come "
            "after it in the article, in order of appearance."
        )
    if reading.problem is not None:
        lines.append(
            f"Your last answer could not be used: {reading.problem}. Answer with one JSON object "
            'whose "claims" is a list of claim objects, as the schema says.'
        )
    if not echoed:
        raw = reading.raw if len(reading.raw) <= ECHO_CLIP else reading.raw[:ECHO_CLIP] + " …"
        return raw, "\n\n".join(lines)
    return json.dumps({"claims": echoed}, ensure_ascii=False), "\n\n".join(lines)


def _state(reading: Reading, pending: list[FailedClaim]) -> str:
    """What the next re-ask would be about: when an answer leaves it unchanged, the model
    repeated itself, and at temperature 0 it would again."""
    last = reading.items[-1] if reading.truncated and reading.items else None
    return json.dumps([[c.item, c.reason] for c in pending] + [reading.problem, reading.raw if reading.problem else
                                                                None, last], sort_keys=True, default=str)


def _outside_furniture(text: str, claims: list[ExtractedClaim]) -> tuple[list[ExtractedClaim], list[DroppedClaim]]:
    """The claims of the article itself, and those dropped because their content lies in
    page furniture (a caption, a related story's headline, boilerplate): the guidelines
    label the article body only (section 2.1), and the offline backend never reads there."""
    if not claims:
        return claims, []
    furniture = Enclosure(page_furniture(text))
    kept: list[ExtractedClaim] = []
    dropped: list[DroppedClaim] = []
    for claim in claims:
        holders = [furniture.holding(s.start, s.end) for s in claim.spans.content] if claim.spans else []
        if holders and all(holders):
            kind = holders[0].kind.value if holders[0] else ""
            dropped.append(DroppedClaim(content=claim.content, reason=f"in page furniture ({kind}), not the "
                                        "article's text: the guidelines label the body only"))
        else:
            kept.append(claim)
    return kept, dropped


def _dropped(claims: list[FailedClaim], why: str) -> list[DroppedClaim]:
    """Dropped claims, each with ``why`` before its own reason."""
    return [DroppedClaim(content=c.content, reason=why + c.reason) for c in claims]
