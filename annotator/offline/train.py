"""Fit the offline backend's two CRFs on PolNeAR train and write them into the package.

    python -m annotator.offline.train --polnear ../shared/polnear

Only the ``train`` compartment is read: dev stays a check. Relations without a source
("it was reported that ...") teach the cue tagger to leave such cues alone, because the
scheme says no source, no claim. Training is deterministic (L-BFGS from zero weights,
files read in sorted order), so the same corpus gives the same model files.
"""

from __future__ import annotations

import argparse
import bisect
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import pycrfsuite

from annotator.brat import BratSpan, pair_files, parse_ann
from annotator.furniture import page_furniture
from annotator.offline.clusters import CLUSTER_FILE, build_clusters, write_clusters
from annotator.offline.document import Document, analyse
from annotator.offline.features import Clusters, WordTable, cue_features, span_features
from annotator.offline.reported_speech import CUE_MODEL, SPAN_MODEL, window

MODEL_DIR = Path(__file__).parent / "models"
CUE, CONTENT, SOURCE, OUTSIDE = "C", "T", "S", "O"
CUE_PARAMS = {"c1": 1.0, "c2": 0.05, "max_iterations": 200, "feature.minfreq": 2}
SPAN_PARAMS = {"c1": 1.0, "c2": 0.05, "max_iterations": 200, "feature.minfreq": 2}


@dataclass(frozen=True)
class GoldRelation:
    """A corpus relation as token index sets."""

    cue: frozenset[int]
    source: frozenset[int]
    content: frozenset[int]


def load_split(
    polnear: Path, split: str, clusters: Clusters
) -> Iterator[tuple[str, Document, list[GoldRelation]]]:
    """Analysed articles of one compartment with their relations as token sets."""
    base = polnear / split
    words = WordTable(clusters)
    for pair in pair_files(base / "attributions", base / "text"):
        text = pair.text_path.read_text(encoding="utf-8")
        doc = analyse(text, words, page_furniture(text))  # as the backend reads it
        relations = []
        for rel in parse_ann(pair.ann_path).relations:
            if rel.cue is None or rel.content is None:
                continue
            relations.append(
                GoldRelation(
                    frozenset(_tokens(doc, rel.cue)),
                    frozenset(_tokens(doc, rel.source)) if rel.source else frozenset(),
                    frozenset(_tokens(doc, rel.content)),
                )
            )
        yield pair.article_id, doc, relations


def _tokens(doc: Document, span: BratSpan) -> set[int]:
    """Indices of tokens overlapping any range of a brat span."""
    starts = [t.start for t in doc.tokens]
    out: set[int] = set()
    for start, end in span.ranges:
        i = max(0, bisect.bisect_right(starts, start) - 1)
        while i < len(doc.tokens) and doc.tokens[i].start < end:
            if doc.tokens[i].end > start:
                out.add(i)
            i += 1
    return out


def cue_sequences(doc: Document, relations: list[GoldRelation]) -> Iterator[tuple[list, list]]:
    """One sequence per sentence; cue tokens of sourced relations are labelled."""
    cues = set().union(*(r.cue for r in relations if r.source)) if relations else set()
    for sentence in doc.sentences:
        labels = [CUE if i in cues else OUTSIDE for i in range(sentence.first, sentence.last)]
        yield cue_features(doc, sentence), labels


def cue_chunks(indices: frozenset[int] | set[int]) -> list[tuple[int, int]]:
    """Maximal runs of consecutive token indices as half-open ranges."""
    runs: list[tuple[int, int]] = []
    for i in sorted(indices):
        if runs and runs[-1][1] == i:
            runs[-1] = (runs[-1][0], i + 1)
        else:
            runs.append((i, i + 1))
    return runs


def span_sequences(doc: Document, relations: list[GoldRelation]) -> Iterator[tuple[list, list]]:
    """One sequence per sourced relation, over the window around its (first) cue run.

    Only gold cues: adding the false cues a cross-fitted cue tagger makes, labelled all
    outside, made the span tagger too shy (train hold-out claims F1 0.707 -> 0.680).
    """
    starts = sorted(min(r.cue) for r in relations if r.source and r.cue)
    for rel in relations:
        if not rel.source or not rel.cue:
            continue
        cue = cue_chunks(rel.cue)[0]
        first, last = window(doc, cue[0])
        others = [s for s in starts if first <= s < last and not cue[0] <= s < cue[1]]
        labels = []
        for i in range(first, last):
            if i in rel.source:
                labels.append(SOURCE)
            elif i in rel.content:
                labels.append(CONTENT)
            else:
                labels.append(OUTSIDE)
        yield span_features(doc, first, last, cue, others), labels


def train(polnear: Path, out: Path = MODEL_DIR, holdout_every: int = 0) -> None:
    """Cluster train's words, fit both taggers on train, and write all three files.

    ``holdout_every=k`` leaves every k-th article out of the taggers' training (not of
    the clusters, which read text only) so thresholds can be tuned on train alone.
    """
    out.mkdir(parents=True, exist_ok=True)
    texts = sorted((polnear / "train" / "text").glob("*.txt"))
    clusters = build_clusters(p.read_text(encoding="utf-8") for p in texts)
    write_clusters(clusters, out / CLUSTER_FILE)
    corpus = [
        (doc, relations)
        for k, (_, doc, relations) in enumerate(load_split(polnear, "train", clusters))
        if not holdout_every or k % holdout_every
    ]
    _fit((seq for doc, rels in corpus for seq in cue_sequences(doc, rels)), CUE_PARAMS, out / CUE_MODEL)
    spans = (seq for doc, rels in corpus for seq in span_sequences(doc, rels))
    _fit(spans, SPAN_PARAMS, out / SPAN_MODEL)


def _fit(sequences: Iterator[tuple[list, list]], params: Mapping[str, object], path: Path) -> None:
    trainer = pycrfsuite.Trainer(verbose=False)
    for features, labels in sequences:
        trainer.append(features, labels)
    trainer.set_params(params)
    trainer.train(str(path))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--polnear", type=Path, required=True, help="PolNeAR root (train/, dev/)")
    parser.add_argument("--out", type=Path, default=MODEL_DIR)
    parser.add_argument(
        "--holdout-every", type=int, default=0,
        help="leave every k-th train article out (threshold tuning on train only)",
    )
    args = parser.parse_args()
    train(args.polnear, args.out, args.holdout_every)


if __name__ == "__main__":
    main()
