"""The shipped word lists (``lexicon.toml``), loaded once and hashed for the cache key."""

from __future__ import annotations

import hashlib
import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

PACKAGE_DIR = Path(__file__).parent
LEXICON_FILE = PACKAGE_DIR / "lexicon.toml"
MODEL_DIR = PACKAGE_DIR / "models"


@dataclass(frozen=True)
class Lexicon:
    """Every list the rules consult, as lower-cased tuples and sets."""

    hedge_high: tuple[str, ...]
    hedge_low: tuple[str, ...]
    not_hedges: tuple[str, ...]
    endorse_cues: frozenset[str]
    distance_cues: frozenset[str]
    distance_markers: tuple[str, ...]
    distance_trailers: tuple[str, ...]
    dispute_markers: tuple[str, ...]
    neutral_idioms: tuple[str, ...]
    naming_cues: frozenset[str]
    action_cues: frozenset[str]
    reporting_cues: frozenset[str]
    anonymous_heads: frozenset[str]
    organization_words: frozenset[str]
    organization_anaphors: tuple[str, ...]
    person_anaphors: tuple[str, ...]
    female_titles: frozenset[str]
    male_titles: frozenset[str]
    media: tuple[str, ...]

    @property
    def media_lower(self) -> frozenset[str]:
        """Outlet names lower-cased, for membership tests."""
        return _lowered_media(self.media)


@cache
def load_lexicon(path: Path = LEXICON_FILE) -> Lexicon:
    """Parse ``lexicon.toml``; cached because the backend and tests share one copy."""
    raw = tomllib.loads(path.read_text(encoding="utf-8"))
    hedging, stance, scope = raw["hedging"], raw["stance"], raw["scope"]
    speakers = raw["speakers"]
    low = _lower
    return Lexicon(
        hedge_high=low(hedging["high"]),
        hedge_low=low(hedging["low"]),
        not_hedges=low(hedging["not_hedges"]),
        endorse_cues=frozenset(low(stance["endorse_cues"])),
        distance_cues=frozenset(low(stance["distance_cues"])),
        distance_markers=low(stance["distance_markers"]),
        distance_trailers=low(stance["distance_trailers"]),
        dispute_markers=low(stance["dispute_markers"]),
        neutral_idioms=low(stance["neutral_idioms"]),
        naming_cues=frozenset(low(stance["naming_cues"])),
        action_cues=frozenset(low(scope["action_cues"])),
        reporting_cues=frozenset(low(raw["cues"]["reporting"])),
        anonymous_heads=frozenset(low(speakers["anonymous_heads"])),
        organization_words=frozenset(low(speakers["organization_words"])),
        organization_anaphors=low(speakers["organization_anaphors"]),
        person_anaphors=low(speakers["person_anaphors"]),
        female_titles=frozenset(low(speakers["female_titles"])),
        male_titles=frozenset(low(speakers["male_titles"])),
        media=tuple(raw["via"]["media"]),
    )


@cache
def _lowered_media(media: tuple[str, ...]) -> frozenset[str]:
    return frozenset(m.lower() for m in media)


def _lower(values: list[str]) -> tuple[str, ...]:
    return tuple(v.lower() for v in values)


def content_hash(directory: Path = PACKAGE_DIR) -> str:
    """SHA-256 over the lexicon and model files, so any change redoes cached output."""
    digest = hashlib.sha256()
    files = [LEXICON_FILE, *sorted((directory / "models").glob("*.*"))]
    for path in files:
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]
