"""PolNeAR dev end to end: import, check, and gold against itself scores 1.0 on every scored field.

Needs ../shared/polnear next to the repository; skipped cleanly without it.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from eval_support import POLNEAR, ROOT
from typer.testing import CliRunner

from annotator.cli import app
from annotator.evaluation.harness import evaluate
from annotator.gold import check_folder, load_texts
from annotator.gold_import import import_brat

pytestmark = [
    pytest.mark.polnear,
    pytest.mark.skipif(not (POLNEAR / "dev").is_dir(), reason="../shared/polnear not present"),
]
DEV = POLNEAR / "dev"


@pytest.fixture(scope="module")
def dev_gold(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("polnear") / "dev"
    result = import_brat(DEV / "attributions", DEV / "text", out)
    assert result.errors == []
    return out


def test_dev_imports_every_article_without_errors(dev_gold: Path) -> None:
    texts = load_texts(DEV / "text")
    report = check_folder(dev_gold, texts)
    assert report.files == len(texts) == 84
    assert report.errors == []
    assert report.claims > 1500


def test_dev_gold_against_itself_scores_one_on_every_scored_field(dev_gold: Path) -> None:
    metrics = evaluate(dev_gold, dev_gold, resamples=100).metrics
    assert (metrics.claims.precision, metrics.claims.recall, metrics.claims.f1) == (1.0, 1.0, 1.0)
    assert metrics.attribution.f1 == 1.0
    assert all(view.f1 == 1.0 for view in metrics.views)
    assert metrics.content_tokens.f1 == 1.0
    scored = {f.field.value: f.accuracy for f in metrics.fields if f.accuracy is not None}
    assert scored == {"speaker": 1.0, "cue": 1.0}  # PolNeAR labels nothing else: null


def test_ci_suite_passes_through_the_cli(dev_gold: Path) -> None:
    result = CliRunner().invoke(app, [
        "eval", str(dev_gold), "--gold", str(dev_gold), "--suite", "polnear-dev-gold-vs-gold",
        "--thresholds", str(ROOT / "eval" / "thresholds.toml"), "-q",
    ])
    assert result.exit_code == 0, result.output
    assert "BELOW FLOOR" not in result.output


def test_second_annotators_agree_less_than_perfectly(dev_gold: Path, tmp_path: Path) -> None:
    second = import_brat(DEV / "attributions", DEV / "text", tmp_path / "rank2", rank=2)
    assert second.errors == [] and len(second.manifest.articles) >= 1
    metrics = evaluate(tmp_path / "rank2", dev_gold, intersect=True, resamples=100).metrics
    assert metrics.articles == len(second.manifest.articles)
    assert metrics.claims.f1 is not None and 0.3 < metrics.claims.f1 < 1.0
