"""Loading articles: a folder, a file or standard input, in any supported format.

Formats: plain text, Markdown (converted to text), HTML (main text via trafilatura),
JSON, JSONL, CSV and TSV (records mapped to articles by a :class:`FieldMap`). A broken
input never stops the rest: each one that cannot be read becomes a :class:`LoadFailure`
naming the file (and record) and the reason, and every entry of a folder that is not
read (hidden, unsupported, an output folder, a link outside the folder) is named too.

Modules: ``source`` (what a run reads), ``walk`` (a folder's entries), ``formats``
(which format, and reading it), one module per format, ``fields`` (records to
articles), ``raw`` (bytes to text), ``outcome`` (failures).
"""

from annotator.articles.fields import META_FIELDS, FieldMap, outlet_of
from annotator.articles.formats import SUFFIXES, InputFormat
from annotator.articles.markdown import to_text as markdown_to_text
from annotator.articles.outcome import ArticleError, LoadFailure, LoadResult
from annotator.articles.source import STDIN, ArticleSource, iter_folder, load_file, load_folder
from annotator.articles.walk import is_output_folder

__all__ = [
    "META_FIELDS",
    "STDIN",
    "SUFFIXES",
    "ArticleError",
    "ArticleSource",
    "FieldMap",
    "InputFormat",
    "LoadFailure",
    "LoadResult",
    "is_output_folder",
    "iter_folder",
    "load_file",
    "load_folder",
    "markdown_to_text",
    "outlet_of",
]
