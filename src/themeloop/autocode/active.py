"""Which answers people should code next, and which model codes need a person's look.

:func:`select_next` combines uncertainty with diversity: the answers whose
scores sit closest to a code's threshold form a candidate pool several times
the batch, which k-means splits into as many groups as the batch has
answers; each group gives its most uncertain answer, so the batch does not
repeat itself. Without a model (cold start) the uncoded answers are split
into k-means strata, one per ~10 answers to pick; each stratum gets picks in
proportion to its size and gives its most typical answers (nearest the
centres of its own k-means groups), so the first batch spans the kinds of
answers *and* keeps their proportions.

Why proportions: one pick per cluster of all answers under-samples a dense
region (GoEmotions' "neutral" comments), the first model then learns a
distorted label prior, and it scored below random picks (sample-F1 0.250
against 0.267 at 100 answers, 5 seeds); the proportional strata scored
0.284 there and 0.507 against random's 0.493 on NLU++ (bench/RESULTS.md).
"""

from __future__ import annotations

import numpy as np

from themeloop.errors import AutocodeError

COLD_START_PER_STRATUM = 10  # cold-start picks per k-means stratum


def uncertainty(proba: np.ndarray, thresholds: np.ndarray, weights: np.ndarray | None = None
                ) -> np.ndarray:
    """Per answer in [0, 1]: 1 where some code's score is exactly at its threshold.

    With ``weights`` (per code, in [0, 1]) a code's closeness counts that much.
    """
    if proba.size == 0:
        return np.zeros(len(proba))
    span = np.maximum(thresholds, 1.0 - thresholds)
    close = 1.0 - np.abs(proba - thresholds) / span
    return (close if weights is None else close * weights).max(axis=1)


def rarity_weights(n_positive: np.ndarray) -> np.ndarray:
    """Per code ``1 / sqrt(1 + positives)``, scaled to a maximum of 1: rare codes count more.

    A macro-F1 is won on the rare codes, and an answer near a rare code's
    threshold teaches that code more than one near a common code's.
    """
    w = 1.0 / np.sqrt(1.0 + np.maximum(np.asarray(n_positive, dtype=float), 0.0))
    return w / w.max() if len(w) else w


def needs_review(proba: np.ndarray, given: np.ndarray, thresholds: np.ndarray,
                 band: float = 0.1) -> np.ndarray:
    """Answers with no code, or with a code whose score is within ``band`` of its threshold."""
    near = (np.abs(proba - thresholds) < band).any(axis=1) if proba.size else np.zeros(len(proba), bool)
    return near | ~given.any(axis=1)


def _representatives(x: np.ndarray, n: int, priority: np.ndarray, seed: int) -> np.ndarray:
    """One answer per k-means cluster of ``x`` (``n`` clusters): the one of highest ``priority``.

    Clusters, not a farthest-point walk: farthest points are outliers, and an
    outlier teaches a classifier little about the answers like most others.
    """
    from sklearn.cluster import KMeans
    from threadpoolctl import threadpool_limits

    with threadpool_limits(1):
        labels = KMeans(n_clusters=n, n_init=1, random_state=seed).fit_predict(x)
    picked = []
    for c in range(n):
        members = np.flatnonzero(labels == c)
        if len(members):
            picked.append(int(members[np.argmax(priority[members])]))
    return np.asarray(sorted(picked, key=lambda i: (-priority[i], i)))


def select_next(x: np.ndarray, n: int, *, proba: np.ndarray | None = None,
                thresholds: np.ndarray | None = None, pool_factor: int = 5,
                seed: int = 42, weights: np.ndarray | None = None) -> np.ndarray:
    """Indices (into ``x``, the uncoded answers) of the ``n`` to code next, most useful first.

    With ``proba`` and ``thresholds`` (a fitted model's scores for ``x``):
    the ``pool_factor * n`` most uncertain answers are clustered into ``n``
    groups and each group gives its most uncertain answer. Without (cold
    start): proportional k-means strata, each giving its most typical
    answers (see the module's docstring). ``weights``
    (e.g. :func:`rarity_weights`) weigh each code's uncertainty.
    """
    if n < 1:
        raise AutocodeError(f"--n must be 1 or more; got {n}")
    x = np.asarray(x, dtype=np.float32)
    if len(x) <= n:
        return np.arange(len(x))
    if proba is None or thresholds is None:
        return _cold_start(x, n, seed)
    u = uncertainty(proba, thresholds, weights)
    pool = np.argsort(-u, kind="stable")[:max(n, pool_factor * n)]
    return pool[_representatives(x[pool], n, u[pool], seed)]


def _representatives_from(labels: np.ndarray, priority: np.ndarray, n: int) -> np.ndarray:
    picked = [int(np.flatnonzero(labels == c)[np.argmax(priority[labels == c])])
              for c in range(n) if (labels == c).any()]
    return np.asarray(sorted(picked, key=lambda i: (-priority[i], i)))


def _cold_start(x: np.ndarray, n: int, seed: int) -> np.ndarray:
    """``n`` answers spread like the population: proportional strata, typical answers in each."""
    from sklearn.cluster import KMeans
    from threadpoolctl import threadpool_limits

    strata_n = max(1, min(n, round(n / COLD_START_PER_STRATUM)))
    with threadpool_limits(1):
        strata = (KMeans(n_clusters=strata_n, n_init=1, random_state=seed).fit_predict(x)
                  if strata_n > 1 else np.zeros(len(x), dtype=int))
        quota = proportional_quota(np.bincount(strata, minlength=strata_n), n)
        picked, closeness = [], np.zeros(len(x))
        for c in range(strata_n):
            members = np.flatnonzero(strata == c)
            k = min(int(quota[c]), len(members))
            if k == 0:
                continue
            km = KMeans(n_clusters=k, n_init=1, random_state=seed).fit(x[members])
            closeness[members] = -np.linalg.norm(x[members] - km.cluster_centers_[km.labels_], axis=1)
            picked += [int(i) for i in members[_representatives_from(km.labels_, closeness[members], k)]]
    return np.asarray(sorted(picked, key=lambda i: (-closeness[i], i)))


def proportional_quota(sizes: np.ndarray, n: int) -> np.ndarray:
    """``n`` picks shared in proportion to ``sizes``, by largest remainder (ties: first).

    Examples
    --------
    >>> proportional_quota(np.array([70, 20, 10]), 10).tolist()
    [7, 2, 1]
    >>> proportional_quota(np.array([5, 5, 5]), 4).tolist()
    [2, 1, 1]
    """
    sizes = np.asarray(sizes, dtype=float)
    share = sizes / sizes.sum() * n
    quota = np.floor(share).astype(int)
    for i in np.argsort(-(share - quota), kind="stable")[:n - int(quota.sum())]:
        quota[i] += 1
    return quota
