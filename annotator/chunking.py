"""Split an article that exceeds the context budget into overlapping paragraph runs.

Paragraph boundaries keep quotes and their attributions together far more often than
sentence or token boundaries; one paragraph of overlap catches a claim whose speaker
is named just before a piece starts. Claims found twice in the overlap are merged by
:func:`merge_duplicates` once offsets are relative to the whole article.
"""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

from annotator.claims import ExtractedClaim

log = logging.getLogger(__name__)

_PARAGRAPH_BREAK = re.compile(r"\n\s*\n|\n")
TokenCounter = Callable[[str], int]
"""How many tokens a text costs: the seam through which splitting is measured."""
CHARS_PER_TOKEN = 4
"""Fallback ratio when tiktoken's encoding files cannot be fetched (offline machines)."""


@dataclass(frozen=True)
class Piece:
    """A run of whole paragraphs and where it starts in the article."""

    start: int
    text: str


def estimate_tokens(text: str) -> int:
    """Tokens estimated at :data:`CHARS_PER_TOKEN` characters each (rounded up)."""
    return math.ceil(len(text) / CHARS_PER_TOKEN)


@lru_cache(maxsize=8)
def token_counter(model: str) -> TokenCounter:
    """Count tokens with the model's tiktoken encoding, or estimate when unavailable.

    tiktoken downloads its encoding tables on first use; without network the estimate
    of four characters per token keeps splitting conservative rather than failing.
    """
    try:
        import tiktoken

        try:
            encoding = tiktoken.encoding_for_model(model)
        except KeyError:
            encoding = tiktoken.get_encoding("o200k_base")
        return lambda text: len(encoding.encode(text, disallowed_special=()))
    except Exception as error:  # noqa: BLE001 - any load failure means "estimate"
        log.warning(
            "tiktoken encoding for %s unavailable (%s); estimating 1 token per %d characters",
            model, type(error).__name__, CHARS_PER_TOKEN,
        )
        return estimate_tokens


def paragraphs(text: str) -> list[Piece]:
    """Non-empty paragraphs with their offsets."""
    pieces: list[Piece] = []
    start = 0
    for match in [*_PARAGRAPH_BREAK.finditer(text), None]:
        end = match.start() if match else len(text)
        if text[start:end].strip():
            pieces.append(Piece(start, text[start:end]))
        if match:
            start = match.end()
    return pieces


def split(text: str, budget: int, count: TokenCounter, overlap: int = 1) -> list[Piece]:
    """Split into pieces of at most ``budget`` tokens (a lone longer paragraph stays whole)."""
    if count(text) <= budget:
        return [Piece(0, text)]
    paras = paragraphs(text)
    pieces: list[Piece] = []
    first = 0
    while first < len(paras):
        last = first
        while last + 1 < len(paras) and count(_join(text, paras[first : last + 2])) <= budget:
            last += 1
        pieces.append(Piece(paras[first].start, _join(text, paras[first : last + 1])))
        if last + 1 >= len(paras):
            break
        first = max(last + 1 - overlap, first + 1)
    return pieces


def _join(text: str, paras: list[Piece]) -> str:
    return text[paras[0].start : paras[-1].start + len(paras[-1].text)]


def merge_duplicates(claims: list[ExtractedClaim]) -> list[ExtractedClaim]:
    """Drop claims whose content span overlaps an earlier claim's with the same cue.

    Two pieces that share a paragraph both report its claims; the spans (already shifted
    to whole-article offsets) overlap, so the later copy is dropped.
    """
    kept: list[ExtractedClaim] = []
    for claim in claims:
        if not any(_same(claim, other) for other in kept):
            kept.append(claim)
    return kept


def _same(a: ExtractedClaim, b: ExtractedClaim) -> bool:
    if a.spans is None or b.spans is None:
        return a.content == b.content and a.cue == b.cue
    first, second = a.spans.content[0], b.spans.content[0]
    overlapping = first.start < second.end and second.start < first.end
    return overlapping and a.cue.lower() == b.cue.lower()
