"""The Markdown report: per outlet, every change with the two sentences side by side."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from annotator.drift.changes import ClaimRef
from annotator.drift.excerpts import excerpt
from annotator.drift.records import Change, DriftField
from annotator.drift.run import StoryComparison

FIELD_ORDER = [f.value for f in DriftField]


def outlet_label(story: StoryComparison, article_id: str) -> str:
    info = story.comparison.articles.get(article_id)
    outlet = info.outlet if info and info.outlet else None
    return f"{outlet} ({article_id})" if outlet else article_id


def markdown(stories: Iterable[StoryComparison]) -> str:
    """One section per story, one subsection per outlet, the reference's first."""
    parts = []
    for story in stories:
        parts.append(_story(story))
    return "\n".join(parts)


def _story(story: StoryComparison) -> str:
    comparison = story.comparison
    ref_id = comparison.reference
    lines = [f"# Drift against {outlet_label(story, ref_id)}", ""]
    if comparison.story:
        lines += [f"Story `{comparison.story}`.", ""]
    lines += [f"- {note}" for note in comparison.notes]
    lines += ["", "| article | outlet | claims | shared with the reference | changes | omitted |"]
    lines += ["|---|---|---|---|---|---|"]
    for article in story.articles:
        changes = [c for c in comparison.changes if c.to == article.id]
        shared = {c.id for c in comparison.clusters
                  if any(m.article == ref_id for m in c.members) and any(m.article == article.id for m in c.members)}
        omitted = sum(1 for c in changes if c.field is DriftField.omitted)
        info = comparison.articles.get(article.id)
        lines.append(
            f"| `{article.id}` | {(info.outlet if info and info.outlet else '?')} | {len(article.claims)} "
            f"| {len(shared)} | {len(changes) - omitted} | {omitted} |"
        )
    for article in story.articles[1:]:
        lines += ["", *_outlet(story, article.id)]
    lines += ["", *_unmatched(story)]
    return "\n".join(lines) + "\n"


def _unmatched(story: StoryComparison) -> list[str]:
    """Clusters the reference has no claim in: what other outlets added, or re-sourced beyond recognition."""
    rows = [c for c in story.comparison.clusters if c.closest is not None]
    if not rows:
        return []
    lines = ["## Claims with no counterpart in the reference", ""]
    for cluster in rows:
        where = ", ".join(outlet_label(story, m.article) + f" claim {m.claim}" for m in cluster.members)
        closest = cluster.closest or {}
        lines.append(f"- **{cluster.id}** ({where}), {closest.get('member_speaker')}: “{cluster.proposition}”; "
                     f"nearest reference claim {closest.get('claim')} (score {closest.get('score')}), "
                     f"{closest.get('speaker')}: “{closest.get('content')}”")
    return lines


def _outlet(story: StoryComparison, article_id: str) -> list[str]:
    changes = [c for c in story.comparison.changes if c.to == article_id]
    counts = Counter(c.field.value for c in changes)
    summary = ", ".join(f"{field} {counts[field]}" for field in FIELD_ORDER if counts[field]) or "no change"
    lines = [f"## {outlet_label(story, article_id)}", "", f"{len(changes)} change(s): {summary}.", ""]
    by_claim: dict[tuple[str, int | None, int | None], list[Change]] = {}
    for change in changes:
        by_claim.setdefault((change.cluster, change.from_claim, change.to_claim), []).append(change)
    reference = story.article(story.comparison.reference)
    other = story.article(article_id)
    for (cluster, from_claim, to_claim), group in by_claim.items():
        fields = ", ".join(c.field.value for c in group)
        lines.append(f"### {cluster}: {fields}")
        lines.append("")
        for change in group:
            lines.append(f"- {_describe(change)}")
        ref = ClaimRef(reference, from_claim) if from_claim is not None else None
        if ref is not None:
            lines.append(f"- reference ({outlet_label(story, reference.id)}): {excerpt(ref, group, 'from').markdown()}")
        if to_claim is not None:
            lines.append(f"- this article: {excerpt(ClaimRef(other, to_claim), group, 'to').markdown()}")
        lines.append("")
    return lines


def _describe(change: Change) -> str:
    field = change.field
    if field is DriftField.omitted:
        text = f"**omitted**: “{change.before}”"
        if change.unattributed:
            text += f"; stated without a source instead: “{change.unattributed}”"
        if change.nearest:
            differs = ", ".join(change.nearest.get("differs", [])) or "nothing"
            text += (f"; closest claim of the same source here (not aligned, score {change.nearest['score']}): "
                     f"“{change.nearest['content']}”, differing in {differs}")
        return text
    if field is DriftField.hedging:
        return f"**hedging** {change.before} → {change.after} ({change.direction} hedged)"
    if field is DriftField.cue:
        extra = change.model_extra or {}
        return (f"**cue** “{change.before}” ({extra.get('before_force')}) → “{change.after}” "
                f"({extra.get('after_force')})")
    if field is DriftField.content:
        return "**content** changed"
    return f"**{field.value}** {_value(change.before)} → {_value(change.after)}"


def _value(value: object) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(map(str, value)) + "]" if value else "none"
    return f"“{value}”" if isinstance(value, str) else str(value)
