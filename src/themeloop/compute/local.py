"""The :class:`LocalBackend`: everything in this process, in order."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any, TypeVar

import numpy as np

from themeloop.compute.base import ASSIGN_BLOCK
from themeloop.compute.kernels import assign_block, batches, block_bounds

T = TypeVar("T")
R = TypeVar("R")


class LocalBackend:
    """Run the work in this process, one batch or block after another.

    Examples
    --------
    >>> backend = LocalBackend()
    >>> list(backend.map_batches(len, list("abcde"), 2))
    [2, 2, 1]
    """

    name = "local"

    def map_batches(
        self, fn: Callable[[list[T]], R], items: Sequence[T], batch_size: int
    ) -> Iterator[R]:
        """``fn`` over consecutive batches, lazily, so a caller can report progress."""
        for batch in batches(items, batch_size):
            yield fn(batch)

    def map_blocks(
        self, fn: Callable[..., R], columns: Sequence[Any], block: int = ASSIGN_BLOCK
    ) -> Iterator[R]:
        """``fn(*rows)`` per block of ``block`` rows of every column, lazily.

        Examples
        --------
        >>> list(LocalBackend().map_blocks(lambda a, b: sum(a) + len(b), [[1, 2, 3], "xyz"], 2))
        [5, 4]
        """
        n = len(columns[0]) if columns else 0
        for start, stop in block_bounds(n, block):
            yield fn(*(column[start:stop] for column in columns))

    def assign(
        self, embeddings: np.ndarray, centroids: np.ndarray, block: int = ASSIGN_BLOCK
    ) -> tuple[np.ndarray, np.ndarray]:
        """(index of the nearest centroid, its cosine) per row, ``block`` rows at a time."""
        n = len(embeddings)
        best = np.full(n, -1, dtype=int)
        sims = np.full(n, np.nan, dtype=np.float32)
        if len(centroids) == 0:
            return best, sims
        for start, stop in block_bounds(n, block):
            best[start:stop], sims[start:stop] = assign_block(embeddings[start:stop], centroids)
        return best, sims

    def __repr__(self) -> str:
        return "LocalBackend()"
