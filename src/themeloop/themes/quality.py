"""Quality rules applied to cluster labels: merge near-duplicates, cap the count,
drop tiny themes, give outliers a home when one is close enough."""

from __future__ import annotations

import numpy as np

from themeloop.compute import Backend
from themeloop.themes.cluster import centroids_of, nearest_centroid


def merge_similar(
    embeddings: np.ndarray, labels: np.ndarray, *, threshold: float, max_themes: int | None
) -> np.ndarray:
    """Merge the two closest themes while their centroid cosine exceeds ``threshold``
    or there are more than ``max_themes``; the larger theme keeps its label."""
    labels = labels.copy()
    values = sorted({int(x) for x in labels if x >= 0})
    if len(values) < 2:
        return labels
    sums = {v: embeddings[labels == v].sum(axis=0, dtype=np.float64) for v in values}
    sizes = {v: int((labels == v).sum()) for v in values}
    limit = max_themes if max_themes is not None else len(values)
    while len(values) > 1:
        mat = np.stack([sums[v] / max(np.linalg.norm(sums[v]), 1e-12) for v in values])
        sim = mat @ mat.T
        np.fill_diagonal(sim, -np.inf)
        i, j = np.unravel_index(int(np.argmax(sim)), sim.shape)
        if sim[i, j] <= threshold and len(values) <= limit:
            break
        a, b = values[i], values[j]
        keep, gone = (a, b) if (sizes[a], -a) >= (sizes[b], -b) else (b, a)
        labels[labels == gone] = keep
        sums[keep] += sums.pop(gone)
        sizes[keep] += sizes.pop(gone)
        values.remove(gone)
    return labels


def drop_small(labels: np.ndarray, min_size: int) -> np.ndarray:
    """Themes with fewer than ``min_size`` answers become ``-1``."""
    labels = labels.copy()
    values, counts = np.unique(labels[labels >= 0], return_counts=True)
    for v, c in zip(values, counts):
        if c < min_size:
            labels[labels == v] = -1
    return labels


def reassign(
    embeddings: np.ndarray, labels: np.ndarray, *, min_similarity: float,
    backend: Backend | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Final assignment and scores.

    Outliers (``-1``) join the nearest theme centroid when their cosine to it is
    at least ``min_similarity`` (done only when there are outliers); assigned
    answers below the floor become ``-1``. The score is the cosine to the
    answer's theme centroid, or to the nearest centroid for ``-1`` (NaN when
    there are no themes). Nearest-centroid searches run on ``backend``.
    """
    labels = labels.copy()
    values, cents = centroids_of(embeddings, labels)
    if len(values) == 0:
        return labels, np.full(len(labels), np.nan, dtype=np.float32)
    outliers = np.flatnonzero(labels < 0)
    if len(outliers):
        nearest, sims = nearest_centroid(embeddings[outliers], cents, backend=backend)
        close = sims >= min_similarity
        labels[outliers[close]] = values[nearest[close]]
        values, cents = centroids_of(embeddings, labels)
    position = {v: i for i, v in enumerate(values)}
    scores = np.empty(len(labels), dtype=np.float32)
    assigned = labels >= 0
    idx = np.array([position[int(v)] for v in labels[assigned]], dtype=int)
    scores[assigned] = np.einsum("ij,ij->i", embeddings[assigned], cents[idx])
    if (~assigned).any():
        _, sims = nearest_centroid(embeddings[~assigned], cents, backend=backend)
        scores[~assigned] = sims
    labels[assigned & (scores < min_similarity)] = -1
    return labels, scores
