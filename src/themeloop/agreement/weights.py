"""Agreement weights between categories, as Gwet's irrCAC defines them.

A weight matrix ``W`` (q x q) says how much credit two ratings get when one
coder says category ``k`` and another ``l``: 1 on the diagonal, less (down to
0) the further apart. ``identity`` is unweighted agreement. The other schemes
need the categories' numeric values (``values``); for labels that are not
numbers, irrCAC uses their positions ``1..q`` and so does this module.

Formulas follow irrCAC (Gwet 2014, *Handbook of Inter-Rater Reliability*,
4th ed., ch. 3), vectorised.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from themeloop.errors import AgreementError, did_you_mean

WEIGHTS = ("identity", "quadratic", "linear", "ordinal", "radical", "ratio", "circular",
           "bipolar")


def category_values(categories: Sequence[object]) -> np.ndarray:
    """The numeric value of each category: the number itself, else its position 1..q.

    Examples
    --------
    >>> category_values(["1", "2", "5"]).tolist()
    [1.0, 2.0, 5.0]
    >>> category_values(["low", "high"]).tolist()
    [1.0, 2.0]
    """
    try:
        return np.array([float(str(c)) for c in categories], dtype=float)
    except ValueError:
        return np.arange(1, len(categories) + 1, dtype=float)


def weight_matrix(name: str, values: Sequence[float] | np.ndarray) -> np.ndarray:
    """The ``q x q`` weights of scheme ``name`` for categories with these ``values``.

    Examples
    --------
    >>> weight_matrix("linear", [1, 2, 3]).tolist()
    [[1.0, 0.5, 0.0], [0.5, 1.0, 0.5], [0.0, 0.5, 1.0]]
    >>> weight_matrix("quadratic", [1, 2, 3]).tolist()
    [[1.0, 0.75, 0.0], [0.75, 1.0, 0.75], [0.0, 0.75, 1.0]]
    """
    if name not in WEIGHTS:
        raise AgreementError(f"weights must be one of {', '.join(WEIGHTS)} or a CSV file of a "
                             f"q x q matrix; got '{name}'{did_you_mean(name, WEIGHTS)}")
    x = np.asarray(values, dtype=float)
    q = len(x)
    if name == "identity" or q < 2:
        return np.eye(q)
    k, el = x[:, None], x[None, :]
    lo, hi = x.min(), x.max()
    span = hi - lo
    if name == "quadratic":
        return 1 - ((k - el) / span) ** 2
    if name == "linear":
        return 1 - np.abs(k - el) / span
    if name == "radical":
        return 1 - np.sqrt(np.abs(k - el)) / np.sqrt(span)
    if name == "ordinal":
        pos = np.arange(q)
        m = np.abs(pos[:, None] - pos[None, :]) + 1
        w = m * (m - 1) / 2.0
        return 1 - w / w.max()
    if name == "ratio":
        if np.any(x == 0):
            raise AgreementError("ratio weights divide by the category values; a category is "
                                 "0 (use another scheme, or recode the categories from 1)")
        return 1 - ((k - el) / (k + el)) ** 2 / ((hi - lo) / (hi + lo)) ** 2
    if name == "circular":
        w = np.sin(np.pi * (k - el) / (span + 1)) ** 2
        return 1 - w / w.max()
    # bipolar
    with np.errstate(divide="ignore", invalid="ignore"):
        w = (k - el) ** 2 / ((k + el - 2 * lo) * (2 * hi - k - el))
    w = np.where(np.eye(q, dtype=bool), 0.0, w)
    return 1 - w / w.max()


def read_weight_matrix(path: str, q: int) -> np.ndarray:
    """A custom ``q x q`` matrix from a CSV file (no header, comma-separated numbers)."""
    from pathlib import Path

    file = Path(path)
    try:
        matrix = np.loadtxt(file, delimiter=",", dtype=float, ndmin=2)
    except (OSError, ValueError) as exc:
        raise AgreementError(f"{file}: cannot read a weight matrix ({exc}); write q rows of q "
                             "comma-separated numbers, no header") from None
    return check_weight_matrix(matrix, q, str(file))


def check_weight_matrix(matrix: np.ndarray, q: int, name: str = "weights") -> np.ndarray:
    """``matrix`` as a float ``q x q`` array with weights in [0, 1] and 1 on the diagonal."""
    w = np.asarray(matrix, dtype=float)
    if w.shape != (q, q):
        raise AgreementError(f"{name}: the weight matrix must be {q} x {q} (one row and column "
                             f"per category); got {' x '.join(map(str, w.shape))}")
    if not np.all(np.isfinite(w)) or w.min() < 0 or w.max() > 1:
        raise AgreementError(f"{name}: weights must be numbers between 0 and 1")
    if not np.allclose(np.diag(w), 1):
        raise AgreementError(f"{name}: the diagonal (a category with itself) must be 1")
    return w


def load_weights(spec: str | np.ndarray) -> str | np.ndarray:
    """A scheme name as is, a matrix as floats, or the matrix in a CSV file (checked later).

    Examples
    --------
    >>> load_weights("quadratic")
    'quadratic'
    """
    from pathlib import Path

    if not isinstance(spec, str):
        return np.asarray(spec, dtype=float)
    if spec in WEIGHTS:
        return spec
    path = Path(spec)
    if path.suffix.lower() in (".csv", ".txt") or path.is_file():
        if not path.is_file():
            raise AgreementError(f"{path}: no such weights file; give a CSV of a q x q matrix or "
                                 f"one of {', '.join(WEIGHTS)}")
        try:
            return np.loadtxt(path, delimiter=",", dtype=float, ndmin=2)
        except ValueError as exc:
            raise AgreementError(f"{path}: cannot read a weight matrix ({exc}); write q rows of "
                                 "q comma-separated numbers, no header") from None
    raise AgreementError(f"weights must be one of {', '.join(WEIGHTS)} or a CSV file of a "
                         f"q x q matrix; got '{spec}'{did_you_mean(spec, WEIGHTS)}")
