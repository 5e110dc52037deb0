"""Loading: every supported format, and every broken file named with its reason."""

import json
from pathlib import Path

import pytest

from annotator.articles import ArticleError, load_file, load_folder


@pytest.fixture()
def folder(tmp_path: Path) -> Path:
    (tmp_path / "good.txt").write_text("The minister said the plan works.", encoding="utf-8")
    (tmp_path / "notes.md").write_text("# Notes\n\nOfficials said it rained.", encoding="utf-8")
    (tmp_path / "empty.txt").write_text("   \n", encoding="utf-8")
    (tmp_path / "binary.txt").write_bytes(b"\x00\x01\x02abc")
    (tmp_path / "latin1.txt").write_bytes("caf\xe9 said".encode("latin-1"))
    (tmp_path / "broken.json").write_text("{not json", encoding="utf-8")
    (tmp_path / "ignored.pdf").write_bytes(b"%PDF-1.4")
    sub = tmp_path / "nested"
    sub.mkdir()
    records = [{"id": "wire-1", "text": "A said B.", "title": "T", "url": "https://x.example/1"},
               {"text": "C said D."}]
    (sub / "batch.json").write_text(json.dumps(records), encoding="utf-8")
    lines = [json.dumps({"id": "l1", "text": "E said F."}), "{oops", json.dumps({"title": "no text"})]
    (sub / "feed.jsonl").write_text("\n".join(lines), encoding="utf-8")
    return tmp_path


def test_folder_loads_good_files_and_names_each_broken_one(folder: Path):
    result = load_folder(folder)
    ids = sorted(a.id for a in result.articles)
    assert ids == ["batch-2", "good", "l1", "notes", "wire-1"]
    reasons = {Path(f.path.split(":")[0].split("#")[0]).name: f.reason for f in result.failures}
    assert "empty" in reasons["empty.txt"]
    assert "binary" in reasons["binary.txt"]
    assert "UTF-8" in reasons["latin1.txt"]
    assert "invalid JSON" in reasons["broken.json"]
    jsonl = [f for f in result.failures if "feed.jsonl" in f.path]
    assert {f.path.rsplit(":", 1)[1] for f in jsonl} == {"2", "3"}
    # an unsupported type is not a failure (the run does not exit 1 for it), but it is named
    assert "pdf" not in " ".join(f.path for f in result.failures)
    [pdf] = [f for f in result.ignored if f.path.endswith("ignored.pdf")]
    assert "unsupported file type .pdf" in pdf.reason


def test_json_records_keep_metadata(tmp_path: Path):
    path = tmp_path / "record.json"
    path.write_text(json.dumps({"id": "x", "text": "Y said Z.", "date": "2025-07-02"}), encoding="utf-8")
    article = load_file(path).articles[0]
    assert (article.id, article.date, article.title) == ("x", "2025-07-02", None)


def test_duplicate_ids_are_an_error_naming_both_files(tmp_path: Path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    (tmp_path / "a" / "story.txt").write_text("X said Y.", encoding="utf-8")
    (tmp_path / "b" / "story.txt").write_text("Z said W.", encoding="utf-8")
    result = load_folder(tmp_path)
    assert len(result.articles) == 1
    [failure] = result.failures
    assert "b/story.txt" in failure.path and "a/story.txt" in failure.reason


def test_html_main_text_is_extracted_without_boilerplate(tmp_path: Path):
    body = "<p>" + "The spokesman said the talks would resume next week in Geneva. " * 4 + "</p>"
    html = (f"<html><head><title>Talks</title></head><body><nav>Home | About</nav>"
            f"<article>{body}</article><footer>Copyright</footer></body></html>")
    (tmp_path / "page.html").write_text(html, encoding="utf-8")
    [article] = load_file(tmp_path / "page.html").articles
    assert "talks would resume" in article.text and "Copyright" not in article.text
    assert article.title == "Talks"


def test_missing_folder_and_unsupported_file_raise_clear_errors(tmp_path: Path):
    with pytest.raises(ArticleError, match="no such file"):
        load_folder(tmp_path / "absent")
    (tmp_path / "x.pdf").write_bytes(b"%PDF")
    with pytest.raises(ArticleError, match="unsupported"):
        load_file(tmp_path / "x.pdf")
