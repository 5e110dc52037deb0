"""Spending controls: --dry-run, --limit/--sample, a pre-flight that stops a run that
cannot work before it costs anything, and options that cannot mean what was asked."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from annotator.cli import app
from annotator.llm.estimate import Estimate, list_price
from annotator.llm.pricing import Price

ROOT = Path(__file__).resolve().parent.parent
ARTICLES = ROOT / "examples" / "articles"
UNSET = dict.fromkeys(("OPENAI_API_KEY", "OPENAI_BASE_URL", "ANNOTATOR_MODEL"))


def cli(*args: object, env: dict[str, str | None] | None = None):
    result = CliRunner().invoke(app, [str(a) for a in args], env={**UNSET, "COLUMNS": "200", **(env or {})})
    return result, " ".join(result.output.split())


def test_dry_run_against_openai_prices_the_run_and_sends_nothing(tmp_path):
    out = tmp_path / "out"
    result, output = cli("annotate", ARTICLES, "--out", out, "--dry-run", env={"OPENAI_API_KEY": "sk-test-x" * 3})
    assert result.exit_code == 0, output
    assert not out.exists(), "nothing written"
    assert "annotator --dry-run: llm backend, model gpt-4o-mini; 5 of 5 articles; nothing is sent" in output
    for path in sorted(ARTICLES.glob("*.txt")):
        assert path.stem[:12] in output
    assert "5 articles, 5 requests without re-asks:" in output
    assert "cost (list price of gpt-4o-mini: $0.15 in, $0.6 out per million tokens)" in output


def test_dry_run_tokens_are_the_requests_tokens(tmp_path):
    """The estimate counts the very prompts a run would send (here: chars / 4, no tiktoken
    tables offline), and the worst case every re-ask at --max-tokens."""
    from annotator.backends import BackendChoice, BackendConfig
    from annotator.llm.settings import LLMSettings
    from annotator.runs import RunOptions, plan

    config = BackendConfig(BackendChoice.llm, LLMSettings(max_tokens=1000, max_reasks=2))
    planned = plan(ARTICLES, config, RunOptions(limit=2))
    assert [e.article for e in planned.estimates or []] == [a.id for a in planned.articles]
    assert len(planned.articles) == 2 and planned.input_articles == 5
    for estimate in planned.estimates or []:
        assert estimate.pieces == 1 and 1000 < estimate.prompt_tokens < 5000
        assert estimate.worst_completion_tokens == 3 * 1000
        assert estimate.worst_prompt_tokens == 3 * estimate.prompt_tokens + 2 * 512


def test_price_table_and_override():
    assert list_price("gpt-4o-mini-2024-07-18", local=False) == Price(0.15, 0.60, "list price of gpt-4o-mini")
    assert list_price("gpt-4o", local=False) == Price(2.50, 10.00, "list price of gpt-4o")
    assert list_price("my-fine-tune", local=False) is None
    assert list_price("anything", local=True) == Price(0.0, 0.0, "local server")
    assert Price.parse("0.2") == Price(0.2, 0.2, "--price-per-mtok")
    assert Price.parse("0.15, 0.6") == Price(0.15, 0.6, "--price-per-mtok")
    for bad in ("cheap", "1,2,3", "-1"):
        with pytest.raises(ValueError):
            Price.parse(bad)
    estimate = Estimate("a", 100, 1, 1_000_000, 3_000_000, 2_000_000)
    assert estimate.cost(Price(0.15, 0.60, "t")) == pytest.approx((0.15, 0.45 + 1.2))
    assert estimate.cost(None) is None


def test_dry_run_of_an_unknown_model_asks_for_a_price(tmp_path):
    env = {"OPENAI_API_KEY": "sk-test-x" * 3}
    result, output = cli("annotate", ARTICLES, "--model", "my-fine-tune", "--dry-run", env=env)
    assert result.exit_code == 0 and "cost: no list price for my-fine-tune; give --price-per-mtok IN[,OUT]" in output
    result, output = cli("annotate", ARTICLES, "--model", "my-fine-tune", "--dry-run", "--price-per-mtok", "1,2",
                         env=env)
    assert "cost (--price-per-mtok: $1 in, $2 out per million tokens)" in output
    result, output = cli("annotate", ARTICLES, "--dry-run", "--price-per-mtok", "free", env=env)
    assert result.exit_code == 2 and "--price-per-mtok 'free'" in output


def test_dry_run_of_a_local_server_costs_nothing_and_the_offline_backend_lists_articles(tmp_path):
    result, output = cli("annotate", ARTICLES, "--base-url", "http://127.0.0.1:8765/v1", "--dry-run", "--limit", 1)
    assert result.exit_code == 0 and "1 of 5 articles" in output
    assert "cost (local server: $0 in, $0 out per million tokens)" in output
    result, output = cli("annotate", ARTICLES, "--backend", "offline", "--dry-run", "--out", tmp_path / "o")
    assert result.exit_code == 0 and "the offline backend sends nothing and costs nothing" in output
    assert not (tmp_path / "o").exists()


def test_limit_and_sample_choose_articles_in_input_order(tmp_path):
    ids = sorted(p.stem for p in ARTICLES.glob("*.txt"))
    result, _ = cli("annotate", ARTICLES, "--backend", "offline", "--limit", 2, "--out", tmp_path / "a")
    record = json.loads((tmp_path / "a" / "run.json").read_text())
    assert result.exit_code == 0 and record["article_ids"] == ids[:2] and record["input_articles"] == 5
    picked = []
    for name in ("s1", "s2"):
        cli("annotate", ARTICLES, "--backend", "offline", "--sample", 3, "--sample-seed", 7, "--out", tmp_path / name)
        picked.append(json.loads((tmp_path / name / "run.json").read_text())["article_ids"])
    assert picked[0] == picked[1] and len(picked[0]) == 3 and picked[0] == sorted(picked[0]), "seeded, in order"
    cli("annotate", ARTICLES, "--backend", "offline", "--sample", 3, "--sample-seed", 8, "--out", tmp_path / "s3")
    other = json.loads((tmp_path / "s3" / "run.json").read_text())["article_ids"]
    assert set(other) <= set(ids) and len(other) == 3


def test_llm_backend_without_key_or_endpoint_is_refused(tmp_path):
    result, output = cli("annotate", ARTICLES, "--backend", "llm", "--out", tmp_path / "o")
    assert result.exit_code == 2
    assert "--backend llm needs an endpoint: set OPENAI_API_KEY for OpenAI, or --base-url" in output
    assert not (tmp_path / "o").exists()


def test_model_with_the_offline_backend_says_so(tmp_path):
    result, output = cli("annotate", ARTICLES, "--backend", "offline", "--model", "gpt-4o", "--out", tmp_path / "o")
    assert result.exit_code == 2
    assert "--model gpt-4o applies to the LLM backend only, but --backend offline was chosen" in output
    result, output = cli("annotate", ARTICLES, "--model", "gpt-4o", "--out", tmp_path / "o")
    assert result.exit_code == 2
    assert "but no endpoint or API key is configured, so the offline backend would run" in output
    assert not (tmp_path / "o").exists()


@pytest.mark.block_network(allowed_hosts=["127.0.0.1"])
def test_a_dead_endpoint_stops_the_run_at_once_before_any_article(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    for n in range(20):
        (folder / f"a{n:02d}.txt").write_text(f"The mayor of Town{n} said the bridge would open in May.\n")
    started = time.perf_counter()
    result, output = cli("annotate", folder, "--base-url", "http://127.0.0.1:9/v1", "--out", tmp_path / "o")
    seconds = time.perf_counter() - started
    assert result.exit_code == 2
    assert "cannot reach http://127.0.0.1:9/v1: APIConnectionError: Connection error." in output
    assert seconds < 10, f"one failed look at the endpoint, not 20 articles of retries ({seconds:.1f} s)"
    assert not (tmp_path / "o").exists() or not any((tmp_path / "o").rglob("*.json"))


def test_the_api_takes_limit_and_sample_too():
    import annotator

    texts = [f"The mayor of Town{n} said the bridge would open in May." for n in range(4)]
    assert len(annotator.annotate(texts, backend="offline", limit=1)) == 1
    drawn = annotator.annotate(texts, backend="offline", sample=2)
    assert len(drawn) == 2 and [r.article for r in drawn] == sorted(r.article for r in drawn)
