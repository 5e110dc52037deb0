"""One line of ``annotator eval --details``: the record the harness writes and the
viewer reads back. Kept apart from the harness so a reader of the file imports nothing
heavy."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class DetailRecord:
    """A gold or predicted claim, its match and what differs."""

    article: str
    kind: str
    gold_index: int | None
    pred_index: int | None
    score: float | None
    differs: list[str]
    gold: dict[str, Any] | None
    pred: dict[str, Any] | None
