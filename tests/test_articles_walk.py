"""Walking a folder: what is read, what is not (and why), in which order, one file at a time."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from eval_support import POLNEAR, ROOT

from annotator.articles import ArticleError, iter_folder, load_folder
from annotator.models import Article

GOOD = "The mayor said the bridge would open."


@pytest.fixture
def root(tmp_path: Path) -> Path:
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "good.txt").write_text(GOOD, encoding="utf-8")
    return folder


def ignored(root: Path, **kwargs) -> dict[str, str]:
    return {Path(f.path).relative_to(root).as_posix(): f.reason for f in load_folder(root, **kwargs).ignored}


def failed(root: Path, **kwargs) -> dict[str, str]:
    return {Path(f.path).relative_to(root).as_posix(): f.reason for f in load_folder(root, **kwargs).failures}


def test_every_entry_not_read_is_named_with_its_reason(root: Path):
    (root / ".git").mkdir()
    (root / ".git" / "HEAD.txt").write_text("ref", encoding="utf-8")
    (root / ".notes.txt").write_text(GOOD, encoding="utf-8")
    (root / "scan.pdf").write_bytes(b"%PDF-1.4")
    (root / "Makefile").write_text("all:", encoding="utf-8")
    os.mkfifo(root / "pipe.txt")
    found = ignored(root)
    assert found[".git"].startswith("hidden folder") and ".git/HEAD.txt" not in found
    assert found[".notes.txt"].startswith("hidden file")
    assert found["scan.pdf"].startswith("unsupported file type .pdf (read: .csv .htm .html .json")
    assert found["Makefile"].startswith("unsupported file type (no extension)")
    assert found["pipe.txt"].startswith("not a regular file"), "a FIFO would block the run forever"
    assert load_folder(root).failures == [], "entries that are not articles do not fail the run"


def test_a_link_to_a_file_outside_the_folder_is_not_followed(tmp_path: Path, root: Path):
    secret = tmp_path / "credentials.txt"
    secret.write_text("OPENAI_API_KEY=sk-live-0123456789abcdef0123", encoding="utf-8")
    (tmp_path / ".env").write_text("OPENAI_API_KEY=sk-live-0123456789abcdef0123", encoding="utf-8")
    (root / "notes.txt").symlink_to(secret)
    (root / "env.txt").symlink_to(tmp_path / ".env")
    loaded = load_folder(root)
    assert [a.id for a in loaded.articles] == ["good"]
    assert all("sk-live" not in a.text for a in loaded.articles)
    found = failed(root)
    assert found["notes.txt"].startswith(f"symbolic link to a file outside the folder ({secret}): not followed")
    assert found["env.txt"].startswith("symbolic link to a hidden file")
    # --follow-symlinks reads the outside file, never a hidden one
    followed = load_folder(root, follow_symlinks=True)
    assert sorted(a.id for a in followed.articles) == ["good", "notes"]
    assert [Path(f.path).name for f in followed.failures] == ["env.txt"]


def test_links_inside_the_folder_are_read_and_folder_links_are_not_entered(tmp_path: Path, root: Path):
    (root / "sub").mkdir()
    (root / "sub" / "story.txt").write_text("A said B.", encoding="utf-8")
    (root / "latest.txt").symlink_to(root / "sub" / "story.txt")
    (root / "mirror").symlink_to(root / "sub", target_is_directory=True)
    (root / "dangling.txt").symlink_to(root / "missing.txt")
    loaded = load_folder(root)
    assert sorted(a.id for a in loaded.articles) == ["good", "latest", "story"]
    assert ignored(root)["mirror"].startswith("symbolic link to a folder")
    assert failed(root) == {"dangling.txt": "broken symbolic link: not read"}


def test_the_output_folder_is_never_read_as_input(root: Path):
    out = root / "out"
    (out / "articles").mkdir(parents=True)
    (out / "articles" / "good.json").write_text(
        json.dumps({"article": "good", "text": GOOD, "text_sha256": "x", "prompt_version": "p"}), encoding="utf-8")
    assert ignored(root, exclude=[out]) == {"out": "the output of this run (--out): not read as input"}
    # an output folder of another run is recognised by what it holds, even cut short before run.json
    assert ignored(root) == {"out": "an annotator output folder: not read as input"}
    other = root / "old-run"
    other.mkdir()
    (other / "run.json").write_text('{"schema_version": 2, "annotator_version": "0.1.0"}', encoding="utf-8")
    assert ignored(root)["old-run"] == "an annotator output folder: not read as input"
    assert [a.id for a in load_folder(root).articles] == ["good"]


def test_a_folder_that_merely_has_a_run_json_or_articles_is_still_read(root: Path):
    (root / "data").mkdir()
    (root / "data" / "run.json").write_text('{"text": "The coach said the run went well."}', encoding="utf-8")
    (root / "data" / "articles").mkdir()
    (root / "data" / "articles" / "a.json").write_text('{"text": "A said B."}', encoding="utf-8")
    assert sorted(a.id for a in load_folder(root).articles) == ["a", "good", "run"]


def test_reading_an_output_folder_or_a_folder_inside_the_output_is_refused(root: Path):
    out = root / "out"
    (out / "articles").mkdir(parents=True)
    (out / "run.json").write_text('{"annotator_version": "0.1.0"}', encoding="utf-8")
    with pytest.raises(ArticleError, match="is an annotator output folder"):
        list(iter_folder(out))
    with pytest.raises(ArticleError, match="inside the output folder"):
        list(iter_folder(out / "articles", exclude=[out]))


def test_writing_into_the_folder_read_skips_only_what_a_run_writes(root: Path):
    (root / "articles").mkdir()
    (root / "articles" / "good.json").write_text("{}", encoding="utf-8")
    (root / "run.json").write_text('{"annotator_version": "0.1.0"}', encoding="utf-8")
    (root / "claims.jsonl").write_text("", encoding="utf-8")
    (root / "more.txt").write_text("C said D.", encoding="utf-8")
    loaded = load_folder(root, exclude=[root])
    assert sorted(a.id for a in loaded.articles) == ["good", "more"]
    assert sorted(Path(f.path).name for f in loaded.ignored) == ["articles", "claims.jsonl", "run.json"]


def test_folder_order_is_that_of_sorted_rglob(root: Path):
    for name in ("b/x.txt", "a-b.txt", "a/z.txt", "a/b/c.txt", "A.txt", "a.txt", "a_b/q.txt"):
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"{name} said so.", encoding="utf-8")
    expected = [str(p) for p in sorted(root.rglob("*")) if p.is_file()]
    assert [a.path for a in load_folder(root).articles] == expected


def test_files_are_opened_one_at_a_time(root: Path, monkeypatch: pytest.MonkeyPatch):
    for n in range(5):
        (root / f"s{n}.txt").write_text(f"Speaker {n} said it.", encoding="utf-8")
    opened: list[str] = []
    import annotator.articles.source as source

    real = source.read_file

    def read_file(path, form, fields):
        opened.append(path.name)
        return real(path, form, fields)

    monkeypatch.setattr(source, "read_file", read_file)
    items = iter_folder(root)
    assert isinstance(next(items), Article) and opened == ["good.txt"]
    assert isinstance(next(items), Article) and opened == ["good.txt", "s0.txt"]


@pytest.mark.parametrize(
    "folder", [ROOT / "examples" / "articles", POLNEAR / "dev" / "text"], ids=["samples", "polnear-dev"]
)
def test_sample_articles_and_polnear_dev_load_as_before(folder: Path):
    """Text files load as they always did: id the stem, text the file's exact content,
    source the path, no metadata, in sorted order."""
    if not folder.is_dir():
        pytest.skip(f"{folder} not found")
    loaded = load_folder(folder)
    paths = sorted(folder.glob("*.txt"))
    assert loaded.failures == [] and loaded.ignored == []
    assert [a.id for a in loaded.articles] == [p.stem for p in paths]
    for article, path in zip(loaded.articles, paths, strict=True):
        assert article.text == path.read_bytes().decode("utf-8-sig")
        assert article.path == str(path)
        assert (article.title, article.url, article.date, article.outlet) == (None, None, None, None)
