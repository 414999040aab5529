"""Per-code decision thresholds that maximise F1 on out-of-fold scores (as iQual does)."""

from __future__ import annotations

import numpy as np

GRID = np.round(np.arange(0.02, 0.985, 0.01), 2)


def f1_thresholds(scores: np.ndarray, truth: np.ndarray, grid: np.ndarray = GRID
                  ) -> tuple[np.ndarray, np.ndarray]:
    """The F1-maximising threshold per code and the F1 it reaches.

    ``scores`` and ``truth`` are (n_samples, n_codes); a score at or above the
    threshold means the code is given. Among thresholds within 1e-9 of the
    best F1 the one nearest 0.5 is taken, so ties do not push to extremes.
    A code with no positives gets threshold 0.5 and F1 ``nan``.
    """
    truth = np.asarray(truth, dtype=bool)
    given = scores[:, :, None] >= grid[None, None, :]            # (n, k, g)
    tp = (given & truth[:, :, None]).sum(axis=0).astype(float)  # (k, g)
    n_given = given.sum(axis=0)
    n_true = truth.sum(axis=0)[:, None]
    with np.errstate(divide="ignore", invalid="ignore"):
        f1 = np.where(n_given + n_true > 0, 2 * tp / (n_given + n_true), 0.0)
    best = f1.max(axis=1)
    near = np.abs(grid - 0.5)[None, :] + np.where(f1 >= best[:, None] - 1e-9, 0.0, np.inf)
    pick = near.argmin(axis=1)
    thresholds = grid[pick].astype(float)
    has = n_true[:, 0] > 0
    thresholds[~has] = 0.5
    return thresholds, np.where(has, best, np.nan)
