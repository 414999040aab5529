"""Top-level pieces of work that any backend can ship to a worker as they are."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TypeVar

import numpy as np

T = TypeVar("T")


def batches(items: Sequence[T], batch_size: int) -> Iterator[list[T]]:
    """Consecutive batches of at most ``batch_size`` items.

    Examples
    --------
    >>> list(batches("abcde", 2))
    [['a', 'b'], ['c', 'd'], ['e']]
    """
    if batch_size < 1:
        raise ValueError(f"batch_size must be a positive integer; got {batch_size}")
    for start in range(0, len(items), batch_size):
        yield list(items[start:start + batch_size])


def assign_block(embeddings: np.ndarray, centroids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(index of the nearest centroid, its cosine) for one block of rows.

    Examples
    --------
    >>> rows = np.array([[1.0, 0.0], [0.0, 1.0], [0.6, 0.8]], dtype=np.float32)
    >>> best, sims = assign_block(rows, np.eye(2, dtype=np.float32))
    >>> best.tolist(), [round(float(s), 2) for s in sims]
    ([0, 1, 1], [1.0, 1.0, 0.8])
    """
    sims = embeddings @ centroids.T
    return sims.argmax(axis=1), sims.max(axis=1)


def block_bounds(n: int, block: int) -> list[tuple[int, int]]:
    """``(start, stop)`` of each block of at most ``block`` rows out of ``n``.

    Examples
    --------
    >>> block_bounds(5, 2)
    [(0, 2), (2, 4), (4, 5)]
    """
    if block < 1:
        raise ValueError(f"block must be a positive integer; got {block}")
    return [(start, min(start + block, n)) for start in range(0, n, block)]


@dataclass(frozen=True, eq=False)
class AssignWith:
    """:func:`assign_block` against fixed ``centroids``: shipped to each worker once."""

    centroids: np.ndarray

    def __call__(self, embeddings: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return assign_block(embeddings, self.centroids)
