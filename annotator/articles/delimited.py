"""CSV and TSV: a header row names the columns, every further row is one article.

Rows are read one at a time (a table of any length streams). Quoting is standard CSV
(as pandas and spreadsheets write it, fields with newlines quoted), read strictly: a
malformed row fails alone, named by the line it starts on (``table.csv:14``), instead
of being read into the wrong columns. A column the user named (``--text-field`` ...)
that the header lacks refuses the whole file at once, listing the columns there are.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from typing import TYPE_CHECKING, TextIO

from annotator.articles.fields import FieldMap, from_record
from annotator.articles.outcome import ArticleError, LoadFailure, Origin
from annotator.models import Article

if TYPE_CHECKING:
    from _csv import Reader

FIELD_LIMIT = 2**31 - 1
"""csv's default cell limit (128 KiB) is below some articles; the size limit is the pipeline's."""


def parse_table(handle: TextIO, origin: Origin, fields: FieldMap, delimiter: str) -> Iterator[Article | LoadFailure]:
    """Every row of a table as an article or a failure; ``handle`` is opened with ``newline=""``."""
    csv.field_size_limit(max(csv.field_size_limit(), FIELD_LIMIT))
    reader = csv.reader(handle, delimiter=delimiter, strict=True)
    try:
        header = [name.strip() for name in next(reader, [])]
        problem = _header_problem(header, fields)
    except (csv.Error, UnicodeDecodeError) as error:
        problem = f"unreadable header row: {error}"
    if problem:
        yield LoadFailure(origin.name, problem)
        return
    yield from _rows(reader, header, origin, fields)


def _rows(reader: Reader, header: list[str], origin: Origin, fields: FieldMap) -> Iterator[Article | LoadFailure]:
    number = 0
    while True:
        start = reader.line_num + 1
        where = origin.at(f":{start}")
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as error:
            yield LoadFailure(where, f"malformed row: {error}")
            continue
        except UnicodeDecodeError as error:  # standard input, which could not be checked first
            yield LoadFailure(where, f"not valid UTF-8 ({error.reason}); the rest of the input was not read")
            return
        if not any(cell.strip() for cell in row):
            continue
        number += 1
        yield _article(row, header, fields, f"{origin.stem}-{number}", where)


def _article(row: list[str], header: list[str], fields: FieldMap, default_id: str, where: str) -> Article | LoadFailure:
    if len(row) != len(header):
        return LoadFailure(where, f"row has {len(row)} cells, the header {len(header)}")
    if any("\x00" in cell for cell in row):
        return LoadFailure(where, "binary data (NUL byte)")
    try:
        return from_record(dict(zip(header, row, strict=True)), fields, default_id, where, nested=False)
    except ArticleError as error:
        return LoadFailure(where, str(error))


def _header_problem(header: list[str], fields: FieldMap) -> str | None:
    if not any(header):
        return "no header row (the first row must name the columns)"
    columns = ", ".join(repr(name) for name in header)
    missing = [f"{what} column {name!r}" for what, name in fields.explicit() if name not in header]
    if missing:
        return f"no {' or '.join(missing)} (columns: {columns})"
    if not fields.text and not set(fields.text_names()) & set(header):
        wanted = " or ".join(repr(n) for n in fields.text_names())
        return f"no {wanted} column for the text (columns: {columns}); name it with --text-field"
    return None
