"""Quality rules applied to cluster labels: merge near-duplicates, cap the count,
drop tiny themes, give outliers a home when one is close enough (per-theme floors)."""

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


def theme_floors(
    embeddings: np.ndarray, labels: np.ndarray, *, min_similarity: float
) -> dict[int, float]:
    """Per theme, the cosine to its centroid below which an answer does not belong.

    ``min_similarity``, or lower for a broad theme: the theme's own outlier
    fence (first quartile of its members' cosines minus 1.5 interquartile
    ranges), when that is lower. A tight theme (short, specific answers) keeps
    the absolute floor; a broad one (on AgNews' four news sections, a third of
    the articles sit below cosine 0.3 to their section's centroid) drops only
    its own outliers instead of a third of its members.

    Examples
    --------
    >>> x = np.array([[1, 0], [0.8, 0.6], [0.6, 0.8], [0, 1]], dtype=np.float32)
    >>> theme_floors(x, np.array([0, 0, 1, 1]), min_similarity=0.3)
    {0: 0.3, 1: 0.3}
    >>> theme_floors(x, np.array([0, 0, 0, 0]), min_similarity=0.99)
    {0: 0.2828}
    """
    values, cents = centroids_of(embeddings, labels)
    floors: dict[int, float] = {}
    for v, c in zip(values, cents):
        sims = embeddings[labels == v] @ c
        q1, q3 = np.percentile(sims, [25, 75])
        floors[int(v)] = round(float(min(min_similarity, q1 - 1.5 * (q3 - q1))), 4)
    return floors


def reassign(
    embeddings: np.ndarray, labels: np.ndarray, *, min_similarity: float,
    backend: Backend | None = None, floors: dict[int, float] | None = None,
    join_similarity: float | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Final assignment and scores.

    Outliers (``-1``) join the nearest theme centroid when their cosine to it is
    at least that theme's floor and ``join_similarity`` (if given; done only
    when there are outliers); assigned
    answers below their theme's floor become ``-1``. A theme's floor is
    ``floors[theme]`` (see :func:`theme_floors`), else ``min_similarity``. The
    score is the cosine to the answer's theme centroid, or to the nearest
    centroid for ``-1`` (NaN when there are no themes). Nearest-centroid
    searches run on ``backend``.
    """
    labels = labels.copy()
    values, cents = centroids_of(embeddings, labels)
    if len(values) == 0:
        return labels, np.full(len(labels), np.nan, dtype=np.float32)
    floors = floors or {}
    outliers = np.flatnonzero(labels < 0)
    if len(outliers):
        nearest, sims = nearest_centroid(embeddings[outliers], cents, backend=backend)
        floor_of = np.array([floors.get(int(v), min_similarity) for v in values])
        close = sims >= floor_of[nearest]
        if join_similarity is not None:
            close &= sims >= join_similarity
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
    own = np.array([floors.get(int(v), min_similarity) for v in labels[assigned]])
    below = np.zeros(len(labels), dtype=bool)
    below[np.flatnonzero(assigned)[scores[assigned] < own]] = True
    labels[below] = -1
    return labels, scores
