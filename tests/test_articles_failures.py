"""Every class of bad input becomes one failure naming the file (and record) and the problem,
and the inputs beside it still load."""

from __future__ import annotations

import io
import json
import os
from pathlib import Path

import pytest

from annotator.articles import STDIN, ArticleSource, FieldMap, InputFormat, LoadFailure, load_folder
from annotator.models import Article

GOOD = "The mayor said the bridge would open."


def reasons(root: Path, **kwargs) -> dict[str, str]:
    """Failures by path relative to ``root`` (records keep their ``:line`` or ``#n``)."""
    loaded = load_folder(root, **kwargs)
    assert "good" in {a.id for a in loaded.articles}, "the good article beside the bad ones loads"
    return {f.path.removeprefix(f"{root}{os.sep}"): f.reason for f in loaded.failures}


@pytest.fixture
def root(tmp_path: Path) -> Path:
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "good.txt").write_text(GOOD, encoding="utf-8")
    return folder


def test_a_lone_surrogate_escape_fails_its_record_alone(root: Path):
    (root / "bad.json").write_text('{"id": "s", "text": "The minister said \\ud800 it works."}', encoding="utf-8")
    (root / "feed.jsonl").write_text('{"text": "A said B."}\n{"text": "x", "title": "T\\udfff"}\n', encoding="utf-8")
    found = reasons(root)
    assert "lone surrogate (\\ud800) at character 18" in found["bad.json"]
    assert "field 'title'" in found["feed.jsonl:2"]
    assert "feed.jsonl:1" not in found


def test_deeply_nested_json_is_a_named_failure_not_a_recursion_error(root: Path):
    (root / "deep.json").write_text("[" * 100_000 + "]" * 100_000, encoding="utf-8")
    (root / "deep.jsonl").write_text('{"text": "A said B."}\n' + '{"a":' * 50_000 + "1" + "}" * 50_000 + "\n")
    found = reasons(root)
    assert found["deep.json"].startswith("JSON nested too deeply")
    assert found["deep.jsonl:2"].startswith("JSON nested too deeply")


def test_json_the_parser_refuses_for_other_reasons(root: Path):
    (root / "huge.json").write_text('{"text": "A said B.", "n": ' + "9" * 5000 + "}", encoding="utf-8")
    (root / "empty-list.json").write_text("[]", encoding="utf-8")
    (root / "scalars.json").write_text('[1, {"text": 5}, {"body": "x"}]', encoding="utf-8")
    found = reasons(root)
    assert found["huge.json"].startswith("invalid JSON")
    assert "no records" in found["empty-list.json"]
    assert "got a int" in found["scalars.json#1"]
    assert "'text' is a int" in found["scalars.json#2"]
    assert "no 'text' or 'maintext' field (fields: body)" in found["scalars.json#3"]


@pytest.mark.parametrize("name", ["late.txt", "late.md", "late.json", "late.jsonl", "late.csv"])
def test_a_nul_byte_anywhere_means_binary(root: Path, name: str):
    padding = GOOD * 400  # 15 KB: past any sniffing window
    # a raw NUL byte (json.dumps would write the escape \u0000, which is text)
    body = {"late.json": '{"text": "' + padding + '\x00"}', "late.jsonl": json.dumps({"text": padding}) + "\n"
            + '{"text": "x\x00"}', "late.csv": f"text\n{padding}\nx\x00\n"}.get(name, padding + "\x00")
    (root / name).write_text(body, encoding="utf-8")
    assert reasons(root) == {name: "file is binary (contains NUL bytes)"}, "the whole file is refused, not a record"


def test_bad_utf8_late_in_a_streamed_file_refuses_the_file_before_its_first_record(root: Path):
    lines = [json.dumps({"text": f"Speaker {n} said it."}) for n in range(3000)]
    data = ("\n".join(lines) + "\n").encode() + "caf\xe9".encode("latin-1") + b"\n"
    (root / "feed.jsonl").write_bytes(data)
    loaded = load_folder(root)
    assert [a.id for a in loaded.articles] == ["good"]
    [failure] = loaded.failures
    assert failure.reason.startswith(f"not valid UTF-8 (byte {len(data) - 2})")


def test_empty_files_and_files_of_only_markup_or_blank_records(root: Path):
    (root / "empty.jsonl").write_text("\n\n  \n", encoding="utf-8")
    (root / "image.md").write_text("![only a picture](p.jpg)\n", encoding="utf-8")
    (root / "blank.json").write_text('{"text": "   "}', encoding="utf-8")
    (root / "header.csv").write_text("id,text\n", encoding="utf-8")
    found = reasons(root)
    assert found["empty.jsonl"] == "file is empty"
    assert found["image.md"].startswith("no text in the Markdown")
    assert found["blank.json"] == "article text is empty"
    assert "header.csv" not in found, "a table with no rows holds no article, and no error"


def test_unreadable_file_is_named(root: Path, monkeypatch: pytest.MonkeyPatch):
    (root / "locked.txt").write_text(GOOD, encoding="utf-8")
    real = Path.read_bytes

    def read_bytes(self: Path) -> bytes:
        if self.name == "locked.txt":
            raise PermissionError(13, "Permission denied")
        return real(self)

    monkeypatch.setattr(Path, "read_bytes", read_bytes)
    assert reasons(root) == {"locked.txt": "cannot read the file: Permission denied"}


def test_a_file_name_that_is_not_utf8_is_named_and_stays_printable(root: Path):
    os.close(os.open(os.path.join(os.fsencode(root), b"caf\xe9.txt"), os.O_CREAT | os.O_WRONLY))
    [failure] = load_folder(root).failures
    assert failure.path.endswith("caf\\udce9.txt") and "not valid UTF-8" in failure.reason
    failure.path.encode("utf-8")  # can be printed and written to run.json


def test_table_rows_fail_alone_and_a_named_column_must_exist(root: Path):
    (root / "rows.csv").write_text(
        'id,text\nr1,"A said B."\nr2,"bad"quote\nr3,C said D.,extra\nr4,E said F.\nr1,G said H.\n', encoding="utf-8"
    )
    (root / "cols.csv").write_text("id,body\nx,A said B.\n", encoding="utf-8")
    found = reasons(root)
    assert found["rows.csv:3"].startswith("malformed row")
    assert found["rows.csv:4"] == "row has 3 cells, the header 2"
    assert found["rows.csv:6"].startswith("duplicate article id 'r1': also in")
    expected = "no 'text' or 'maintext' column for the text (columns: 'id', 'body'); name it with --text-field"
    assert found["cols.csv"] == expected
    mapped = reasons(root, fields=FieldMap.parse("body", "uid", ["title=headline"]))
    assert mapped["cols.csv"] == "no id column 'uid' or title column 'headline' (columns: 'id', 'body')"


def test_metadata_that_is_not_a_string_and_a_missing_named_id(root: Path):
    (root / "nested.json").write_text(json.dumps({"text": "A said B.", "source": {"name": "BBC"}}), encoding="utf-8")
    (root / "noid.json").write_text(json.dumps({"text": "A said B."}), encoding="utf-8")
    found = reasons(root, fields=FieldMap(meta={"outlet": "source"}))
    assert found == {"nested.json": "field 'source' is an object, expected a string or a number"}
    found = reasons(root, fields=FieldMap(id="uid"))
    assert found["noid.json"] == "no 'uid' field for the id (fields: text)"


def test_front_matter_that_does_not_parse_names_its_line(root: Path):
    (root / "story.md").write_text("---\ntitle: ok\ndate: [unclosed\n---\nA said B.\n", encoding="utf-8")
    found = reasons(root)
    assert found["story.md"].startswith("front matter is not valid YAML at line")


def test_html_without_main_text(root: Path):
    (root / "nav.html").write_text("<html><head><title>x</title></head><body><img src=a.png></body></html>")
    assert reasons(root) == {"nav.html": "no main text found in the HTML"}


def test_stdin_lines_fail_alone_where_the_stream_cannot_be_checked_first():
    data = b'{"text": "A said B."}\n{"text": "caf\xe9"}\n{"text": "C\x00"}\n{"text": "D said E."}\n'
    items = list(ArticleSource(STDIN, format=InputFormat.jsonl, stdin=io.BytesIO(data)).items())
    assert [a.id for a in items if isinstance(a, Article)] == ["stdin-1", "stdin-4"]
    failed = {f.path: f.reason for f in items if isinstance(f, LoadFailure)}
    assert failed["<stdin>:2"].startswith("not valid UTF-8")
    assert failed["<stdin>:3"] == "binary data (NUL byte)"


def test_empty_stdin_is_an_error():
    [failure] = list(ArticleSource(STDIN, stdin=io.BytesIO(b"  \n")).items())
    assert isinstance(failure, LoadFailure) and failure.reason == "standard input is empty"
