"""Distributional word clusters from PolNeAR train text: the offline stand-in for a tagger.

With no parser or embeddings allowed at run time, the taggers would only know words
seen as cues in training. Words used in similar contexts ("characterized",
"described", "portrayed") share a cluster, so a cue seen once generalises to its
neighbours. Each word is represented by its left and right neighbours among the most
frequent words (log counts), reduced with truncated SVD and grouped with k-means at two
granularities. Seeds are fixed, so the same text gives the same clusters.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from pathlib import Path

import numpy as np
from scipy.sparse import coo_matrix
from sklearn.cluster import KMeans
from sklearn.decomposition import TruncatedSVD
from sklearn.preprocessing import normalize

from annotator.offline.features import Clusters
from annotator.offline.sentences import tokenize

CLUSTER_FILE = "clusters.tsv"
MIN_COUNT = 3
CONTEXT_WORDS = 1000
DIMENSIONS = 100
SIZES = (50, 300)


def build_clusters(texts: Iterable[str]) -> dict[str, tuple[str, str]]:
    """Cluster every word seen at least :data:`MIN_COUNT` times in ``texts``."""
    sequences = [[t.text.lower() for t in tokenize(text)] for text in texts]
    counts = Counter(word for sequence in sequences for word in sequence)
    vocabulary = sorted((w for w, c in counts.items() if c >= MIN_COUNT), key=lambda w: (-counts[w], w))
    context = {w: i for i, w in enumerate(vocabulary[:CONTEXT_WORDS])}
    index = {w: i for i, w in enumerate(vocabulary)}
    rows: list[int] = []
    cols: list[int] = []
    for sequence in sequences:
        for k, word in enumerate(sequence):
            row = index.get(word)
            if row is None:
                continue
            if k > 0 and sequence[k - 1] in context:
                rows.append(row)
                cols.append(context[sequence[k - 1]])
            if k + 1 < len(sequence) and sequence[k + 1] in context:
                rows.append(row)
                cols.append(len(context) + context[sequence[k + 1]])
    matrix = coo_matrix(
        (np.ones(len(rows)), (rows, cols)), shape=(len(vocabulary), 2 * len(context))
    ).tocsr()
    matrix.data = np.log1p(matrix.data)
    vectors = normalize(TruncatedSVD(DIMENSIONS, random_state=0).fit_transform(normalize(matrix)))
    labels = [KMeans(k, n_init=2, random_state=0).fit(vectors).labels_ for k in SIZES]
    return {w: (str(labels[0][i]), str(labels[1][i])) for i, w in enumerate(vocabulary)}


def write_clusters(clusters: dict[str, tuple[str, str]], path: Path) -> None:
    """One ``word<TAB>coarse<TAB>fine`` line per word, in frequency order."""
    lines = [f"{word}\t{coarse}\t{fine}\n" for word, (coarse, fine) in clusters.items()]
    path.write_text("".join(lines), encoding="utf-8")


def read_clusters(path: Path) -> Clusters:
    """The mapping :func:`write_clusters` wrote."""
    out: dict[str, tuple[str, str]] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        word, coarse, fine = line.split("\t")
        out[word] = (coarse, fine)
    return out
