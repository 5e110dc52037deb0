"""Cut a text into non-overlapping segments at every span boundary.

Annotations nest (a cue inside a content, a hedge inside both) and touch (one claim's
content ends where the next one's cue starts); HTML elements cannot overlap freely.
Cutting the text at every start and end of every span gives pieces that are each
covered by one fixed set of spans, so each piece renders as one flat element that
carries all of them. Nothing here knows about claims or HTML: the cross-article
comparison page uses it too.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from itertools import pairwise
from typing import Generic, TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class Mark(Generic[T]):
    """A half-open range ``[start, end)`` of the text with what it stands for."""

    start: int
    end: int
    tag: T


@dataclass(frozen=True)
class Segment(Generic[T]):
    """A piece of the text and the tags of every mark covering all of it, in input order."""

    start: int
    end: int
    tags: tuple[T, ...]


def segment(length: int, marks: Iterable[Mark[T]]) -> list[Segment[T]]:
    """Segments covering ``[0, length)`` exactly, unmarked stretches included.

    Marks are clipped to the text; empty ones are ignored. Each boundary is visited
    once, so the cost is ``O((n + m) log m)`` for ``m`` marks, whatever their nesting.
    """
    kept = [(max(0, m.start), min(length, m.end), order, m.tag) for order, m in enumerate(marks)]
    kept = [k for k in kept if k[0] < k[1]]
    opens: dict[int, list[int]] = {}
    closes: dict[int, list[int]] = {}
    for start, end, order, _ in kept:
        opens.setdefault(start, []).append(order)
        closes.setdefault(end, []).append(order)
    tags = {order: tag for _, _, order, tag in kept}
    cuts = sorted({0, length, *opens, *closes})
    active: set[int] = set()
    segments: list[Segment[T]] = []
    for left, right in pairwise(cuts):
        active.difference_update(closes.get(left, ()))
        active.update(opens.get(left, ()))
        segments.append(Segment(left, right, tuple(tags[o] for o in sorted(active))))
    return segments
