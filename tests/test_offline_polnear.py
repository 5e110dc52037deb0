"""The offline backend on PolNeAR dev, scored by the eval harness against the imported gold.

Pins the issue's floors (claims F1 >= 0.70 at token F1 >= 0.5, speaker and cue accuracy
>= 0.85) and checks that every claim's spans hold exactly its verbatim strings.
Needs ../shared/polnear next to the repository; skipped cleanly without it.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from annotator.evaluation.harness import evaluate
from annotator.gold_import import import_brat
from annotator.grounding import FRAGMENT_SEPARATOR
from annotator.models import Article
from annotator.offline.backend import OfflineBackend
from annotator.pipeline import to_annotated

POLNEAR = Path(__file__).resolve().parents[2] / "shared" / "polnear"
DEV = POLNEAR / "dev"

pytestmark = [
    pytest.mark.polnear,
    pytest.mark.skipif(not DEV.is_dir(), reason="../shared/polnear not present"),
]


@pytest.fixture(scope="module")
def dev_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, dict[str, list]]:
    """Dev gold imported, and the backend's predictions written as the pipeline writes them."""
    root = tmp_path_factory.mktemp("offline-polnear")
    gold, pred = root / "gold", root / "pred"
    assert import_brat(DEV / "attributions", DEV / "text", gold).errors == []
    pred.mkdir()
    backend = OfflineBackend()
    claims_by_article = {}
    for path in sorted((DEV / "text").glob("*.txt")):
        text = path.read_text(encoding="utf-8")
        claims = backend.extract_claims(Article(id=path.stem, text=text, path=str(path)))
        claims_by_article[path.stem] = (text, claims)
        (pred / f"{path.stem}.json").write_text(to_annotated(path.stem, claims).model_dump_json())
    return gold, pred, claims_by_article


def test_every_claim_carries_spans_holding_its_verbatim_strings(dev_run) -> None:
    _, _, claims_by_article = dev_run
    total = 0
    for text, claims in claims_by_article.values():
        for claim in claims:
            spans = claim.spans
            assert spans is not None
            pieces = [text[s.start : s.end] for s in spans.content]
            assert FRAGMENT_SEPARATOR.join(pieces) == claim.content
            assert text[spans.mention[0].start : spans.mention[0].end] == claim.mention
            total += 1
    assert total > 1500


def test_dev_meets_the_issue_floors(dev_run) -> None:
    gold, pred, _ = dev_run
    metrics = evaluate(pred, gold, articles_dir=DEV / "text", resamples=0).metrics
    assert metrics.claims.f1 >= 0.70
    fields = {f.field.value: f.accuracy for f in metrics.fields}
    assert fields["speaker"] >= 0.85
    assert fields["cue"] >= 0.85
