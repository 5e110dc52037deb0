"""What a run reads: a folder (recursively), one file, or standard input, one article at a time.

Articles stream: a file is opened when the one before it is done, a JSONL or CSV file
is read record by record, and only the ids seen so far are kept (to refuse a duplicate),
so a run holds one input in memory whatever the size of the corpus.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from annotator.articles.fields import FieldMap
from annotator.articles.formats import InputFormat, format_of, read_file, read_stream
from annotator.articles.outcome import ArticleError, LoadFailure, LoadResult, Origin
from annotator.articles.walk import is_output_folder, walk
from annotator.models import Article

STDIN = Path("-")
STDIN_ORIGIN = Origin("<stdin>", "stdin")


@dataclass(frozen=True)
class ArticleSource:
    """Where a run's articles come from and how they are read.

    ``path`` is a folder, a file or ``-`` (standard input, or ``stdin`` when given).
    ``format`` overrides the extension of a single file and the detection of standard
    input; a folder's files are always read by their extensions.
    """

    path: Path
    format: InputFormat | None = None
    fields: FieldMap = field(default_factory=FieldMap)
    follow_symlinks: bool = False
    stdin: BinaryIO | None = None

    def items(self, exclude: Sequence[Path] = ()) -> Iterator[Article | LoadFailure]:
        """Every article, every input that failed and every entry ignored, in order.

        ``exclude`` are output folders never to read. Raises :class:`ArticleError` at
        once when the source cannot be read at all (missing, an output folder, ...).
        """
        if self.path == STDIN:
            stream = self.stdin if self.stdin is not None else sys.stdin.buffer
            read = functools.partial(read_stream, stream, self.format, self.fields, STDIN_ORIGIN)
            return _unique(_guarded(STDIN_ORIGIN.name, read))
        if not self.path.exists():
            raise ArticleError(f"{self.path}: no such file or directory")
        if not self.path.is_dir():
            form = self.format or format_of(self.path)
            return _unique(_guarded(str(self.path), functools.partial(read_file, self.path, form, self.fields)))
        if self.format is not None:
            raise ArticleError("--format applies to standard input or a single file; a folder's files are "
                               "read by their extensions")
        _refuse_output(self.path, exclude)
        return _unique(self._folder(exclude))

    def _folder(self, exclude: Sequence[Path]) -> Iterator[Article | LoadFailure]:
        for item in walk(self.path, exclude, follow_symlinks=self.follow_symlinks):
            if isinstance(item, LoadFailure):
                yield item
                continue
            yield from _guarded(str(item), functools.partial(_read_by_extension, item, self.fields))


def _read_by_extension(path: Path, fields: FieldMap) -> Iterator[Article | LoadFailure]:
    return read_file(path, format_of(path), fields)


def iter_folder(
    root: Path, *, fields: FieldMap | None = None, exclude: Sequence[Path] = (), follow_symlinks: bool = False
) -> Iterator[Article | LoadFailure]:
    """Every article below ``root`` (a folder or a file), and every input that failed or
    was ignored, one file at a time. Raises :class:`ArticleError` at once when ``root``
    is missing or is an output folder."""
    source = ArticleSource(root, fields=fields or FieldMap(), follow_symlinks=follow_symlinks)
    return source.items(exclude)


def load_folder(
    root: Path, *, fields: FieldMap | None = None, exclude: Sequence[Path] = (), follow_symlinks: bool = False
) -> LoadResult:
    """Everything :func:`iter_folder` finds, collected (for folders that fit in memory)."""
    result = LoadResult()
    for item in iter_folder(root, fields=fields, exclude=exclude, follow_symlinks=follow_symlinks):
        result.add(item)
    return result


def load_file(path: Path, form: InputFormat | None = None, fields: FieldMap | None = None) -> LoadResult:
    """The articles of one file; a bad record fails alone. Raises :class:`ArticleError`
    when the file as a whole is unusable (unsupported, empty, binary, unparsable)."""
    result = LoadResult()
    for item in read_file(path, form or format_of(path), fields or FieldMap()):
        result.add(item)
    return result


def _refuse_output(root: Path, exclude: Sequence[Path]) -> None:
    """A run never reads an output folder, nor a folder inside one (writing into the
    folder it reads, ``annotate . --out .``, is allowed: its outputs are skipped)."""
    real = root.resolve()
    outs = [out.resolve() for out in exclude]
    if real in outs:
        return
    for out in outs:
        if real.is_relative_to(out):
            raise ArticleError(f"{root} is inside the output folder {out}: point at the articles instead")
    if is_output_folder(root):
        raise ArticleError(f"{root} is an annotator output folder (it holds a run): "
                           "point at the articles it was made from")


def _guarded(name: str, read: Callable[[], Iterator[Article | LoadFailure]]) -> Iterator[Article | LoadFailure]:
    """``read()``'s items; an error of the input as a whole ends it as one failure naming it."""
    try:
        yield from read()
    except ArticleError as error:
        yield LoadFailure(name, str(error))
    except OSError as error:  # vanished or unreadable while being read
        yield LoadFailure(name, f"cannot read the file: {error.strerror or error}")


def _unique(items: Iterator[Article | LoadFailure]) -> Iterator[Article | LoadFailure]:
    """Refuse an article whose id an earlier one has, naming both inputs."""
    seen: dict[str, str] = {}
    for item in items:
        if isinstance(item, Article):
            if item.id in seen:
                yield LoadFailure(item.path, f"duplicate article id {item.id!r}: also in {seen[item.id]}")
                continue
            seen[item.id] = item.path
        yield item
