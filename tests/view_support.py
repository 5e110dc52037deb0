"""Runs and hostile articles shared by the view and export tests."""

from __future__ import annotations

import json
import shutil
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


def flawed_run(run: Path, out: Path) -> Path:
    """A copy of a sample run with article 002 made imperfect: its first claim dropped
    (a gold claim missed), its second repeated (a spurious prediction) with another
    stance (a field that differs). A comparison of it with the gold then has every kind
    of line to draw, however much of the sample gold the offline backend gets right."""
    shutil.copytree(run, out)
    path = out / "articles" / "002_782838bfb26629a2.json"
    data = json.loads(path.read_text())
    second = dict(data["claims"][1], stance="dispute")
    data["claims"] = [second, dict(second), *data["claims"][2:]]
    path.write_text(json.dumps(data))
    return out


def hostile_run(out: Path) -> Path:
    """One article whose text, title and url try to run script in the page."""
    article = Article(
        id="hostile", text=HOSTILE_TEXT, path="hostile.txt", title="<script>window.__pwned = 3</script>",
        url="javascript:window.__pwned = 4", outlet="<i>Outlet</i>",
    )
    annotator.annotate([article], backend="offline", out=out)
    return out
