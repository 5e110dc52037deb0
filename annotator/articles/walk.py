"""Walking a folder: which entries are inputs, and why every other one is not.

Depth first, names sorted in each folder (the order of ``sorted(root.rglob("*"))``),
one folder listing held at a time. Every entry that is not read is named with its
reason: hidden names (``.git``, ``.env``), unsupported extensions, special files, the
output folder of a run (``--out``, or any folder holding an annotator run) and symbolic
links. A link is followed only when its target lies inside the folder (or with
``follow_symlinks``), and never to a hidden file: a link ``notes.txt -> ~/.env`` would
otherwise send a key to the endpoint.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from pathlib import Path

from annotator.articles.formats import SUFFIXES
from annotator.articles.outcome import LoadFailure

OUTPUT_ENTRIES = ("articles", "logs", "claims.jsonl", "run.json", "view", "exports")
"""What an annotate run writes into its output folder (store.py's layout), and where
``annotator view`` and ``annotator export`` write by default (HTML pages and brat texts
that must not come back as articles)."""


def walk(root: Path, exclude: Sequence[Path] = (), *, follow_symlinks: bool = False) -> Iterator[Path | LoadFailure]:
    """Every input file below ``root`` (a folder), and every entry not read, with why.

    ``exclude`` are output folders; one that is ``root`` itself excludes only what a run
    writes there (``articles/``, ``logs/``, ``claims.jsonl``, ``run.json``).
    """
    top = root.resolve()
    excluded = {p.resolve() for p in exclude}
    if top in excluded:
        excluded = (excluded - {top}) | {top / name for name in OUTPUT_ENTRIES}
    yield from _folder(root, top, top, excluded, follow_symlinks)


def is_output_folder(folder: Path) -> bool:
    """A folder an annotate run wrote: its ``run.json``, or (a run cut short before writing
    it) an ``articles/`` folder of result files."""
    if _starts_with(folder / "run.json", (b'"annotator_version"',)):
        return True
    results = folder / "articles"
    if not results.is_dir():
        return False
    try:
        with os.scandir(results) as listing:
            first = min((entry.path for entry in listing if entry.name.endswith(".json")), default=None)
    except OSError:
        return False
    return first is not None and _starts_with(Path(first), (b'"text_sha256"', b'"prompt_version"'))


def _starts_with(path: Path, keys: tuple[bytes, ...]) -> bool:
    """Whether the first 4 KB of ``path`` hold every one of ``keys``."""
    try:
        with path.open("rb") as handle:
            head = handle.read(4096)
    except OSError:
        return False
    return all(key in head for key in keys)


def _folder(folder: Path, real: Path, top: Path, excluded: set[Path], follow: bool) -> Iterator[Path | LoadFailure]:
    """``folder`` as the user named it (paths in messages and outputs keep that form) and
    ``real``, the same folder resolved (for comparisons)."""
    try:
        with os.scandir(folder) as listing:
            entries = sorted(listing, key=lambda entry: entry.name)
    except OSError as error:
        yield LoadFailure(str(folder), f"cannot list the folder: {error.strerror or error}")
        return
    for entry in entries:
        path = folder / entry.name
        if real / entry.name in excluded:
            yield LoadFailure(str(path), "the output of this run (--out): not read as input", ignored=True)
        elif entry.name.startswith("."):
            kind = "folder" if entry.is_dir() else "file"
            yield LoadFailure(str(path), f"hidden {kind} (a name starting with '.'): not read", ignored=True)
        elif entry.is_symlink():
            yield from _link(path, top, follow)
        elif entry.is_dir():
            if is_output_folder(path):
                yield LoadFailure(str(path), "an annotator output folder: not read as input", ignored=True)
            else:
                yield from _folder(path, real / entry.name, top, excluded, follow)
        else:
            yield from _file(path, entry.is_file())


def _file(path: Path, regular: bool) -> Iterator[Path | LoadFailure]:
    if not regular:
        yield LoadFailure(str(path), "not a regular file (a pipe, socket or device): not read", ignored=True)
    elif path.suffix.lower() not in SUFFIXES:
        supported = " ".join(sorted(SUFFIXES))
        kind = path.suffix.lower() or "(no extension)"
        yield LoadFailure(str(path), f"unsupported file type {kind} (read: {supported})", ignored=True)
    else:
        try:
            str(path).encode("utf-8")
        except UnicodeEncodeError:
            yield LoadFailure(str(path), "the file name is not valid UTF-8: rename the file to read it")
            return
        yield path


def _link(path: Path, top: Path, follow: bool) -> Iterator[Path | LoadFailure]:
    """A symbolic link: read when its target is a visible file inside the folder (or with
    ``follow``); a folder behind a link is never entered (its files are read where they are)."""
    try:
        target = path.resolve(strict=True)
    except (OSError, RuntimeError):
        yield LoadFailure(str(path), "broken symbolic link: not read")
        return
    if target.is_dir():
        yield LoadFailure(str(path), f"symbolic link to a folder ({target}): not followed", ignored=True)
        return
    inside = target.is_relative_to(top)
    hidden = any(part.startswith(".") for part in (target.relative_to(top).parts if inside else target.parts))
    if hidden:
        yield LoadFailure(str(path), f"symbolic link to a hidden file ({target}): not followed")
    elif not inside and not follow:
        yield LoadFailure(
            str(path), f"symbolic link to a file outside the folder ({target}): not followed "
                       "(pass --follow-symlinks to read it)"
        )
    else:
        yield from _file(path, target.is_file())
