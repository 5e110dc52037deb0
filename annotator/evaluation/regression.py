"""Compare a run with a baseline metrics.json: per-metric deltas and right-to-wrong items.

The baseline is a single file: metrics.json carries an ``items`` list (for each gold
claim, the scored fields that were right and wrong), so no separate details file is
needed. Gold claims are identified by article, index and content; a gold claim whose
content changed since the baseline is not compared.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from annotator.evaluation.report import scalar_metrics


class BaselineError(ValueError):
    """A baseline file that cannot be read."""


@dataclass(frozen=True)
class Delta:
    """One metric before and after."""

    metric: str
    before: float | None
    after: float | None

    @property
    def change(self) -> float | None:
        return None if self.before is None or self.after is None else self.after - self.before


@dataclass(frozen=True)
class Regression:
    """A gold claim that the baseline got right on ``field`` and this run gets wrong."""

    article: str
    gold_index: int
    content: str
    field: str


@dataclass(frozen=True)
class Comparison:
    """Everything ``--baseline`` reports."""

    baseline: Path
    deltas: list[Delta]
    regressions: list[Regression]
    improvements: int


def read_baseline(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError, UnicodeDecodeError) as error:
        raise BaselineError(f"{path}: cannot read baseline metrics: {error}") from error
    if not isinstance(data, dict) or "claims" not in data:
        raise BaselineError(f"{path}: not a metrics.json written by `annotator eval`")
    return data


def compare(baseline_path: Path, baseline: dict[str, Any], current: dict[str, Any]) -> Comparison:
    """Deltas of every scalar metric both documents have, and field-level regressions."""
    before, after = scalar_metrics(baseline), scalar_metrics(current)
    deltas = [Delta(name, before[name], after[name]) for name in after if name in before]
    old = {_key(item): item for item in baseline.get("items", [])}
    regressions, improvements = [], 0
    for item in current.get("items", []):
        previous = old.get(_key(item))
        if previous is None:
            continue
        for field in item["wrong"]:
            if field in previous["right"]:
                regressions.append(Regression(item["article"], item["gold"], item["content"], field))
        improvements += sum(1 for field in item["right"] if field in previous["wrong"])
    return Comparison(baseline_path, deltas, regressions, improvements)


def _key(item: dict[str, Any]) -> tuple[str, int, str]:
    return item["article"], item["gold"], item["content"]


def markdown_section(comparison: Comparison, limit: int = 50) -> str:
    """The baseline section appended to ``--report``."""
    lines = [f"## Against baseline `{comparison.baseline}`", ""]
    lines += ["| metric | baseline | now | change |", "|---|---|---|---|"]
    for d in comparison.deltas:
        if d.change:
            lines.append(f"| {d.metric} | {_f(d.before)} | {_f(d.after)} | {d.change:+.3f} |")
    went = f"{len(comparison.regressions)} field(s) went from right to wrong"
    lines += ["", f"{went}, {comparison.improvements} from wrong to right.", ""]
    lines += [f"- {r.article} claims[{r.gold_index}] {r.field}: {r.content}" for r in comparison.regressions[:limit]]
    return "\n".join(lines)


def _f(value: float | None) -> str:
    return "—" if value is None else f"{value:.3f}"
