"""annotator: grounded, typed attributed claims from news articles.

The public API is flat and typed (the names in ``__all__``); every module behind it is
private to the package. Names are imported on first use, so ``import annotator`` (and
``annotator --help``) stays fast.
"""

from __future__ import annotations

import importlib
from importlib.metadata import PackageNotFoundError, version
from typing import TYPE_CHECKING, Any

try:
    __version__ = version("annotator")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0"

if TYPE_CHECKING:
    from annotator.api import (
        RunOutput,
        annotate,
        annotate_async,
        compare,
        evaluate,
        load_run,
        merge,
        view,
        write_view,
    )
    from annotator.articles import ArticleSource, FieldMap, InputFormat
    from annotator.backends import BackendChoice
    from annotator.drift.records import Change, Cluster, Comparison
    from annotator.llm.settings import ExtractionMode, LLMSettings
    from annotator.models import (
        Article,
        ArticleResult,
        CharSpan,
        Claim,
        ClaimSpans,
        Hedging,
        QuoteType,
        Speaker,
        SpeakerType,
        Stance,
    )
    from annotator.viewer.render import ArticleView

_EXPORTS = {
    "annotate": "annotator.api",
    "annotate_async": "annotator.api",
    "load_run": "annotator.api",
    "evaluate": "annotator.api",
    "compare": "annotator.api",
    "Comparison": "annotator.drift.records",
    "Cluster": "annotator.drift.records",
    "Change": "annotator.drift.records",
    "merge": "annotator.api",
    "RunOutput": "annotator.api",
    "view": "annotator.api",
    "write_view": "annotator.api",
    "ArticleView": "annotator.viewer.render",
    "ArticleSource": "annotator.articles",
    "FieldMap": "annotator.articles",
    "InputFormat": "annotator.articles",
    "BackendChoice": "annotator.backends",
    "ExtractionMode": "annotator.llm.settings",
    "LLMSettings": "annotator.llm.settings",
    "Article": "annotator.models",
    "ArticleResult": "annotator.models",
    "CharSpan": "annotator.models",
    "Claim": "annotator.models",
    "ClaimSpans": "annotator.models",
    "Hedging": "annotator.models",
    "QuoteType": "annotator.models",
    "Speaker": "annotator.models",
    "SpeakerType": "annotator.models",
    "Stance": "annotator.models",
}

__all__ = [
    "Article",
    "ArticleResult",
    "ArticleSource",
    "ArticleView",
    "BackendChoice",
    "Change",
    "CharSpan",
    "Claim",
    "ClaimSpans",
    "Cluster",
    "Comparison",
    "ExtractionMode",
    "FieldMap",
    "Hedging",
    "InputFormat",
    "LLMSettings",
    "QuoteType",
    "RunOutput",
    "Speaker",
    "SpeakerType",
    "Stance",
    "__version__",
    "annotate",
    "annotate_async",
    "compare",
    "evaluate",
    "load_run",
    "merge",
    "view",
    "write_view",
]


def __getattr__(name: str) -> Any:
    """Import a public name from its module the first time it is asked for."""
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'annotator' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
