"""JSON and JSONL: one record per object, fields mapped by :mod:`annotator.articles.fields`.

A ``.json`` file holds one object or a list of them and is read whole; a ``.jsonl`` file
is read one line at a time, so a file of any length streams. A bad record fails alone,
named by line (``feed.jsonl:3``) or position (``batch.json#2``); the others load.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import Any

from annotator.articles.fields import FieldMap, from_record
from annotator.articles.outcome import ArticleError, LoadFailure, Origin
from annotator.models import Article


def parse_json(text: str, origin: Origin, fields: FieldMap) -> Iterator[Article | LoadFailure]:
    """The records of a whole JSON document (raises :class:`ArticleError` if it is unreadable)."""
    parsed = loads(text)
    items = parsed if isinstance(parsed, list) else [parsed]
    if not items:
        raise ArticleError("no records in the file (an empty list)")
    several = len(items) > 1
    for number, item in enumerate(items, 1):
        where = origin.at(f"#{number}") if several else origin.name
        default_id = f"{origin.stem}-{number}" if several else origin.stem
        yield _record(item, fields, default_id, where)


def parse_jsonl(lines: Iterable[tuple[int, str | ArticleError]], origin: Origin,
                fields: FieldMap) -> Iterator[Article | LoadFailure]:
    """One record per non-blank line; ``lines`` are (line number, text or why it is unreadable)."""
    found = False
    for number, line in lines:
        where = origin.at(f":{number}")
        if isinstance(line, ArticleError):
            found = True
            yield LoadFailure(where, str(line))
            continue
        if not line.strip():
            continue
        found = True
        try:
            record = loads(line)
        except ArticleError as error:
            yield LoadFailure(where, str(error))
            continue
        yield _record(record, fields, f"{origin.stem}-{number}", where)
    if not found:
        yield LoadFailure(origin.name, "no records in the input")


def loads(text: str) -> Any:
    """``json.loads`` whose every failure is an :class:`ArticleError` saying where and why."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise ArticleError(f"invalid JSON at line {error.lineno} column {error.colno}: {error.msg}") from error
    except RecursionError as error:
        raise ArticleError("JSON nested too deeply to read (deeper than Python's recursion limit)") from error
    except ValueError as error:  # e.g. an integer longer than Python converts
        raise ArticleError(f"invalid JSON: {error}") from error


def _record(record: Any, fields: FieldMap, default_id: str, where: str) -> Article | LoadFailure:
    try:
        return from_record(record, fields, default_id, where)
    except ArticleError as error:
        return LoadFailure(where, str(error))
