"""Is an empty answer believable? A text with quotations and reporting verbs has claims.

A model that answers ``{"claims": []}`` for a news story full of "...," he said is
almost surely wrong (a small model under a strict grammar does it for every article:
measured, see docs/local-models.md). Such a result is kept, since it is what the backend
said, but flagged, in the result and in the run's summary, instead of passing as "ok".
"""

from __future__ import annotations

import re
from collections import Counter

REPORTING_VERBS = (
    "said", "says", "told", "tells", "according to", "stated", "added", "warned", "claimed",
    "claims", "reported", "announced", "insisted", "denied", "confirmed", "argued", "wrote",
    "explained", "noted", "asked",
)
_VERB = re.compile(r"\b(" + "|".join(re.escape(v) for v in REPORTING_VERBS) + r")\b", re.I)
_QUOTATION = re.compile(r"[\"“”«»„](?:[^\"“”«»„\n]{12,600})[\"“”«»„]")
MIN_VERBS = 2


def empty_but_attributed(text: str) -> str | None:
    """Why no claims is suspicious for ``text``, or ``None`` when it is believable."""
    verbs = Counter(match.group(1).lower() for match in _VERB.finditer(text))
    quotations = len(_QUOTATION.findall(text))
    if sum(verbs.values()) < MIN_VERBS and not (quotations and verbs):
        return None
    shown = ", ".join(f"{verb} x{count}" for verb, count in verbs.most_common(3))
    return (
        f"no claims, although the text has {quotations} quotation(s) and {sum(verbs.values())} "
        f"reporting verb(s) ({shown}): check the answer in the article's log"
    )
