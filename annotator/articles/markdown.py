"""Markdown to plain text, and its front matter to metadata.

The annotator reads text: link targets, emphasis markers, heading hashes and images
must not end up inside a speaker or a claim's content. The file is parsed with
markdown-it-py (CommonMark, plus tables and strikethrough; already installed with
rich) and rendered as text: headings, paragraphs, list items, quotes and table rows
each become a block, blocks are separated by a blank line, a link keeps its words
and drops its target, emphasis keeps its words, images and raw HTML tags are dropped
(the text inside an HTML block is kept), entities and backslash escapes are resolved.
Every offset of the output points into this converted text, which the output stores.

YAML (``---``) or TOML (``+++``) front matter at the top of the file gives the id and
metadata, mapped as the fields of a JSON record are (``--meta-field`` applies).
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterator, Sequence
from functools import cache
from html.parser import HTMLParser
from typing import TYPE_CHECKING, Any

from annotator.articles.fields import FieldMap, article_id, make_article, metadata
from annotator.articles.outcome import ArticleError, Origin
from annotator.models import Article

if TYPE_CHECKING:
    from markdown_it import MarkdownIt
    from markdown_it.token import Token

_YAML = re.compile(r"\A---[ \t]*\r?\n(?P<body>.*?)^(?:---|\.\.\.)[ \t]*(?:\r?\n|\Z)", re.S | re.M)
_TOML = re.compile(r"\A\+\+\+[ \t]*\r?\n(?P<body>.*?)^\+\+\+[ \t]*(?:\r?\n|\Z)", re.S | re.M)


def parse_markdown(source: str, origin: Origin, fields: FieldMap) -> Iterator[Article]:
    """The one article of a Markdown file."""
    front, body = split_front_matter(source.removeprefix("\ufeff"))
    text = to_text(body)
    if not text.strip():
        raise ArticleError("no text in the Markdown (after removing markup)")
    meta = metadata(front, fields, nested=True)
    yield make_article(article_id(front, fields, origin.stem, nested=True), text, origin.name, **meta)


def split_front_matter(source: str) -> tuple[dict[str, Any], str]:
    """The front matter as a mapping (empty when there is none) and the Markdown after it.

    A fenced block at the top that is not a mapping is not front matter (``---`` is also
    a thematic break); one that does not parse is an error naming its line.
    """
    for pattern, parse in ((_YAML, _yaml), (_TOML, _toml)):
        match = pattern.match(source)
        if match:
            front = parse(match["body"])
            if isinstance(front, dict):
                return front, source[match.end():]
    return {}, source


def _yaml(body: str) -> Any:
    import yaml

    try:
        return yaml.safe_load(body)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" at line {mark.line + 2}" if mark is not None else ""
        problem = getattr(error, "problem", None) or str(error)
        raise ArticleError(f"front matter is not valid YAML{where}: {problem}") from error
    except RecursionError as error:
        raise ArticleError("front matter nested too deeply to read") from error


def _toml(body: str) -> Any:
    try:
        return tomllib.loads(body)
    except tomllib.TOMLDecodeError as error:
        raise ArticleError(f"front matter is not valid TOML: {error}") from error


@cache
def _parser() -> MarkdownIt:
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark").enable(["table", "strikethrough"])


def to_text(markdown: str) -> str:
    """The text a reader of the rendered page sees, one block per paragraph."""
    blocks: list[str] = []
    table: list[str] | None = None
    row: list[str] | None = None
    for token in _parser().parse(markdown):
        kind = token.type
        if kind == "inline":
            text = _inline(token.children or [])
            (row if row is not None else blocks).append(text)
        elif kind in ("fence", "code_block"):
            blocks.append(token.content)
        elif kind == "html_block":
            blocks.append(_html_text(token.content))
        elif kind == "table_open":
            table = []
        elif kind == "tr_open":
            row = []
        elif kind == "tr_close" and row is not None:
            (table if table is not None else blocks).append("\t".join(cell.strip() for cell in row))
            row = None
        elif kind == "table_close" and table is not None:
            blocks.append("\n".join(table))
            table = None
    return "\n\n".join(block.strip() for block in blocks if block.strip())


def _inline(children: Sequence[Token]) -> str:
    parts = []
    for child in children:
        if child.type in ("text", "code_inline"):
            parts.append(child.content)
        elif child.type == "softbreak":
            parts.append(" ")
        elif child.type == "hardbreak":
            parts.append("\n")
        # images (their alt text too), raw HTML tags, link and emphasis markers: dropped
    return "".join(parts)


class _TextOfHTML(HTMLParser):
    """The text of a raw HTML block inside Markdown, without scripts and styles."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self._hidden += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style") and self._hidden:
            self._hidden -= 1

    def handle_data(self, data: str) -> None:
        if not self._hidden:
            self.parts.append(data)


def _html_text(html: str) -> str:
    parser = _TextOfHTML()
    parser.feed(html)
    parser.close()
    return "".join(parser.parts)
