"""Builders shared by the eval and gold tests: one small article, its gold, predictions."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from annotator.models import AnnotatedArticle, ArticleResult

ROOT = Path(__file__).resolve().parents[1]
POLNEAR = Path(__file__).parents[1].parent / "shared" / "polnear"
BRAT_DATA = Path(__file__).resolve().parent / "data" / "brat"

ARTICLE_ID = "mali"
TEXT = (
    "Mali's army said it repelled Tuesday morning's attacks. "
    '"We will not stop," Col Dembele told reporters. '
    "According to a BBC report, JNIM said it had seized three barracks. "
    "A resident said the town was quiet. "
    "Officials believe the attack may have been coordinated."
)

SPEAKERS = [
    {"id": "army", "name": "Malian army", "type": "organization", "aliases": ["Mali's army"]},
    {"id": "dembele", "name": "Souleymane Dembele", "type": "person", "aliases": ["Col Dembele"]},
    {"id": "jnim", "name": "JNIM", "type": "organization"},
    {"id": "resident", "name": "resident", "type": "anonymous", "aliases": ["A resident"]},
    {"id": "officials", "name": "officials", "type": "anonymous", "aliases": ["Officials"]},
]

CLAIMS = [
    {"speaker": "army", "mention": "Mali's army", "cue": "said",
     "content": "it repelled Tuesday morning's attacks", "quote_type": "indirect", "via": [],
     "hedging": "none", "stance": "neutral"},
    {"speaker": "dembele", "mention": "Col Dembele", "cue": "told", "content": "We will not stop",
     "quote_type": "direct", "via": [], "hedging": "none", "stance": "neutral"},
    {"speaker": "jnim", "mention": "JNIM", "cue": "said", "content": "it had seized three barracks",
     "quote_type": "indirect", "via": ["BBC"], "hedging": "none", "stance": "neutral"},
    {"speaker": "resident", "mention": "A resident", "cue": "said", "content": "the town was quiet",
     "quote_type": "indirect", "via": [], "hedging": "none", "stance": "neutral"},
    {"speaker": "officials", "mention": "Officials", "cue": "believe",
     "content": "the attack may have been coordinated", "quote_type": "indirect", "via": [],
     "hedging": "high", "hedge_cues": ["may"], "stance": "neutral"},
]


def gold_article(claims: list[dict] | None = None, speakers: list[dict] | None = None) -> dict:
    """The gold file of the test article as a JSON-ready dict (copies, safe to edit)."""
    return {
        "article": ARTICLE_ID,
        "speakers": json.loads(json.dumps(SPEAKERS if speakers is None else speakers)),
        "claims": json.loads(json.dumps(CLAIMS if claims is None else claims)),
    }


def write_articles(folder: Path, texts: dict[str, str] | None = None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for article_id, text in (texts or {ARTICLE_ID: TEXT}).items():
        (folder / f"{article_id}.txt").write_text(text, encoding="utf-8")
    return folder


def write_gold(folder: Path, *articles: dict) -> Path:
    """A gold-format folder with one file per article dict."""
    folder.mkdir(parents=True, exist_ok=True)
    for article in articles or (gold_article(),):
        (folder / f"{article['article']}.json").write_text(json.dumps(article, indent=1), encoding="utf-8")
    return folder


def write_run(out: Path, article: dict, source: Path, text: str = TEXT) -> Path:
    """An ``annotate --out`` folder holding one ArticleResult built from a gold-shaped dict."""
    annotated = AnnotatedArticle.model_validate(article)
    result = ArticleResult(
        **annotated.model_dump(),
        source=str(source),
        text_sha256=hashlib.sha256(text.encode("utf-8")).hexdigest(),
        backend="test",
        model="none",
        prompt_version="test",
        annotator_version="0",
    )
    (out / "articles").mkdir(parents=True, exist_ok=True)
    (out / "articles" / f"{annotated.article}.json").write_text(result.model_dump_json(indent=1), encoding="utf-8")
    return out

