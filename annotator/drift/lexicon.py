"""The comparison's word lists (``lexicon.toml``): cue force classes and number words."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from enum import Enum
from functools import cache
from pathlib import Path

LEXICON_FILE = Path(__file__).with_name("lexicon.toml")


class Force(str, Enum):
    """How strongly a reporting verb commits the author (drift guidelines' classes)."""

    neutral = "neutral"
    assertive = "assertive"
    distancing = "distancing"
    factive = "factive"


@dataclass(frozen=True)
class Lexicon:
    forces: dict[str, Force]
    neutral_idioms: tuple[re.Pattern[str], ...]
    units: dict[str, int]
    vague: tuple[str, ...]
    approximators: dict[str, str]
    """Approximator phrase -> its class: ``above``, ``below`` or ``about``."""


@cache
def load_lexicon(path: Path = LEXICON_FILE) -> Lexicon:
    raw = tomllib.loads(path.read_text(encoding="utf-8"))
    forces = {lemma: Force(name) for name in ("neutral", "assertive", "distancing", "factive")
              for lemma in raw["forces"][name]}
    numbers = raw["numbers"]
    approximators = {phrase: cls for cls in ("above", "below", "about") for phrase in numbers[cls]}
    return Lexicon(
        forces=forces,
        neutral_idioms=tuple(re.compile(p, re.IGNORECASE) for p in raw["forces"]["neutral_idioms"]),
        units={k: int(v) for k, v in numbers["units"].items()},
        vague=tuple(numbers["vague"]),
        approximators=approximators,
    )
