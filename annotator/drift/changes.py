"""What changed: for every cluster with a reference claim, each other article's member
against the reference member, one :class:`~annotator.drift.records.Change` per field
that differs; ``omitted`` when the article has no member.

Fields, as docs/annotation-guidelines.md (section 11) defines them:

- ``speaker``: another story-wide entity (:mod:`speakers`);
- ``via``: other intermediaries, ignoring case, "the" and "news agency";
- ``hedging`` with ``direction`` (``more``/``less`` hedged), ``stance``, ``quote_type``:
  the labels differ;
- ``cue``: the cue's force class differs (:mod:`forces`); a synonym is no change;
- ``number``: a quantity or its approximator differs (:mod:`numbers`);
- ``content``: the proposition changed beyond those: a proper name added or dropped, or
  the contents, without their numbers and hedges, no longer alike (:data:`CONTENT_ALIKE`);
- ``omitted``, with ``unattributed`` when the other article states the proposition in the
  author's own words, in a sentence no claim of that article covers.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from rapidfuzz import fuzz

from annotator.drift.forces import force
from annotator.drift.loading import StoryArticle
from annotator.drift.numbers import number_drifts, quantities
from annotator.drift.records import Change, DriftField, Span
from annotator.drift.similarity import reduce_text
from annotator.drift.speakers import SpeakerMap
from annotator.grounding import locate
from annotator.models import HEDGING_ORDER, Claim

CONTENT_ALIKE = 0.6
"""Contents (numbers and hedges removed) less alike than this changed their proposition."""
UNATTRIBUTED = 0.85
"""An author sentence at least this alike to an omitted claim restates it without a source."""
_SENTENCE = re.compile(r"[^.!?\n]+(?:[.!?]+|$)")
_PROPER = re.compile(r"(?<![.!?]\s)\b[A-Z][\w'’-]+")


@dataclass(frozen=True)
class ClaimRef:
    """A claim of a story: its article and its index in that article's claims."""

    article: StoryArticle
    index: int

    @property
    def claim(self) -> Claim:
        return self.article.claims[self.index]


Nearest = Callable[[ClaimRef, StoryArticle], tuple[int, float] | None]
"""The claim of an article closest to a reference claim among those of the same source, and its score."""


def cluster_changes(
    cluster_id: str,
    reference: ClaimRef,
    members: Sequence[ClaimRef],
    others: Sequence[StoryArticle],
    speakers: SpeakerMap,
    nearest: Nearest | None = None,
) -> list[Change]:
    """Every change of one cluster: its members in other articles, and omissions.

    An omission names the closest claim the article has from the same source, with the
    fields that would differ, when there is one: a fact-checker reading "omitted" wants
    to see what the outlet says instead (a resident quoted "told the BBC" where the
    reference had "told the AFP news agency" is another interview, or the same one
    re-sourced: a reader decides).
    """
    changes: list[Change] = []
    for article in others:
        mine = [m for m in members if m.article.id == article.id]
        if not mine:
            omitted = _omitted(cluster_id, reference, article)
            found = nearest(reference, article) if nearest else None
            if found is not None:
                close = ClaimRef(article, found[0])
                differs = [c.field.value for c in member_changes(cluster_id, reference, close, speakers)]
                omitted.nearest = {"claim": found[0], "content": close.claim.content, "score": round(found[1], 3),
                                   "differs": differs, "via": close.claim.via, "cue": close.claim.cue}
            changes.append(omitted)
        for member in mine:
            changes += member_changes(cluster_id, reference, member, speakers)
    return changes


def member_changes(cluster_id: str, ref: ClaimRef, other: ClaimRef, speakers: SpeakerMap) -> list[Change]:
    """The fields of ``other`` that differ from ``ref``, in the guidelines' order."""
    a, b = ref.claim, other.claim

    def change(field: DriftField, before: object, after: object, **extra: object) -> Change:
        return Change.model_validate(
            {"cluster": cluster_id, "from": ref.article.id, "to": other.article.id, "field": field,
             "before": before, "after": after, "from_claim": ref.index, "to_claim": other.index, **extra}
        )

    found = []
    if speakers.of(ref.article.id, a.speaker) != speakers.of(other.article.id, b.speaker):
        found.append(change(DriftField.speaker, speakers.name(ref.article.id, a.speaker),
                            speakers.name(other.article.id, b.speaker)))
    if a.via is not None and b.via is not None and _via_key(a.via) != _via_key(b.via):
        found.append(change(DriftField.via, a.via, b.via))
    if a.hedging is not None and b.hedging is not None and a.hedging != b.hedging:
        more = HEDGING_ORDER.index(b.hedging) > HEDGING_ORDER.index(a.hedging)
        found.append(change(DriftField.hedging, a.hedging.value, b.hedging.value, direction="more" if more else "less",
                            before_span=_hedge_span(ref), after_span=_hedge_span(other),
                            before_cues=a.hedge_cues, after_cues=b.hedge_cues))
    for field in (DriftField.stance, DriftField.quote_type):
        x, y = getattr(a, field.value), getattr(b, field.value)
        if x is not None and y is not None and x != y:
            found.append(change(field, x.value, y.value))
    fa, fb = force(a.cue), force(b.cue)
    if fa is not None and fb is not None and fa != fb:
        found.append(change(DriftField.cue, a.cue, b.cue, before_force=fa.value, after_force=fb.value))
    drifts = number_drifts(a.content, b.content)
    if drifts:
        first = drifts[0]
        found.append(change(
            DriftField.number,
            "; ".join(d.before.text for d in drifts if d.before), "; ".join(d.after.text for d in drifts if d.after),
            before_span=_quantity_span(ref, first.before.text if first.before else None),
            after_span=_quantity_span(other, first.after.text if first.after else None),
        ))
    if content_changed(a, b):
        found.append(change(DriftField.content, a.content, b.content))
    return found


def content_changed(a: Claim, b: Claim) -> bool:
    """A proper name added or dropped, or contents no longer alike once numbers and hedges are set aside."""
    names_a, names_b = _proper_names(a.content), _proper_names(b.content)
    if any(not _has_name(n, names_b) for n in names_a) or any(not _has_name(n, names_a) for n in names_b):
        return True
    x, y = _core(a), _core(b)
    if not x or not y:
        return x != y
    alike = (fuzz.token_set_ratio(x, y) + fuzz.token_sort_ratio(x, y)) / 200
    return alike < CONTENT_ALIKE


def _core(claim: Claim) -> str:
    text = claim.content
    for quantity in reversed(quantities(text)):
        text = text[: quantity.start] + " " + text[quantity.end :]
    words = [w for w in reduce_text(text).split() if w not in {reduce_text(c) for c in claim.hedge_cues}]
    return " ".join(words)


def _proper_names(text: str) -> set[str]:
    """Capitalised words not at the start of the content or of a sentence: "Senegal", "Binoli"."""
    text = text.strip("\"'“”‘’ ")
    return {reduce_text(m.group(0)) for m in _PROPER.finditer(text) if m.start() > 0} - {""}


def _has_name(name: str, names: set[str]) -> bool:
    """The same name, or one of the same stem ("Senegal" / "Senegalese", "Mali" / "Malian")."""
    return any(other[:4] == name[:4] for other in names)


def _omitted(cluster_id: str, ref: ClaimRef, article: StoryArticle) -> Change:
    restated = unattributed(ref.claim, article)
    return Change.model_validate(
        {"cluster": cluster_id, "from": ref.article.id, "to": article.id, "field": DriftField.omitted,
         "before": ref.claim.content, "after": None, "from_claim": ref.index, "to_claim": None,
         "unattributed": restated[0] if restated else None,
         "after_span": restated[1] if restated else None}
    )


def unattributed(claim: Claim, article: StoryArticle) -> tuple[str, Span] | None:
    """The sentence of ``article`` outside every claim that best restates ``claim``, if any does."""
    if article.text is None:
        return None
    covered = [(s.start, s.end) for c in article.claims if c.spans for s in c.spans.content]
    targets = [t for t in {reduce_text(claim.content), reduce_text(claim.restatement or "")} if len(t.split()) >= 2]
    best: tuple[float, str, Span] | None = None
    for match in _SENTENCE.finditer(article.text):
        start, end = match.start(), match.end()
        if any(a < end and start < b for a, b in covered):
            continue
        sentence = match.group(0).strip()
        reduced = reduce_text(sentence)
        if not reduced:
            continue
        score = max((fuzz.token_set_ratio(t, reduced) / 100 for t in targets), default=0.0)
        if score >= UNATTRIBUTED and (best is None or score > best[0]):
            offset = start + match.group(0).index(sentence)
            best = (score, sentence, Span(start=offset, end=offset + len(sentence)))
    return (best[1], best[2]) if best else None


def _via_key(via: list[str]) -> list[str]:
    keys = []
    for name in via:
        key = re.sub(r"\b(the|news agency|agency|news service)\b", " ", name.lower())
        keys.append(" ".join(re.findall(r"\w+", key)))
    return keys


def _hedge_span(ref: ClaimRef) -> Span | None:
    cues = ref.claim.hedge_cues
    return _in_content(ref, cues[0]) if cues else None


def _quantity_span(ref: ClaimRef, text: str | None) -> Span | None:
    return _in_content(ref, text) if text else None


def _in_content(ref: ClaimRef, fragment: str) -> Span | None:
    """Offsets of ``fragment`` in the article, the instance nearest the claim's content."""
    text, spans = ref.article.text, ref.claim.spans
    if text is None or spans is None or not spans.content:
        return None
    content = spans.content[0]
    found = locate(text[content.start : spans.content[-1].end], fragment, allow_fuzzy=False)
    if found is None:
        return None
    return Span(start=content.start + found.start, end=content.start + found.end)
