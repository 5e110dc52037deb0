"""Records to articles: which field holds the text, the id and each piece of metadata.

A record is a JSON object, a CSV/TSV row or a Markdown file's front matter. By default
the text is ``text`` (else news-please's ``maintext``), the id ``id``, and the metadata
``title``, ``url``, ``date`` (else news-please's ``date_publish``) and ``outlet`` (else
news-please's ``source_domain``). ``--text-field``, ``--id-field`` and ``--meta-field
title=headline`` name other fields; in JSON a dotted name (``source.name``) reaches into
nested objects. When no outlet is given, the host of the URL stands for it.
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from annotator.articles.outcome import ArticleError
from annotator.models import Article

META_FIELDS = ("title", "url", "date", "outlet")
"""The metadata an :class:`~annotator.models.Article` carries into every output."""

DEFAULT_TEXT = ("text", "maintext")
DEFAULT_ID = ("id",)
DEFAULT_META: Mapping[str, tuple[str, ...]] = {
    "title": ("title",),
    "url": ("url",),
    "date": ("date", "date_publish"),
    "outlet": ("outlet", "source_domain"),
}


@dataclass(frozen=True)
class FieldMap:
    """Where a record keeps what an article needs; ``None`` means the defaults above."""

    text: str | None = None
    id: str | None = None
    meta: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def parse(cls, text: str | None = None, id: str | None = None, meta: Sequence[str] = ()) -> FieldMap:
        """From the command line: ``meta`` items are ``FIELD=NAME``, FIELD one of title,
        url, date, outlet. Raises :class:`ArticleError` on anything else."""
        mapping: dict[str, str] = {}
        for item in meta:
            target, sep, name = item.partition("=")
            target, name = target.strip(), name.strip()
            if not sep or not target or not name:
                raise ArticleError(f"--meta-field {item!r}: expected FIELD=NAME, e.g. title=headline")
            if target not in META_FIELDS:
                raise ArticleError(f"--meta-field {item!r}: {target!r} is not one of {', '.join(META_FIELDS)}")
            mapping[target] = name
        for option, value in (("--text-field", text), ("--id-field", id)):
            if value is not None and not value.strip():
                raise ArticleError(f"{option}: empty field name")
        return cls(text=text, id=id, meta=mapping)

    def text_names(self) -> tuple[str, ...]:
        return (self.text,) if self.text else DEFAULT_TEXT

    def id_names(self) -> tuple[str, ...]:
        return (self.id,) if self.id else DEFAULT_ID

    def meta_names(self, target: str) -> tuple[str, ...]:
        named = self.meta.get(target)
        return (named,) if named else DEFAULT_META[target]

    def explicit(self) -> list[tuple[str, str]]:
        """The fields the user named, as (what, field name): a table must have these columns."""
        named = [("text", self.text), ("id", self.id), *self.meta.items()]
        return [(what, name) for what, name in named if name]


def from_record(record: Any, fields: FieldMap, default_id: str, source: str, *, nested: bool = True) -> Article:
    """The article in one record, or :class:`ArticleError` naming the field at fault."""
    if not isinstance(record, Mapping):
        raise ArticleError(f"expected an object with a {fields.text_names()[0]!r} field, got {_kind(record)}")
    text_name, text = _first(record, fields.text_names(), nested)
    if text is None:
        wanted = " or ".join(repr(n) for n in fields.text_names())
        raise ArticleError(f"no {wanted} field (fields: {_keys(record)}); name the text with --text-field")
    if not isinstance(text, str):
        raise ArticleError(f"field {text_name!r} is {_kind(text)}, expected the article text as a string")
    identifier = article_id(record, fields, default_id, nested=nested)
    return make_article(identifier, text, source, **metadata(record, fields, nested=nested))


def article_id(record: Mapping[str, Any], fields: FieldMap, default: str, *, nested: bool) -> str:
    """The record's id; ``default`` when it has none (a field named with --id-field must be there)."""
    name, value = _first(record, fields.id_names(), nested)
    if value is None and fields.id:
        raise ArticleError(f"no {fields.id!r} field for the id (fields: {_keys(record)})")
    return _scalar(name, value) or default


def metadata(record: Mapping[str, Any], fields: FieldMap, *, nested: bool) -> dict[str, str | None]:
    """Title, url, date and outlet of a record, each ``None`` when absent."""
    return {target: _scalar(*_first(record, fields.meta_names(target), nested)) for target in META_FIELDS}


def make_article(article_id: str, text: str, source: str, **meta: str | None) -> Article:
    """An article whose every string can be written as UTF-8, its outlet filled from its URL."""
    if not text.strip():
        raise ArticleError("article text is empty")
    values = {"id": article_id, "text": text, **{k: v for k, v in meta.items() if v}}
    for name, value in values.items():
        _check_unicode(name, value)
    if not values.get("outlet") and values.get("url"):
        host = outlet_of(values["url"])
        if host:
            values["outlet"] = host
    return Article(path=source, **values)


def outlet_of(url: str) -> str | None:
    """The host of a URL without ``www.``: ``https://www.bbc.co.uk/news`` -> ``bbc.co.uk``."""
    try:
        host = urlsplit(url.strip()).hostname
    except ValueError:
        return None
    if not host:
        return None
    return host.removeprefix("www.")


def _first(record: Mapping[str, Any], names: tuple[str, ...], nested: bool) -> tuple[str, Any]:
    """The first of ``names`` present (not null) in the record, and its value."""
    for name in names:
        value = _get(record, name, nested)
        if value is not None:
            return name, value
    return names[0], None


def _get(record: Mapping[str, Any], name: str, nested: bool) -> Any:
    if name in record or not nested or "." not in name:
        return record.get(name)
    value: Any = record
    for part in name.split("."):
        if not isinstance(value, Mapping):
            return None
        value = value.get(part)
    return value


def _scalar(name: str, value: Any) -> str | None:
    """A metadata value as text; empty means absent. Objects and lists are refused."""
    if value is None:
        return None
    if isinstance(value, str):
        return value.strip() or None
    if isinstance(value, datetime.date | datetime.time):  # YAML front matter parses dates
        return value.isoformat()
    if isinstance(value, bool | int | float):
        return json.dumps(value)
    raise ArticleError(f"field {name!r} is {_kind(value)}, expected a string or a number")


def _check_unicode(name: str, value: str) -> None:
    """Refuse text that UTF-8 cannot hold (a JSON ``\\ud800`` escape decodes to a lone surrogate)."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as error:
        bad = value[error.start]
        raise ArticleError(
            f"field {name!r} holds a lone surrogate (\\u{ord(bad):04x}) at character {error.start}: "
            "not valid Unicode text"
        ) from error


def _kind(value: Any) -> str:
    if isinstance(value, Mapping):
        return "an object"
    if isinstance(value, list | tuple):
        return "a list"
    if value is None:
        return "null"
    return f"a {type(value).__name__}"


def _keys(record: Mapping[str, Any]) -> str:
    keys = [str(k) for k in record]
    shown = ", ".join(keys[:12]) + (", ..." if len(keys) > 12 else "")
    return shown or "none"
