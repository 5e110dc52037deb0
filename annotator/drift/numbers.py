"""Quantities in a claim and their approximators: "more than 80", "over three", "seven", "dozens".

A number change is a quantity whose value or approximator class differs between two
renderings of one claim: "more than 80" vs "80" (approximator dropped), "three" vs "over
three" (added), "seven towns" vs "several towns" (a count made vague). "more than 80" vs
"over 80" is no change: both approximators bound the value from below. Years, ordinals
and dates are not quantities.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from annotator.drift.lexicon import load_lexicon


@dataclass(frozen=True)
class Quantity:
    """One number phrase with offsets into the string it was found in."""

    text: str
    start: int
    end: int
    value: float | None
    """``None`` for a vague quantity ("several", "dozens")."""
    approximator: str | None
    """``above``, ``below``, ``about`` or ``None`` (exact)."""

    @property
    def key(self) -> tuple[float | None, str | None, str | None]:
        vague = None if self.value is not None else self.text.split()[-1].lower()
        return self.value, self.approximator, vague


@cache
def _pattern() -> re.Pattern[str]:
    lexicon = load_lexicon()
    words = sorted([*lexicon.units, *lexicon.vague], key=len, reverse=True)
    approx = sorted(lexicon.approximators, key=len, reverse=True)
    number = r"\d+(?:[.,]\d+)*(?:\s*(?:per\s*cent|percent|%))?"
    word = rf"(?:{'|'.join(map(re.escape, words))})(?:[\s-](?:{'|'.join(map(re.escape, words))}))*"
    return re.compile(
        rf"\b(?:(?P<approx>{'|'.join(map(re.escape, approx))})\s+)?(?P<num>{number}|{word})\b(?!\s*(?:st|nd|rd|th)\b)",
        re.IGNORECASE,
    )


_YEAR = re.compile(r"^(1[89]|20)\d\d$")
_MONTHS = re.compile(
    r"\b(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sept?(?:ember)?"
    r"|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\b",
    re.IGNORECASE,
)


def quantities(text: str) -> list[Quantity]:
    """Every quantity of ``text`` in order (a date's day and a year are skipped)."""
    lexicon = load_lexicon()
    found = []
    for match in _pattern().finditer(text):
        number = match.group("num")
        if _YEAR.match(number) or _is_date(text, match.start("num"), match.end("num")):
            continue
        approx = match.group("approx")
        found.append(
            Quantity(
                text=match.group(0),
                start=match.start(),
                end=match.end(),
                value=_value(number.lower(), lexicon.units),
                approximator=lexicon.approximators.get(approx.lower()) if approx else None,
            )
        )
    return found


def _is_date(text: str, start: int, end: int) -> bool:
    """"2 June", "June 2": a day of a month, not a count."""
    return bool(_MONTHS.match(text[end : end + 12].lstrip())) or bool(
        re.search(rf"{_MONTHS.pattern}\s*$", text[max(0, start - 12) : start], re.IGNORECASE)
    )


def _value(number: str, units: dict[str, int]) -> float | None:
    digits = re.sub(r"[^\d.]", "", number.replace(",", ""))
    if digits and number[0].isdigit():
        try:
            return float(digits)
        except ValueError:
            return None
    total, current = 0, 0
    for word in re.split(r"[\s-]+", number):
        value = units.get(word)
        if value is None:
            return None  # vague ("several", "dozens") or unknown
        if value >= 100:
            current = max(current, 1) * value
            if value >= 1000:
                total, current = total + current, 0
        else:
            current += value
    return float(total + current)


@dataclass(frozen=True)
class NumberDrift:
    """A quantity of the reference claim and its changed counterpart."""

    before: Quantity | None
    after: Quantity | None


def number_drifts(before: str, after: str) -> list[NumberDrift]:
    """Quantities that differ between two renderings of one claim.

    Equal quantities pair first; then quantities of the same value (an approximator
    changed); then what is left pairs in text order (a value changed). A quantity with
    no counterpart at all (a detail added or dropped) is a content change, not a number
    change, and is not returned.
    """
    left, right = quantities(before), quantities(after)
    drifts = []
    for same in (lambda a, b: a.key == b.key, lambda a, b: a.value is not None and a.value == b.value):
        for a in list(left):
            match = next((b for b in right if same(a, b)), None)
            if match is not None:
                left.remove(a)
                right.remove(match)
                if a.key != match.key:
                    drifts.append(NumberDrift(a, match))
    drifts += [NumberDrift(a, b) for a, b in zip(left, right, strict=False)]
    return drifts
