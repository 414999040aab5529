"""The :class:`Backend` Protocol: the heavy work of embed and themes, by value.

A backend runs two kinds of work:

* :meth:`Backend.map_batches`: a function over batches of items (the
  embedder's uncached texts), results in input order;
* :meth:`Backend.map_blocks`: a function over blocks of rows of some
  columns (an autocoder's predictions), results in input order;
* :meth:`Backend.assign`: blockwise nearest-centroid assignment (themes).

Everything handed to a backend is picklable: top-level functions or frozen
dataclasses carrying values (a model is named by a spec and loaded where the
batch runs, never shipped). That is what lets a backend that runs the work in
other processes, or on other machines, slot in behind the same Protocol.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any, Protocol, TypeVar, runtime_checkable

import numpy as np

T = TypeVar("T")
R = TypeVar("R")

# Rows per block of a nearest-centroid assignment: 8,192 x 384 float32 is 12 MB.
ASSIGN_BLOCK = 8192


@runtime_checkable
class Backend(Protocol):
    """Where the heavy stages run their work."""

    name: str

    def map_batches(
        self, fn: Callable[[list[T]], R], items: Sequence[T], batch_size: int
    ) -> Iterator[R]:
        """``fn`` over consecutive batches of ``batch_size`` items; results in input order."""
        ...

    def map_blocks(
        self, fn: Callable[..., R], columns: Sequence[Any], block: int = ASSIGN_BLOCK
    ) -> Iterator[R]:
        """``fn(*rows)`` per block of ``block`` rows of every column; results in input order."""
        ...

    def assign(
        self, embeddings: np.ndarray, centroids: np.ndarray, block: int = ASSIGN_BLOCK
    ) -> tuple[np.ndarray, np.ndarray]:
        """(index of the nearest centroid, its cosine) per row, ``block`` rows at a time.

        Rows and centroids are L2-normalised. With no centroids every index is
        -1 and every cosine NaN.
        """
        ...
