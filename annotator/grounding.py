"""Align verbatim fields (content, mention, cue) to character offsets in the article.

Three tiers, tried in order, each recorded on the span so a reader can see how much to
trust it:

1. ``exact``: the string occurs as is.
2. ``normalised``: equal after folding curly/straight quotes and apostrophes, dashes,
   runs of whitespace, and case. Models routinely "fix" typography; that is not invention.
3. ``fuzzy``: rapidfuzz's best partial alignment scores at least :data:`FUZZY_THRESHOLD`,
   and then, word by word, the passage differs from the fragment only by typos in
   ordinary words, whitespace and punctuation (:mod:`annotator.fidelity`): never in a
   negation, a number, a name or a hedge word, never by a word added or dropped. Short
   fragments (under :data:`FUZZY_MIN_LENGTH` characters) are never fuzzy-matched.

Whatever the tier, the offsets are the truth: callers store the article's own words at
them, not the string they were given.

Where a string occurs several times the instance nearest an anchor is chosen (the scheme
says mention and cue are the instances nearest the content), or the n-th occurrence
when a gold file names one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rapidfuzz import fuzz

from annotator.fidelity import Word, compare, gap_problem, words
from annotator.models import Alignment, CharSpan, ClaimSpans

FUZZY_THRESHOLD = 90.0
FUZZY_MIN_LENGTH = 16
MAX_GAP_CHARS = 250
"""The most a discontinuous field may skip between two of its pieces."""
MAX_FIRST_PIECE_TRIES = 50
WINDOW_SLACK_WORDS = 2
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
    found = candidates(
        text, fragment, near=near, occurrence=occurrence, folded=folded, allow_fuzzy=allow_fuzzy
    )
    return found[0] if found else None


def candidates(
    text: str,
    fragment: str,
    *,
    near: int | None = None,
    occurrence: int | None = None,
    folded: NormalisedText | None = None,
    allow_fuzzy: bool = True,
) -> list[CharSpan]:
    """Every instance of ``fragment`` the first tier that finds it finds, best first
    (nearest ``near``, or only the ``occurrence``-th); at most one for ``fuzzy``."""
    if not fragment.strip():
        return []
    starts = _ordered(_all_occurrences(text, fragment), len(fragment), near, occurrence)
    if starts:
        return [CharSpan(start=s, end=s + len(fragment), alignment=Alignment.exact) for s in starts]
    folded = folded or normalise(text)
    needle = normalise(fragment).text
    starts = _ordered(_all_occurrences(folded.text, needle), len(needle), near, occurrence)
    if starts:
        spans = []
        for start in starts:
            begin, end = folded.to_original(start, start + len(needle))
            spans.append(CharSpan(start=begin, end=end, alignment=Alignment.normalised))
        return spans
    if not allow_fuzzy or occurrence is not None:
        return []
    found = _fuzzy(text, fragment, folded)
    return [found] if isinstance(found, CharSpan) else []


def _ordered(starts: list[int], length: int, near: int | None, occurrence: int | None) -> list[int]:
    if occurrence is not None:
        return [starts[occurrence - 1]] if occurrence <= len(starts) else []
    if near is None:
        return starts
    return sorted(starts, key=lambda s: min(abs(s - near), abs(s + length - near)))


def _fuzzy(text: str, fragment: str, folded: NormalisedText) -> CharSpan | str | None:
    """The fuzzy tier: the best partial alignment, accepted only when the passage says
    what the fragment says (:func:`annotator.fidelity.compare`). Returns the span, the
    reason the closest passage was refused, or ``None`` when nothing is close."""
    needle = normalise(fragment).text
    if len(needle) < FUZZY_MIN_LENGTH:
        return None
    match = fuzz.partial_ratio_alignment(needle, folded.text)
    if match is None or match.score < FUZZY_THRESHOLD or match.dest_end <= match.dest_start:
        return None
    begin, end = folded.to_original(match.dest_start, match.dest_end)
    verdict = compare(fragment, _window(text, begin, end))
    if verdict.span is None:
        return verdict.reason
    return CharSpan(start=verdict.span[0], end=verdict.span[1], alignment=Alignment.fuzzy)


def _window(text: str, begin: int, end: int, slack: int = WINDOW_SLACK_WORDS) -> list[Word]:
    """The article's words overlapping ``[begin, end)`` and ``slack`` words either side:
    an alignment may clip or overshoot a word at its edges."""
    reach = 40 * (slack + 1)
    lo = max(0, begin - reach)
    around = words(text[lo : min(len(text), end + reach)], lo)
    inside = [i for i, w in enumerate(around) if w.end > begin and w.start < end]
    if not inside:
        return []
    return around[max(0, inside[0] - slack) : inside[-1] + 1 + slack]


def why_not_found(text: str, fragment: str, folded: NormalisedText | None = None) -> str | None:
    """Why the closest passage to ``fragment`` was refused, when one came close: the hint
    a re-ask needs ("the article has 'not safe' where the claim has 'safe'")."""
    pieces = fragment.split(FRAGMENT_SEPARATOR)
    folded = folded or normalise(text)
    for piece in pieces:
        if candidates(text, piece, folded=folded, allow_fuzzy=False):
            continue
        found = _fuzzy(text, piece, folded)
        if isinstance(found, str):
            return found
    if len(pieces) > 1:
        return (
            f"its pieces must appear in order, each within {MAX_GAP_CHARS} characters of the last, "
            "with no negation or hedge between them"
        )
    return None


def locate_fragments(
    text: str,
    value: str,
    *,
    near: int | None = None,
    occurrence: int | None = None,
    folded: NormalisedText | None = None,
    allow_fuzzy: bool = True,
) -> list[CharSpan] | None:
    """Locate a possibly discontinuous field (pieces joined by :data:`FRAGMENT_SEPARATOR`).

    The pieces must stand in the article in the order given, each within
    :data:`MAX_GAP_CHARS` of the one before, and what lies between them must not hold a
    negation or a hedge (:func:`annotator.fidelity.gap_problem`): "The mayor … resigned"
    is not in "The mayor has not resigned". Every instance of the first piece is tried.
    """
    first, *rest = value.split(FRAGMENT_SEPARATOR)
    starts = candidates(
        text, first, near=near, occurrence=occurrence, folded=folded, allow_fuzzy=allow_fuzzy
    )
    for start in starts[:MAX_FIRST_PIECE_TRIES]:
        spans = [start]
        for piece in rest:
            span = _next_piece(text, piece, spans[-1].end, allow_fuzzy)
            if span is None:
                break
            spans.append(span)
        else:
            return spans
    return None


def _next_piece(text: str, piece: str, after: int, allow_fuzzy: bool) -> CharSpan | None:
    """The next piece of a discontinuous field: after ``after``, close, no hiding gap."""
    window = text[after : after + MAX_GAP_CHARS + 2 * len(piece)]
    for found in candidates(window, piece, near=0, allow_fuzzy=allow_fuzzy):
        if found.start > MAX_GAP_CHARS or gap_problem(window[: found.start]):
            continue
        return CharSpan(start=after + found.start, end=after + found.end, alignment=found.alignment)
    return None


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
