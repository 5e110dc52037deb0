"""Hedging and stance by the scheme's marker lists (no corpus labels them, so no model).

Hedging is the speaker's commitment, read only inside the content; stance is the
author's framing, read from the cue and from markers around and inside the content.
"""

from __future__ import annotations

import re
from functools import cache
from itertools import islice

from annotator.models import Hedging, Stance
from annotator.offline.features import lemma
from annotator.offline.lexicon import Lexicon

AUXILIARIES = frozenset(
    """has have had also was were is are be been being did does do not n't never
    repeatedly previously later earlier again once just then first already still
    publicly privately reportedly allegedly would will could should may might can""".split()
)
_WORD = re.compile(r"[\w'\u2019-]+")
_SCARE_QUOTE = re.compile(r"[\"\u201c\u2018']([^\"\u201c\u201d\u2018\u2019']{1,40})[\"\u201d\u2019']")
MAX_SCARE_WORDS = 3
MAX_SCARE_CHECKS = 16  # quoted terms tried per content: each check copies the content


@cache
def _alternation(phrases: tuple[str, ...]) -> re.Pattern[str]:
    """One case-insensitive whole-word pattern for a list of marker phrases; longer
    phrases first so "expected to" wins over a shorter overlapping marker."""
    bodies = [
        re.escape(p).replace("'", "['\u2019]").replace("\\ ", r"\s+")
        for p in sorted(phrases, key=len, reverse=True)
    ]
    # a lookahead on the possible first letters lets the scanner skip most positions
    # before the lookbehind and the alternation are tried (same matches, fewer tries)
    initials = sorted({p[0] for p in phrases if p})
    ahead = f"(?=[{''.join(initials)}])" if initials and all(c.isalnum() for c in initials) else ""
    return re.compile(rf"{ahead}(?<![\w-])(?:{'|'.join(bodies)})(?![\w-])", re.IGNORECASE)


def find_markers(text: str, phrases: tuple[str, ...]) -> list[tuple[int, int]]:
    """Character spans of marker phrases in ``text``, in text order, not overlapping."""
    return [m.span() for m in _alternation(phrases).finditer(text)]


def hedging(content: str, lex: Lexicon) -> tuple[Hedging, list[str]]:
    """The strongest hedge level among markers inside ``content`` and the markers verbatim.

    Markers inside a listed non-hedge ("could not", "even if") do not count; number
    approximators ("more than 80") are simply not markers.
    """
    blocked = find_markers(content, lex.not_hedges)

    def free(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
        return [s for s in spans if not any(b[0] <= s[0] < b[1] for b in blocked)]

    high = free(find_markers(content, lex.hedge_high))
    low = free(find_markers(content, lex.hedge_low))
    found = sorted(high + low)
    cues = [content[a:b] for a, b in found]
    if high:
        return Hedging.high, cues
    if low:
        return Hedging.low, cues
    return Hedging.none, []


def cue_lemma(cue: str) -> str:
    """Lemma of the cue's head: its first word that is not an auxiliary or adverb."""
    words = [w.lower() for w in _WORD.findall(cue)]
    content_words = [w for w in words if w not in AUXILIARIES]
    return lemma((content_words or words or [""])[0])


def stance(cue: str, content: str, before: str, after: str, lex: Lexicon) -> Stance:
    """The author's stance toward one claim.

    ``before`` is the text between the cue (or sentence start) and the content, ``after``
    the rest of the sentence: "allegedly" and "without providing evidence" stand there.
    Checked from strongest to weakest signal: dispute, distance, endorse, neutral.
    """
    frame = f"{before} {content} {after}"
    if find_markers(frame, lex.dispute_markers):
        return Stance.dispute
    head = cue_lemma(cue)
    if head in lex.distance_cues and not find_markers(f"{cue} {content[:30]}", lex.neutral_idioms):
        return Stance.distance
    if find_markers(f"{before} {content}", lex.distance_markers):
        return Stance.distance
    if find_markers(after, lex.distance_trailers):
        return Stance.distance
    if head not in lex.naming_cues and has_scare_quotes(content):
        return Stance.distance
    # the crude lemma of "noting" is "not": try the stem with its "e" back ("note")
    if head in lex.endorse_cues or head + "e" in lex.endorse_cues or find_markers(cue, ("pointed out", "point out")):
        return Stance.endorse
    return Stance.neutral


def has_scare_quotes(content: str) -> bool:
    """A short quoted term inside otherwise unquoted content ("allegedly 'neutralising'")."""
    for match in islice(_SCARE_QUOTE.finditer(content), MAX_SCARE_CHECKS):
        words = match.group(1).split()
        rest = content[: match.start()] + content[match.end() :]
        if 0 < len(words) <= MAX_SCARE_WORDS and len(rest.split()) >= len(words):
            return True
    return False
