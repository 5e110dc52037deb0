"""Metric floors: ``--fail-under claims.f1=0.8`` and the suites of ``eval/thresholds.toml``.

The TOML file has one table per suite (a data set and a backend); each key is a dotted
metric name of metrics.json, quoted because it contains dots, and each value the lowest
acceptable score::

    [polnear-dev-gold-vs-gold]
    "claims.f1" = 1.0

A floor on a metric that is null (nothing scored) fails: a floor that cannot be checked
would hide a regression. A floor naming a metric that does not exist is an error.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path


class ThresholdError(ValueError):
    """A floor specification or thresholds file that cannot be used."""


@dataclass(frozen=True)
class Floor:
    """The lowest acceptable value of one metric."""

    metric: str
    minimum: float


@dataclass(frozen=True)
class FloorCheck:
    """A floor and the value it was checked against."""

    floor: Floor
    value: float | None

    @property
    def passed(self) -> bool:
        return self.value is not None and self.value >= self.floor.minimum


def parse_floors(spec: str) -> list[Floor]:
    """``"claims.f1=0.8,attribution.f1=0.7"`` -> floors."""
    floors = []
    for item in filter(None, (part.strip() for part in spec.split(","))):
        metric, sep, value = item.partition("=")
        if not sep or not metric.strip():
            raise ThresholdError(f"--fail-under: expected METRIC=VALUE, got {item!r}")
        floors.append(Floor(metric.strip(), _number(value.strip(), f"--fail-under {metric.strip()}")))
    return floors


def load_suite(path: Path, suite: str) -> list[Floor]:
    """The floors of one suite of a thresholds file."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise ThresholdError(f"{path}: cannot read: {error}") from error
    except tomllib.TOMLDecodeError as error:
        raise ThresholdError(f"{path}: invalid TOML: {error}") from error
    if suite not in data or not isinstance(data[suite], dict):
        known = ", ".join(k for k, v in data.items() if isinstance(v, dict)) or "none"
        raise ThresholdError(f"{path}: no suite [{suite}] (suites: {known})")
    return [Floor(metric, _number(value, f"{path} [{suite}] {metric}")) for metric, value in data[suite].items()]


def _number(value: object, where: str) -> float:
    try:
        if isinstance(value, bool):
            raise TypeError
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError) as error:
        raise ThresholdError(f"{where}: {value!r} is not a number") from error


def check_floors(metrics: Mapping[str, float | None], floors: Sequence[Floor]) -> list[FloorCheck]:
    """Check floors against ``scalar_metrics`` of a metrics.json document."""
    unknown = [f.metric for f in floors if f.metric not in metrics]
    if unknown:
        raise ThresholdError(f"unknown metric(s): {', '.join(unknown)} (e.g. claims.f1, attribution.f1, hedging.kappa)")
    return [FloorCheck(floor, metrics[floor.metric]) for floor in floors]
