"""Page furniture: the parts of a scraped page that are not the article's own text.

A pure function from article text to typed character regions, shared by every backend:
the offline backend reads no claim from furniture, and an LLM backend need not spend
tokens on it. The rules follow ``docs/annotation-guidelines.md`` section 2.1:

- ``related``: "READ MORE" lists, "You may also be interested in", widget headings
  ("Impact Shorts", "More Shorts") and the other stories' headlines listed under them,
  which attribute claims to no one in this article;
- ``boilerplate``: comment, subscription, follow-us, promo and copyright lines;
- ``caption``: photo captions and credits ("Image: REUTERS/...", "AFP via Getty Images");
- ``credit``: wire credits on their own line ("Reuters", "With inputs from agencies");
- ``byline``: "By X", and the short name lines between the headline and the body;
- ``dateline``: a leading "WASHINGTON (Reuters) —", "date 2025-07-02", a time stamp;
- ``markup``: Markdown left in converted text: link targets, emphasis marks, heading
  hashes (the link text itself stays);
- ``headline``: the article's **own** headline and Title Case lines set apart like one.
  These are article text (the guidelines label a headline that attributes), but written
  without the function words the taggers rely on, so a reader must insist on a real
  reporting verb there.

Everything is decided line by line with regular expressions: linear in the text, and
the same answer for the same text.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass
from enum import Enum


class RegionKind(str, Enum):
    headline = "headline"
    dateline = "dateline"
    byline = "byline"
    caption = "caption"
    credit = "credit"
    related = "related"
    boilerplate = "boilerplate"
    markup = "markup"


@dataclass(frozen=True, slots=True)
class Region:
    """Half-open character range ``[start, end)`` of one piece of furniture."""

    kind: RegionKind
    start: int
    end: int


SKIPPED = frozenset(RegionKind) - {RegionKind.headline}
"""Kinds that are not the article's text at all: no claim is read inside them."""

MAX_FURNITURE_WORDS = 30
"""Longer lines are prose, whatever words they contain."""
MAX_HEADLINE_WORDS = 25
MAX_BYLINE_WORDS = 5
MAX_LISTED_HEADLINE_WORDS = 20

_RELATED = re.compile(
    r"^(?:read more|related(?: (?:stories|articles|coverage|content|news|links))?|more (?:from|on|stories|news)"
    r"[^.!?]{0,40}|you (?:may|might) also (?:be interested in|like)|recommended(?: for you)?|most read"
    r"|most popular|latest (?:videos|news|stories)|also read|see also|trending(?: now)?|top stories"
    r"|(?:impact|more) shorts|watch(?: more)?|in pictures|editor'?s picks|don'?t miss)\s*[:.]?\s*$",
    re.IGNORECASE,
)
_GLUED_WIDGET = re.compile(r"^(?:More Shorts|Impact Shorts|ADVERTISEMENT|Advertisement)(?=[A-Z])")
_BOILERPLATE = re.compile(
    r"comment policy|would you like to comment|to comment on this|log in to comment|all rights reserved"
    r"|copyright ©|©\s*\d{4}|in your inbox"
    r"|follow (?:us|@|[A-Z][\w.]*(?: [A-Z][\w.]*)? on (?:twitter|facebook|instagram))"
    r"|on twitter @|\bgo to [\w.-]+\.(?:com|org|net|co\.uk)\b|download (?:the|our) app|click here|like the page"
    r"|sign up (?:\(|for (?:our|free)|now|today)|or sign in\b|listen to this article|story continues below"
    r"|continue reading the main story|we are sorry,? ?this video",
    re.IGNORECASE,
)
_PROMO = re.compile(
    r"\bsubscribe\b|\bsign (?:up|in)\b|\bnewsletter\b|\bpodcasts?\b|\bshare (?:this|on)\b", re.IGNORECASE
)
"""Weaker boilerplate words, trusted only on a short line that is not a sentence."""
MAX_PROMO_WORDS = 12
_CAPTION = re.compile(
    r"^(?:image|photo|picture|photograph|video|graphic)(?: credit)?s?\s*:|via getty images|getty images"
    r"|\((?:file )?photo\)|\bap photo\b|\bphoto by\b|/getty\b",
    re.IGNORECASE,
)
_PHOTO_CREDIT = re.compile(r"\b(?:REUTERS|Reuters|AFP|AP|EPA|Anadolu)/[A-Z][a-z]+(?: [A-Z][a-z]+)*\.?$")
"""A photographer's credit closing a caption: "... REUTERS/Paul Lorgerie"."""
_CREDIT = re.compile(
    r"^(?:\(?(?:reuters|ap|afp|associated press|agence france-presse|getty(?: images)?|bloomberg|upi|cnn"
    r"|bbc news|ians|pti|ani)\)?\.?|with inputs from (?:agencies|[\w ]+)\.?|\(?(?:additional )?reporting by .*"
    r"|editing by .*|compiled by .*|contributing:.*|\(?this story has been .*)$",
    re.IGNORECASE,
)
_NAME = r"[A-Z][\w.'-]+(?: [A-Z][\w.'-]+){0,3}"
_BYLINE = re.compile(rf"^(?i:by) {_NAME}(?:,? (?:and|&) {_NAME})?\.?$")
_DATELINE_PREFIX = re.compile(
    r"^\s*(?:date \d{4}-\d{2}-\d{2}\s+"
    r"|[A-Z][A-Z.'-]+(?: [A-Z][A-Z.'-]+){0,3}(?:, [A-Z][a-z]{2,8}\.? \d{1,2})?(?: \([A-Za-z. ]{2,25}\))?"
    r"\s*(?:--|[\u2014\u2013-])\s+)"
)
_DATE_LINE = re.compile(
    r"^(?:(?:published|updated|posted|last updated)\b.{0,60}"
    r"|(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*,? .{0,40}\d{4}(?: .{0,20})?"
    r"|(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.? \d{1,2},? \d{4}(?: .{0,20})?"
    r"|\d{1,2}(?::\d{2})? ?[ap]\.?m\.?(?: [A-Z]{2,4})?\.?|\d{4}-\d{2}-\d{2}(?:[ T]\d{2}:\d{2}.*)?)$",
    re.IGNORECASE,
)
_MARKUP = re.compile(
    r"!?\[(?=[^\]\n]{0,300}\]\()|\]\((?:https?://|/|#|mailto:)[^)\s]*\)"  # [text](target): all but text
    r"|\*\*|__(?=\w)|(?<=\w)__|^#{1,6} (?=\S)|^> ",
    re.MULTILINE,
)
_WORD = re.compile(r"[^\W\d_][\w'\u2019-]*")
_TERMINAL = (".", "!", "?", "\u201d", '"', "\u2019", "'", ":", ";")
_SMALL_WORDS = frozenset(
    "a an and as at but by for from in into of on or the to vs via with over after amid".split()
)


def page_furniture(text: str) -> list[Region]:
    """Every furniture region of ``text``, in text order. Regions never overlap, except
    that Markdown markup may lie inside a headline (which is text, and is kept)."""
    lines = _lines(text)
    regions: list[Region] = []
    headline = _own_headline(lines)
    in_related = False
    header = True  # between the top of the page and the first body paragraph
    first = True
    for start, end, line in lines:
        if not line:
            continue
        words = _WORD.findall(line)
        kind = _line_kind(line, words, header and not first)
        first = False
        if kind is RegionKind.related:
            in_related = True
        elif in_related and kind is None and len(words) <= MAX_LISTED_HEADLINE_WORDS and not _is_prose(line, words):
            kind = RegionKind.related  # a listed headline of another story
        elif kind is None:
            in_related = False
        if kind is None and ((headline is not None and _same_line(line, headline)) or _title_case(line, words)):
            kind = RegionKind.headline
        if kind is not None:
            regions.append(Region(kind, start + _indent(text, start), end))
        else:
            regions.extend(_inline(text, start, end, header))
        if _is_prose(line, words) and kind is None:
            header = False
    regions.extend(_markup(text, regions))
    return sorted(regions, key=lambda r: (r.start, r.end))


def mask(text: str, regions: list[Region], kinds: frozenset[RegionKind] = SKIPPED) -> str:
    """``text`` with the regions of ``kinds`` blanked out, same length and same line
    breaks: offsets into the result are offsets into ``text``."""
    pieces: list[str] = []
    at = 0
    for region in regions:
        if region.kind not in kinds or region.end <= at:
            continue
        start = max(region.start, at)
        pieces.append(text[at:start])
        pieces.append(re.sub(r"[^\n]", " ", text[start : region.end]))
        at = region.end
    pieces.append(text[at:])
    return "".join(pieces)


class Enclosure:
    """Which furniture region holds a span: regions other than markup never overlap, so
    one binary search finds the only candidate (markup, a few characters of link
    targets and emphasis marks, holds no span worth asking about)."""

    def __init__(self, regions: list[Region], kinds: frozenset[RegionKind] = SKIPPED) -> None:
        self._regions = [r for r in regions if r.kind in kinds and r.kind is not RegionKind.markup]
        self._starts = [r.start for r in self._regions]

    def holding(self, start: int, end: int) -> Region | None:
        """The region holding all of ``[start, end)``, if one does."""
        at = bisect.bisect_right(self._starts, start) - 1
        if at >= 0 and end <= self._regions[at].end:
            return self._regions[at]
        return None


def _lines(text: str) -> list[tuple[int, int, str]]:
    """(start, end, stripped text) of every line, ``end`` before the line break."""
    out: list[tuple[int, int, str]] = []
    start = 0
    for match in re.finditer(r"\n", text):
        out.append((start, match.start(), text[start : match.start()].strip()))
        start = match.end()
    out.append((start, len(text), text[start:].strip()))
    return out


_BLANKS = re.compile(r"[ \t]*")


def _indent(text: str, start: int) -> int:
    """Spaces and tabs at ``start`` (matched in place: slicing the rest of a 50 MB text
    once per line would be quadratic)."""
    match = _BLANKS.match(text, start)
    return match.end() - start if match else 0


def _line_kind(line: str, words: list[str], header: bool) -> RegionKind | None:
    """The kind of a whole line of furniture, or ``None`` for article text."""
    if len(words) > MAX_FURNITURE_WORDS:
        return None
    if _RELATED.match(line):
        return RegionKind.related
    if _CREDIT.match(line):
        return RegionKind.credit
    if _CAPTION.search(line) or _PHOTO_CREDIT.search(line):
        return RegionKind.caption
    if _BOILERPLATE.search(line):
        return RegionKind.boilerplate
    if len(words) <= MAX_PROMO_WORDS and _PROMO.search(line) and not _is_prose(line, words):
        return RegionKind.boilerplate
    if _DATE_LINE.match(line):
        return RegionKind.dateline
    if _BYLINE.match(line) or (header and _name_line(line, words)):
        return RegionKind.byline
    if not words and len(line) <= 12:
        return RegionKind.boilerplate  # "___.", "}", "*": separators and debris
    return None


def _inline(text: str, start: int, end: int, header: bool) -> list[Region]:
    """Furniture at the head of a line of article text: a glued widget anywhere, a
    dateline on the first paragraph of the body."""
    out: list[Region] = []
    offset = start + _indent(text, start)
    body = text[offset:end]
    widget = _GLUED_WIDGET.match(body)
    if widget:
        out.append(Region(RegionKind.related, offset, offset + widget.end()))
        offset += widget.end()
        body = text[offset:end]
    dateline = _DATELINE_PREFIX.match(body) if header else None
    if dateline and len(_WORD.findall(body[dateline.end() :])) >= 3:
        out.append(Region(RegionKind.dateline, offset, offset + dateline.end()))
    return out


def _markup(text: str, taken: list[Region]) -> list[Region]:
    """Markdown syntax outside the skipped regions already found."""
    spans = sorted((r.start, r.end) for r in taken if r.kind in SKIPPED)
    out: list[Region] = []
    k = 0
    for match in _MARKUP.finditer(text):
        while k < len(spans) and spans[k][1] <= match.start():
            k += 1
        if k < len(spans) and spans[k][0] < match.end():
            continue
        out.append(Region(RegionKind.markup, match.start(), match.end()))
    return out


def _own_headline(lines: list[tuple[int, int, str]]) -> str | None:
    """The first line when it reads as a headline: short, no furniture itself, and
    followed by more text (a text of one line is a sentence, not a headline)."""
    if sum(1 for _, _, line in lines if line) < 2:
        return None
    for _, _, line in lines:
        if not line:
            continue
        words = _WORD.findall(line)
        if len(words) > MAX_HEADLINE_WORDS or _line_kind(line, words, header=False) is not None:
            return None
        if _DATELINE_PREFIX.match(line) or (_is_prose(line, words) and len(words) > 15):
            return None
        return line
    return None


def _same_line(line: str, headline: str) -> bool:
    """The headline repeated (case and apostrophes aside); lengths first, cheaply."""
    return abs(len(line) - len(headline)) <= 4 and _fold(line) == _fold(headline)


def _fold(line: str) -> str:
    return " ".join(w.lower().replace("\u2019", "'") for w in _WORD.findall(line))


def _is_prose(line: str, words: list[str]) -> bool:
    """A sentence of body text: several words, mostly lower case, ending like a sentence."""
    if len(words) < 8 or not line.rstrip().endswith(_TERMINAL):
        return False
    lower = sum(1 for w in words if w[0].islower())
    return lower >= len(words) / 3


def _title_case(line: str, words: list[str]) -> bool:
    """A headline set in Title Case: four words or more, nearly all capitalised but the
    small words, and no sentence punctuation inside."""
    if not 4 <= len(words) <= MAX_HEADLINE_WORDS or re.search(r"[.!?;]\s+\S", line):
        return False
    content = [w for w in words if w.lower() not in _SMALL_WORDS]
    return len(content) >= 3 and all(w[0].isupper() or w[0].isdigit() for w in content)


def _name_line(line: str, words: list[str]) -> bool:
    """A short line of capitalised words only ("Wedaeli Chibelushi", "BBC News")."""
    if not 1 <= len(words) <= MAX_BYLINE_WORDS or line.endswith((".", "!", "?", ":")):
        return False
    return all(w[0].isupper() for w in words) and len(line) <= 60
