"""What loading yields besides articles: a failure, or an entry that is not an input.

Both are named with their reason, so nothing found in a folder vanishes without a word;
only failures make a run's exit code 1 (an ignored ``README.pdf`` or ``.git`` does not).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from annotator.models import Article


class ArticleError(ValueError):
    """Why one file (or one record of it) could not be turned into an article."""


@dataclass(frozen=True)
class LoadFailure:
    """An input that was skipped, and why.

    ``path`` names the file, and the record where there are several (``feed.jsonl:3``,
    ``batch.json#2``, ``table.csv:14``). ``ignored`` marks an entry that was never meant as
    an article (a hidden file, an unsupported type, an output folder): named, not failed.
    """

    path: str
    reason: str
    ignored: bool = False

    def __post_init__(self) -> None:
        # a file name or a record may hold what UTF-8 cannot; the failure must still print and store
        object.__setattr__(self, "path", printable(self.path))
        object.__setattr__(self, "reason", printable(self.reason))


@dataclass(frozen=True)
class Origin:
    """Where an input came from: ``name`` labels its records in sources and failures
    (``feed.jsonl:3``), ``stem`` is the default id of its articles."""

    name: str
    stem: str

    def at(self, mark: str) -> str:
        return f"{self.name}{mark}"


@dataclass
class LoadResult:
    """Everything found: the articles, the inputs that failed and the entries ignored."""

    articles: list[Article] = field(default_factory=list)
    failures: list[LoadFailure] = field(default_factory=list)
    ignored: list[LoadFailure] = field(default_factory=list)

    def add(self, item: Article | LoadFailure) -> None:
        if isinstance(item, Article):
            self.articles.append(item)
        elif item.ignored:
            self.ignored.append(item)
        else:
            self.failures.append(item)


def printable(path: str) -> str:
    """``path`` with anything UTF-8 cannot hold (the undecodable bytes of a file name, a lone
    surrogate) written as an escape, so the name can be printed and stored."""
    try:
        path.encode("utf-8")
    except UnicodeEncodeError:
        return path.encode("utf-8", "backslashreplace").decode("utf-8")
    return path
