"""The output folder: atomic files, a cache keyed on text, backend, model and prompts."""

import json
from pathlib import Path

from annotator.models import Article, ArticleResult, CacheKey, CharSpan, Claim, ClaimSpans, Speaker
from annotator.store import Store, atomic_write, claim_rows, file_stem


def _result(article: Article, **changes) -> ArticleResult:
    fields = {
        "article": article.id, "source": article.path, "text_sha256": article.sha256, "backend": "llm",
        "model": "m", "prompt_version": "p1", "annotator_version": "0",
        "speakers": [Speaker(id="army", name="Malian army", type="organization")],
        "claims": [Claim(speaker="army", mention="the army", cue="said", content="it won",
                         quote_type="indirect", hedging="none", stance="neutral",
                         spans=ClaimSpans(content=[CharSpan(start=14, end=20)]))],
    }
    fields.update(changes)
    return ArticleResult(**fields)


ARTICLE = Article(id="a1", text="The army said it won.", path="a1.txt")


def key(article: Article, backend: str = "llm", model: str = "m", prompts: str = "p1") -> CacheKey:
    return CacheKey(article.sha256, backend, model, prompts)


def test_fresh_only_when_text_backend_model_and_prompts_match(tmp_path: Path):
    store = Store(tmp_path)
    assert store.fresh("a1", key(ARTICLE)) is None
    store.write(_result(ARTICLE), [])
    assert store.fresh("a1", key(ARTICLE)) is not None
    assert store.fresh("a1", key(ARTICLE, prompts="p2")) is None
    assert store.fresh("a1", key(ARTICLE, backend="offline")) is None
    assert store.fresh("a1", key(ARTICLE, model="other")) is None
    edited = Article(id="a1", text="The army said it lost.", path="a1.txt")
    assert store.fresh("a1", key(edited)) is None


def test_failed_or_corrupt_results_are_redone(tmp_path: Path):
    store = Store(tmp_path)
    store.write(_result(ARTICLE, errors=["RateLimitError: slow down"]), [])
    assert store.fresh("a1", key(ARTICLE)) is None
    store.article_path("a1").write_text("{truncated", encoding="utf-8")
    assert store.load("a1") is None


def test_atomic_write_leaves_no_temporary_files(tmp_path: Path):
    target = tmp_path / "deep" / "file.json"
    atomic_write(target, "one")
    atomic_write(target, "two")
    assert target.read_text() == "two"
    assert [p.name for p in target.parent.iterdir()] == ["file.json"]


def test_unsafe_ids_get_distinct_safe_file_names():
    assert file_stem("000_abc") == "000_abc"
    a, b = file_stem("../etc/passwd"), file_stem("..\\etc\\passwd")
    assert a != b and "/" not in a and "\\" not in b and not a.startswith(".")


def test_claims_jsonl_rows_join_speakers_and_offsets(tmp_path: Path):
    store = Store(tmp_path)
    rows = claim_rows(_result(ARTICLE))
    assert (rows[0].speaker, rows[0].start, rows[0].end, rows[0].alignment) == ("Malian army", 14, 20, "exact")
    assert store.write_claims([_result(ARTICLE)]) == 1
    line = json.loads((tmp_path / "claims.jsonl").read_text().splitlines()[0])
    assert line["article"] == "a1" and line["content"] == "it won"


def test_files_honour_the_umask(tmp_path: Path):
    import os

    previous = os.umask(0o027)
    try:
        from annotator import store as module

        module._file_mode.cache_clear()
        atomic_write(tmp_path / "a.json", "{}")
    finally:
        os.umask(previous)
        module._file_mode.cache_clear()
    assert (tmp_path / "a.json").stat().st_mode & 0o777 == 0o640


def test_schema_1_outputs_are_still_read(tmp_path: Path):
    """Before schema 2 a result had no text and called the restatement "claim"."""
    old = _result(ARTICLE).model_dump(mode="json", exclude={"schema_version", "text", "title", "url", "date"})
    old["claims"][0].pop("restatement")
    old["claims"][0]["claim"] = "The army won."
    store = Store(tmp_path)
    store.article_path("a1").parent.mkdir(parents=True)
    store.article_path("a1").write_text(json.dumps(old), encoding="utf-8")
    loaded = store.load("a1")
    assert loaded is not None and loaded.schema_version == 1 and loaded.text is None
    assert loaded.claims[0].restatement == "The army won."


def test_new_outputs_carry_their_version_and_restatement_name(tmp_path: Path):
    store = Store(tmp_path)
    store.write(_result(ARTICLE, text=ARTICLE.text), [])
    stored = json.loads(store.article_path("a1").read_text())
    assert stored["schema_version"] == 2 and stored["text"] == ARTICLE.text
    assert "restatement" in stored["claims"][0] and "claim" not in stored["claims"][0]
