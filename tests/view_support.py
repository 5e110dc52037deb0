"""Runs and hostile articles shared by the view and export tests."""

from __future__ import annotations

from pathlib import Path

import annotator
from annotator.models import Article

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "examples" / "articles"
GOLD = ROOT / "eval" / "gold"

HOSTILE_TEXT = (
    'The mayor said the bridge would open. <script>window.__pwned = 1</script> '
    '<img src=x onerror="window.__pwned = 2"> Officials said "</script><b>bold</b>" was fine.'
)


def sample_run(out: Path) -> Path:
    """The five sample articles annotated offline into ``out``."""
    annotator.annotate(SAMPLES, backend="offline", out=out)
    return out


def hostile_run(out: Path) -> Path:
    """One article whose text, title and url try to run script in the page."""
    article = Article(
        id="hostile", text=HOSTILE_TEXT, path="hostile.txt", title="<script>window.__pwned = 3</script>",
        url="javascript:window.__pwned = 4", outlet="<i>Outlet</i>",
    )
    annotator.annotate([article], backend="offline", out=out)
    return out
