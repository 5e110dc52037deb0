"""Bytes to text: the checks every input passes before a format reads it.

An input is refused as a whole when it is empty, holds a NUL byte anywhere (binary),
or is not UTF-8 (a BOM is allowed and dropped). Files read whole are checked in memory;
files streamed record by record (JSONL, CSV, TSV) are checked first in chunks, nothing
kept, so a bad byte on line 90,000 refuses the file before its first record is annotated.
Standard input cannot be read twice: there each line is checked as it comes.
"""

from __future__ import annotations

import codecs
from pathlib import Path

from annotator.articles.outcome import ArticleError

CHUNK = 1 << 20
BOM = b"\xef\xbb\xbf"


def read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as error:
        raise ArticleError(f"cannot read the file: {error.strerror or error}") from error


def decode(data: bytes) -> str:
    """The text of a whole input, or :class:`ArticleError` saying what is wrong with it."""
    if not data.strip():
        raise ArticleError("file is empty")
    nul = data.find(b"\x00")
    if nul >= 0:
        raise ArticleError("file is binary (contains NUL bytes)")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise ArticleError(f"not valid UTF-8 (byte {error.start}): {error.reason}") from error


def check_file(path: Path) -> None:
    """:func:`decode`'s checks over a file of any size, in constant memory."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    offset = 0
    blank = True
    try:
        with path.open("rb") as handle:
            while chunk := handle.read(CHUNK):
                nul = chunk.find(b"\x00")
                if nul >= 0:
                    raise ArticleError("file is binary (contains NUL bytes)")
                pending = len(decoder.getstate()[0])
                try:
                    decoder.decode(chunk)
                except UnicodeDecodeError as error:
                    where = offset - pending + error.start
                    raise ArticleError(f"not valid UTF-8 (byte {where}): {error.reason}") from error
                blank = blank and not chunk.strip()
                offset += len(chunk)
            try:
                decoder.decode(b"", final=True)
            except UnicodeDecodeError as error:
                raise ArticleError(f"not valid UTF-8 (byte {offset - len(error.object) + error.start}): "
                                   f"{error.reason}") from error
    except OSError as error:
        raise ArticleError(f"cannot read the file: {error.strerror or error}") from error
    if blank:
        raise ArticleError("file is empty")


def decode_line(line: bytes, first: bool) -> str:
    """One line of a stream that could not be checked beforehand (standard input)."""
    if first and line.startswith(BOM):
        line = line[len(BOM):]
    if b"\x00" in line:
        raise ArticleError("binary data (NUL byte)")
    try:
        return line.decode("utf-8")
    except UnicodeDecodeError as error:
        raise ArticleError(f"not valid UTF-8 (byte {error.start} of the line): {error.reason}") from error
