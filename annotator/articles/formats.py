"""Which format an input is, and reading it: a file by its extension, a stream by its start.

Whole-file formats (text, Markdown, HTML, JSON) are read and checked in memory; JSONL,
CSV and TSV are checked in chunks first and then read one record at a time, so their
size is bounded by the disk, not by memory.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from enum import Enum
from pathlib import Path
from typing import BinaryIO

from annotator.articles.delimited import parse_table
from annotator.articles.fields import FieldMap, make_article
from annotator.articles.html import parse_html
from annotator.articles.json_records import parse_json, parse_jsonl
from annotator.articles.markdown import parse_markdown
from annotator.articles.outcome import ArticleError, LoadFailure, Origin
from annotator.articles.raw import check_file, decode, decode_line, read_bytes
from annotator.models import Article


class InputFormat(str, Enum):
    """The formats an article can come in."""

    txt = "txt"
    md = "md"
    html = "html"
    json = "json"
    jsonl = "jsonl"
    csv = "csv"
    tsv = "tsv"


SUFFIXES: dict[str, InputFormat] = {
    ".txt": InputFormat.txt,
    ".md": InputFormat.md,
    ".markdown": InputFormat.md,
    ".html": InputFormat.html,
    ".htm": InputFormat.html,
    ".json": InputFormat.json,
    ".jsonl": InputFormat.jsonl,
    ".ndjson": InputFormat.jsonl,
    ".csv": InputFormat.csv,
    ".tsv": InputFormat.tsv,
}
STREAMED = frozenset({InputFormat.jsonl, InputFormat.csv, InputFormat.tsv})
DELIMITERS = {InputFormat.csv: ",", InputFormat.tsv: "\t"}


def format_of(path: Path) -> InputFormat:
    """The format a file's extension says, or :class:`ArticleError` for any other."""
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        supported = " ".join(sorted(SUFFIXES))
        raise ArticleError(f"unsupported file type {suffix or '(no extension)'} (read: {supported})")
    return SUFFIXES[suffix]


def read_file(path: Path, form: InputFormat, fields: FieldMap) -> Iterator[Article | LoadFailure]:
    """The articles of one file. Raises :class:`ArticleError`, before anything is yielded,
    when the file as a whole is unusable."""
    origin = Origin(str(path), path.stem)
    if form in STREAMED:
        check_file(path)
        return _streamed_file(path, form, origin, fields)
    return _whole(decode(read_bytes(path)), form, origin, fields)


def read_stream(stream: BinaryIO, form: InputFormat | None, fields: FieldMap, origin: Origin) -> Iterator[
        Article | LoadFailure]:
    """The articles of a stream read once (standard input); ``form`` ``None`` detects it."""
    head: list[bytes] = []
    if form is None:
        form, head = _detect(stream)
    if form in STREAMED:
        rest = io.BufferedReader(_Chain(head, stream)) if head else stream
        if form is InputFormat.jsonl:
            return parse_jsonl(_stdin_lines(rest), origin, fields)
        text = io.TextIOWrapper(rest, encoding="utf-8-sig", newline="")
        return parse_table(text, origin, fields, DELIMITERS[form])
    return _whole(decode(b"".join(head) + stream.read()), form, origin, fields)


def _whole(text: str, form: InputFormat, origin: Origin, fields: FieldMap) -> Iterator[Article | LoadFailure]:
    if form is InputFormat.txt:
        return iter([make_article(origin.stem, text, origin.name)])
    if form is InputFormat.md:
        return parse_markdown(text, origin, fields)
    if form is InputFormat.html:
        return parse_html(text, origin)
    return parse_json(text, origin, fields)


def _streamed_file(path: Path, form: InputFormat, origin: Origin, fields: FieldMap) -> Iterator[Article | LoadFailure]:
    if form is InputFormat.jsonl:
        with path.open("rb") as handle:
            # checked already: decoding a line cannot fail, a BOM on the first is dropped
            yield from parse_jsonl(((n, decode_line(line, n == 1)) for n, line in enumerate(handle, 1)), origin, fields)
        return
    with path.open(encoding="utf-8-sig", newline="") as text:
        yield from parse_table(text, origin, fields, DELIMITERS[form])


def _stdin_lines(stream: BinaryIO) -> Iterator[tuple[int, str | ArticleError]]:
    for number, line in enumerate(stream, 1):
        try:
            yield number, decode_line(line, number == 1)
        except ArticleError as error:
            yield number, error


def _detect(stream: BinaryIO) -> tuple[InputFormat, list[bytes]]:
    """Guess a stream's format from its first non-blank line (kept, to be read again).

    ``[`` starts JSON; ``{`` starts JSONL when the first line is a whole JSON value and
    JSON otherwise; ``<`` starts HTML; ``---`` (front matter) Markdown; anything else is
    text. CSV and TSV cannot be told from text: name them with ``--format``.
    """
    head: list[bytes] = []
    for line in stream:
        head.append(line)
        start = line.lstrip().removeprefix(b"\xef\xbb\xbf").lstrip()
        if not start:
            continue
        if start.startswith(b"["):
            return InputFormat.json, head
        if start.startswith(b"{"):
            return (InputFormat.jsonl if _whole_json(start) else InputFormat.json), head
        if start.startswith(b"<"):
            return InputFormat.html, head
        if start.rstrip() in (b"---", b"+++"):
            return InputFormat.md, head
        return InputFormat.txt, head
    raise ArticleError("standard input is empty")


def _whole_json(line: bytes) -> bool:
    import json

    try:
        json.loads(line)
    except (ValueError, RecursionError):
        return False
    return True


class _Chain(io.RawIOBase):
    """Lines already read, then the rest of the stream: one readable stream again."""

    def __init__(self, head: list[bytes], rest: BinaryIO) -> None:
        self._buffer = b"".join(head)
        self._rest = rest

    def readable(self) -> bool:
        return True

    def readinto(self, target: bytearray | memoryview) -> int:  # type: ignore[override]
        if not self._buffer:  # read1: what the stream has now, not a full buffer (a slow pipe streams)
            read = getattr(self._rest, "read1", self._rest.read)
            self._buffer = read(len(target)) or b""
        size = min(len(target), len(self._buffer))
        target[:size] = self._buffer[:size]
        self._buffer = self._buffer[size:]
        return size
