"""Which answers people should code next, and which model codes need a person's look.

:func:`select_next` combines uncertainty with diversity: the answers whose
scores sit closest to a code's threshold form a candidate pool several times
the batch, and a greedy farthest-point walk over their embeddings picks a
batch that does not repeat itself. Without a model (cold start) the walk runs
over all uncoded answers from their medoid, so the first batch spans the
answers instead of sampling their densest part.
"""

from __future__ import annotations

import numpy as np

from themeloop.errors import AutocodeError


def uncertainty(proba: np.ndarray, thresholds: np.ndarray) -> np.ndarray:
    """Per answer in [0, 1]: 1 where some code's score is exactly at its threshold."""
    if proba.size == 0:
        return np.zeros(len(proba))
    span = np.maximum(thresholds, 1.0 - thresholds)
    return (1.0 - np.abs(proba - thresholds) / span).max(axis=1)


def needs_review(proba: np.ndarray, given: np.ndarray, thresholds: np.ndarray,
                 band: float = 0.1) -> np.ndarray:
    """Answers with no code, or with a code whose score is within ``band`` of its threshold."""
    near = (np.abs(proba - thresholds) < band).any(axis=1) if proba.size else np.zeros(len(proba), bool)
    return near | ~given.any(axis=1)


def _farthest(x: np.ndarray, n: int, start: int) -> list[int]:
    chosen = [start]
    nearest = 1.0 - x @ x[start]
    for _ in range(n - 1):
        nearest[chosen] = -np.inf
        nxt = int(np.argmax(nearest))
        chosen.append(nxt)
        nearest = np.minimum(nearest, 1.0 - x @ x[nxt])
    return chosen


def select_next(x: np.ndarray, n: int, *, proba: np.ndarray | None = None,
                thresholds: np.ndarray | None = None, pool_factor: int = 5) -> np.ndarray:
    """Indices (into ``x``, the uncoded answers) of the ``n`` to code next.

    With ``proba`` and ``thresholds`` (a fitted model's scores for ``x``):
    the ``pool_factor * n`` most uncertain answers, then a diverse batch of
    them, starting from the most uncertain. Without: a diverse cold start.
    Deterministic: ties are broken by position.
    """
    if n < 1:
        raise AutocodeError(f"--n must be 1 or more; got {n}")
    x = np.asarray(x, dtype=np.float32)
    if len(x) <= n:
        return np.arange(len(x))
    if proba is None or thresholds is None:
        centre = x.mean(axis=0)
        start = int(np.argmax(x @ centre))
        return np.asarray(_farthest(x, n, start))
    u = uncertainty(proba, thresholds)
    pool = np.argsort(-u, kind="stable")[:max(n, pool_factor * n)]
    picked = _farthest(x[pool], n, 0)
    return pool[picked]
