"""Align verbatim fields (content, mention, cue) to character offsets in the article.

Three tiers, tried in order, each recorded on the span so a reader can see how much to
trust it:

1. ``exact``: the string occurs as is.
2. ``normalised``: equal after folding curly/straight quotes and apostrophes, dashes,
   runs of whitespace, and case. Models routinely "fix" typography; that is not invention.
3. ``fuzzy``: rapidfuzz's best partial alignment scores at least :data:`FUZZY_THRESHOLD`.
   At 90, a 60-character quote may differ by about six characters (a dropped word,
   an elided "...", a typo) but a paraphrase ("could" for "would", a changed number in
   a short phrase) fails; short fragments (under :data:`FUZZY_MIN_LENGTH` characters)
   are never fuzzy-matched because any short string is "90% similar" to something.

Where a string occurs several times the instance nearest an anchor is chosen (the scheme
says mention and cue are the instances nearest the content), or the n-th occurrence
when a gold file names one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rapidfuzz import fuzz

from annotator.models import Alignment, CharSpan, ClaimSpans

FUZZY_THRESHOLD = 90.0
FUZZY_MIN_LENGTH = 16
FRAGMENT_SEPARATOR = " … "
"""Joins the pieces of a discontinuous field (imported corpora) in its text form."""

_FOLD = str.maketrans(
    {
        "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'",
        "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u201f": '"', "\u2033": '"',
        "\u00ab": '"', "\u00bb": '"', "`": "'",
        "\u2013": "-", "\u2014": "-", "\u2212": "-", "\u00a0": " ",
    }
)
_SPACE = re.compile(r"\s+")
_OUTER_QUOTES = ("\"'\u201c\u201d\u2018\u2019\u00ab\u00bb")


@dataclass(frozen=True)
class NormalisedText:
    """Folded text plus, for each folded character, its offset in the original."""

    text: str
    offsets: tuple[int, ...]

    def to_original(self, start: int, end: int) -> tuple[int, int]:
        """Map a folded half-open range back to original offsets."""
        return self.offsets[start], self.offsets[end - 1] + 1


def normalise(text: str) -> NormalisedText:
    """Fold typography and whitespace, keeping a map back to original offsets."""
    chars: list[str] = []
    offsets: list[int] = []
    pending_space = False
    for i, ch in enumerate(text):
        if ch.isspace():
            pending_space = bool(chars)
            continue
        if pending_space:
            chars.append(" ")
            offsets.append(i - 1)
            pending_space = False
        folded = ch.translate(_FOLD)
        lowered = folded.lower()
        chars.append(lowered if len(lowered) == 1 else folded)
        offsets.append(i)
    return NormalisedText("".join(chars), tuple(offsets))


def clean_fragment(value: str) -> str:
    """Strip what the scheme leaves out of a verbatim field.

    Surrounding whitespace, one pair of quotation marks enclosing the whole string (a
    direct quote is stored without its marks) and a trailing comma or full stop.
    """
    value = value.strip()
    if len(value) >= 2 and value[0] in _OUTER_QUOTES and value[-1] in _OUTER_QUOTES:
        inner = value[1:-1]
        if not any(q in inner for q in _OUTER_QUOTES[:1] + "\u201c\u201d"):
            value = inner.strip()
    return value.rstrip(",.;: ").strip()


def _all_occurrences(haystack: str, needle: str) -> list[int]:
    """Starts of ``needle`` that do not cut a word: "he" is not found inside "The"."""
    found: list[int] = []
    start = haystack.find(needle)
    while start != -1:
        end = start + len(needle)
        cuts_left = needle[0].isalnum() and start > 0 and haystack[start - 1].isalnum()
        cuts_right = needle[-1].isalnum() and end < len(haystack) and haystack[end].isalnum()
        if not (cuts_left or cuts_right):
            found.append(start)
        start = haystack.find(needle, start + 1)
    return found


def _pick(starts: list[int], length: int, near: int | None, occurrence: int | None) -> int | None:
    if not starts:
        return None
    if occurrence is not None:
        return starts[occurrence - 1] if occurrence <= len(starts) else None
    if near is None:
        return starts[0]
    return min(starts, key=lambda s: min(abs(s - near), abs(s + length - near)))


def locate(
    text: str,
    fragment: str,
    *,
    near: int | None = None,
    occurrence: int | None = None,
    folded: NormalisedText | None = None,
    allow_fuzzy: bool = True,
) -> CharSpan | None:
    """Find ``fragment`` in ``text``; ``None`` when no tier finds it.

    ``folded`` lets callers grounding many fields reuse one normalisation of ``text``.
    """
    if not fragment.strip():
        return None
    start = _pick(_all_occurrences(text, fragment), len(fragment), near, occurrence)
    if start is not None:
        return CharSpan(start=start, end=start + len(fragment), alignment=Alignment.exact)
    folded = folded or normalise(text)
    needle = normalise(fragment).text
    start = _pick(_all_occurrences(folded.text, needle), len(needle), near, occurrence)
    if start is not None:
        begin, end = folded.to_original(start, start + len(needle))
        return CharSpan(start=begin, end=end, alignment=Alignment.normalised)
    if not allow_fuzzy or occurrence is not None or len(needle) < FUZZY_MIN_LENGTH:
        return None
    match = fuzz.partial_ratio_alignment(needle, folded.text)
    if match is None or match.score < FUZZY_THRESHOLD or match.dest_end <= match.dest_start:
        return None
    start, end = _snap_to_words(folded.text, match.dest_start, match.dest_end)
    begin, end = folded.to_original(start, end)
    return CharSpan(start=begin, end=end, alignment=Alignment.fuzzy)


def _snap_to_words(text: str, start: int, end: int) -> tuple[int, int]:
    """Widen a fuzzy alignment to whole words: rapidfuzz may clip a letter at either end."""
    while start > 0 and text[start - 1].isalnum() and text[start].isalnum():
        start -= 1
    while end < len(text) and text[end].isalnum() and text[end - 1].isalnum():
        end += 1
    return start, end


def locate_fragments(
    text: str,
    value: str,
    *,
    near: int | None = None,
    occurrence: int | None = None,
    folded: NormalisedText | None = None,
    allow_fuzzy: bool = True,
) -> list[CharSpan] | None:
    """Locate a possibly discontinuous field (pieces joined by :data:`FRAGMENT_SEPARATOR`)."""
    spans: list[CharSpan] = []
    anchor = near
    for index, piece in enumerate(value.split(FRAGMENT_SEPARATOR)):
        span = locate(
            text,
            piece,
            near=anchor,
            occurrence=occurrence if index == 0 else None,
            folded=folded,
            allow_fuzzy=allow_fuzzy,
        )
        if span is None:
            return None
        spans.append(span)
        anchor = span.end
    return spans


@dataclass(frozen=True)
class ClaimLocation:
    """Where a claim's verbatim fields are, and which given fields could not be found."""

    spans: ClaimSpans | None
    """``None`` when the content itself is not in the text."""
    missing: tuple[str, ...] = ()
    """Names of the fields (``content``, ``mention``, ``cue``) given but not found."""


def locate_claim(
    text: str,
    content: str,
    mention: str | None,
    cue: str | None,
    *,
    occurrence: int | None = None,
    folded: NormalisedText | None = None,
    allow_fuzzy: bool = True,
) -> ClaimLocation:
    """The scheme's rule, in one place: the content (its ``occurrence``-th instance when
    given), then the mention and the cue instances nearest to it.

    A mention or cue that is not found leaves its spans empty and is named in
    ``missing``; callers decide whether that fails the claim (grounding) or not
    (scoring a prediction).
    """
    folded = folded or normalise(text)
    found = locate_fragments(
        text, content, occurrence=occurrence, folded=folded, allow_fuzzy=allow_fuzzy
    )
    if found is None:
        return ClaimLocation(spans=None, missing=("content",))
    anchor = found[0].start
    located: dict[str, list[CharSpan]] = {}
    missing: list[str] = []
    for name, value in (("mention", mention), ("cue", cue)):
        spans = None
        if value:
            spans = locate_fragments(
                text, value, near=anchor, folded=folded, allow_fuzzy=allow_fuzzy
            )
            if spans is None:
                missing.append(name)
        located[name] = spans or []
    return ClaimLocation(ClaimSpans(content=found, **located), tuple(missing))


def distance(a: CharSpan, b: CharSpan) -> int:
    """Characters between two spans; 0 when they touch or overlap."""
    return max(0, max(a.start, b.start) - min(a.end, b.end))
