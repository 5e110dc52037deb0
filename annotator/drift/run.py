"""A folder compared, story by story: load, group, merge speakers, align, list the drift."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from annotator.drift.alignment import align
from annotator.drift.changes import ClaimRef, cluster_changes
from annotator.drift.forces import force
from annotator.drift.loading import StoryArticle, load_folder
from annotator.drift.records import ArticleInfo, Cluster, Comparison, Member
from annotator.drift.similarity import DEFAULT, ClaimFeatures, Weights, reduce_text, similarity_matrix
from annotator.drift.speakers import SpeakerMap, merge_speakers, read_aliases
from annotator.drift.stories import (
    Manifest,
    apply_metadata,
    choose_reference,
    from_manifest,
    group_automatically,
    ordered,
    read_manifest,
)

AUTO = "auto"


@dataclass(frozen=True)
class StoryComparison:
    """One story's comparison and what the report needs beside it."""

    comparison: Comparison
    articles: list[StoryArticle]
    speakers: SpeakerMap

    def article(self, article_id: str) -> StoryArticle:
        return next(a for a in self.articles if a.id == article_id)


@dataclass(frozen=True)
class FolderComparison:
    """Every story of a folder."""

    stories: list[StoryComparison]
    notes: list[str] = field(default_factory=list)


def compare_folder(
    root: Path,
    *,
    articles_dir: Path | None = None,
    reference: str | None = None,
    stories: Path | str | None = None,
    aliases: Path | None = None,
    weights: Weights = DEFAULT,
) -> FolderComparison:
    """Compare DIR: one story by default, a manifest's stories, or ``stories="auto"``."""
    loaded = load_folder(root, articles_dir)
    manifest: Manifest | None = None
    if stories is not None and str(stories) != AUTO:
        manifest = read_manifest(Path(stories))
    articles = apply_metadata(loaded.articles, manifest)
    table = read_aliases(aliases) if aliases else {}
    groups: list[tuple[str | None, list[StoryArticle], str | None]]
    if manifest is not None and manifest.stories:
        groups = [(story_id, group, ref) for story_id, group, ref in from_manifest(articles, manifest)]
    elif stories is not None and str(stories) == AUTO:
        groups = _automatic(articles, table, weights)
    else:
        groups = [(None, articles, None)]
    if reference is not None and len(groups) > 1:
        groups = [(i, g, reference if any(a.id == reference for a in g) else r) for i, g, r in groups]
    results = [
        compare_articles(group, reference=ref, aliases=table, weights=weights, story=story_id)
        for story_id, group, ref in groups
    ]
    return FolderComparison(stories=results, notes=loaded.notes)


def compare_articles(
    articles: Sequence[StoryArticle],
    *,
    reference: str | None = None,
    aliases: dict[str, str] | None = None,
    weights: Weights = DEFAULT,
    story: str | None = None,
) -> StoryComparison:
    """Compare the articles of one story."""
    chosen, reason = choose_reference(articles, reference)
    story_articles = ordered(articles, chosen)
    speakers = merge_speakers(story_articles, aliases)
    refs = [ClaimRef(a, i) for a in story_articles for i in range(len(a.claims))]
    scores = similarity_matrix([claim_features(r, speakers) for r in refs], weights)
    article_of = [n for n, a in enumerate(story_articles) for _ in a.claims]
    alignment = align(article_of, scores, weights, split_apart(refs))
    clusters = _numbered(alignment.clusters, refs)
    flat = {(r.article.id, r.index): n for n, r in enumerate(refs)}

    def nearest(ref: ClaimRef, article: StoryArticle) -> tuple[int, float] | None:
        """The article's claim of the same source closest to ``ref`` (if it has any)."""
        source = speakers.of(ref.article.id, ref.claim.speaker)
        row = scores[flat[(ref.article.id, ref.index)]]
        candidates = [(i, float(row[flat[(article.id, i)]])) for i, c in enumerate(article.claims)
                      if speakers.of(article.id, c.speaker) == source]
        return max(candidates, key=lambda item: item[1]) if candidates else None

    width = max(2, len(str(len(clusters))))
    out_clusters, changes = [], []
    for number, members in enumerate(clusters, 1):
        cluster_id = f"c{number:0{width}d}"
        member_refs = [refs[m] for m in members]
        cluster = Cluster(
            id=cluster_id,
            members=[Member(article=r.article.id, claim=r.index) for r in member_refs],
            proposition=member_refs[0].claim.restatement or member_refs[0].claim.content,
        )
        if member_refs[0].article.id != chosen.id:
            cluster.closest = _closest_reference(members, refs, scores, chosen, speakers)
        out_clusters.append(cluster)
        if member_refs[0].article.id == chosen.id:
            changes += cluster_changes(cluster_id, member_refs[0], member_refs, story_articles[1:], speakers, nearest)
    comparison = Comparison(
        reference=chosen.id,
        articles={a.id: ArticleInfo(outlet=a.outlet, date=a.date, title=a.title) for a in story_articles},
        clusters=out_clusters,
        changes=changes,
        story=story,
        notes=[f"reference: {chosen.id}, {reason}"],
    )
    return StoryComparison(comparison=comparison, articles=story_articles, speakers=speakers)


def _closest_reference(
    members: list[int], refs: list[ClaimRef], scores: np.ndarray, reference: StoryArticle, speakers: SpeakerMap
) -> dict[str, object] | None:
    """For a cluster the reference lacks: the reference claim nearest to it, below the join
    threshold (or taken by a closer claim), so a reader can judge a re-attribution or a
    paraphrase the alignment did not accept."""
    columns = [n for n, r in enumerate(refs) if r.article is reference]
    if not columns:
        return None
    block = scores[np.ix_(members, columns)]
    row, col = np.unravel_index(int(block.argmax()), block.shape)
    target, source = refs[columns[int(col)]], refs[members[int(row)]]
    return {"article": reference.id, "claim": target.index, "content": target.claim.content,
            "score": round(float(block[row, col]), 3),
            "speaker": speakers.name(reference.id, target.claim.speaker),
            "member_speaker": speakers.name(source.article.id, source.claim.speaker)}


def split_apart(refs: Sequence[ClaimRef]) -> np.ndarray:
    """Pairs of claims of one article that share a cue instance: one sentence split into
    propositions (scheme), so never one cluster, however alike their words."""
    apart = np.zeros((len(refs), len(refs)), dtype=bool)
    by_cue: dict[tuple[str, int, int], list[int]] = {}
    for n, ref in enumerate(refs):
        spans = ref.claim.spans
        if spans is not None and spans.cue:
            by_cue.setdefault((ref.article.id, spans.cue[0].start, spans.cue[0].end), []).append(n)
    for group in by_cue.values():
        for i in group:
            for j in group:
                apart[i, j] = i != j
    return apart


def claim_features(ref: ClaimRef, speakers: SpeakerMap) -> ClaimFeatures:
    claim = ref.claim
    return ClaimFeatures(
        content=reduce_text(claim.content),
        restatement=reduce_text(claim.restatement or ""),
        speaker=speakers.of(ref.article.id, claim.speaker),
        force=force(claim.cue),
    )


def _numbered(clusters: list[list[int]], refs: list[ClaimRef]) -> list[list[int]]:
    """Reference clusters by their first reference claim, then the rest in reading order."""
    return sorted(clusters, key=lambda members: (refs[members[0]].article is not refs[0].article, members[0]))


def _automatic(
    articles: list[StoryArticle], aliases: dict[str, str], weights: Weights
) -> list[tuple[str | None, list[StoryArticle], str | None]]:
    speakers = merge_speakers(articles, aliases)
    refs = [ClaimRef(a, i) for a in articles for i in range(len(a.claims))]
    scores = similarity_matrix([claim_features(r, speakers) for r in refs], weights)
    offsets = [0]
    for article in articles:
        offsets.append(offsets[-1] + len(article.claims))
    groups = group_automatically(articles, scores, offsets, weights.join)
    return [(f"story-{n:02d}", [articles[i] for i in group], None) for n, group in enumerate(groups, 1)]
