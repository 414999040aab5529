"""An autocoder's predictions block by block, through a compute backend.

The fitted :class:`~themeloop.autocode.estimator.AutoCoder` travels inside a
:class:`PredictBlock` (to each worker once); each block of rows comes back as
its probabilities and decisions. Every row's result depends only on that row,
so the blocks put together are the whole, whichever backend ran them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from themeloop.autocode.estimator import AutoCoder
from themeloop.compute import ASSIGN_BLOCK, Backend, LocalBackend


@dataclass(frozen=True, eq=False)
class PredictBlock:
    """``(predict_proba, predict)`` of a fitted model on one block of rows."""

    model: AutoCoder

    def __call__(self, x: np.ndarray, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        proba = self.model.predict_proba(x, list(texts))
        return proba, self.model.decide(proba, x)


def predict_blockwise(
    model: AutoCoder, x: np.ndarray, texts: Sequence[str], *, backend: Backend | None = None,
    block: int = ASSIGN_BLOCK,
) -> tuple[np.ndarray, np.ndarray]:
    """(probabilities, decisions), each ``(n, n_codes)``, computed ``block`` rows at a time.

    Examples
    --------
    >>> from themeloop.autocode.prototypes import Prototypes
    >>> rng = np.random.default_rng(0)
    >>> x = rng.normal(size=(7, 4)).astype(np.float32)
    >>> x /= np.linalg.norm(x, axis=1, keepdims=True)
    >>> protos = Prototypes(np.eye(4, dtype=np.float32)[:2], np.array([0, 1]),
    ...                     np.zeros((0, 4), dtype=np.float32), np.zeros(0, dtype=np.int64))
    >>> model = AutoCoder().fit(x, codes=["cost", "staff"], prototypes=protos)
    >>> proba, given = predict_blockwise(model, x, ["an answer"] * 7, block=3)
    >>> proba.shape, bool((given == model.predict(x)).all())
    ((7, 2), True)
    """
    k = len(model.codes_)
    proba = np.zeros((len(x), k))
    given = np.zeros((len(x), k), dtype=bool)
    if len(x) == 0:
        return proba, given
    runner = backend if backend is not None else LocalBackend()
    start = 0
    for part_proba, part_given in runner.map_blocks(PredictBlock(model), [x, list(texts)], block):
        stop = start + len(part_proba)
        proba[start:stop], given[start:stop] = part_proba, part_given
        start = stop
    return proba, given
