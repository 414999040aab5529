"""Krippendorff's alpha for set-valued codings with the MASI distance.

The ``krippendorff`` package handles scalar values only. Here each value is
the set of codes one coder applied to one unit. Alpha is computed with the
coincidence-matrix formulation over the distinct code sets that occur:
observed disagreement from coder pairs within units, expected disagreement
from the pooled frequencies of the sets (Krippendorff 2011).

MASI (Passonneau 2006) follows nltk's ``masi_distance``: ``1 - J * M`` with
Jaccard ``J`` and ``M`` = 1 (equal), 2/3 (one a subset of the other), 1/3
(overlap) or 0 (disjoint). Two empty sets are at distance 0 (nltk divides by
zero there).
"""

from __future__ import annotations

import numpy as np

_BLOCK = 2048
_MAX_BITS = 56  # subset masks and their keys must fit in int64
_SUBSET_BUDGET = 5e7  # beyond this many subsets, pairs of distinct sets are cheaper


def masi_distance(first: np.ndarray, second: np.ndarray) -> np.ndarray:
    """Pairwise MASI distance between rows of two boolean set matrices.

    Examples
    --------
    >>> a = np.array([[1, 1, 0]], dtype=bool)
    >>> b = np.array([[1, 1, 0], [1, 0, 0], [0, 1, 1], [0, 0, 1]], dtype=bool)
    >>> masi_distance(a, b).round(3).tolist()
    [[0.0, 0.667, 0.889, 1.0]]
    """
    a = first.astype(np.float64)
    b = second.astype(np.float64)
    inter = a @ b.T
    size_a = a.sum(axis=1)[:, None]
    size_b = b.sum(axis=1)[None, :]
    return _masi(inter, size_a, size_b)


def _masi(inter: np.ndarray, size_a: np.ndarray, size_b: np.ndarray) -> np.ndarray:
    union = size_a + size_b - inter
    equal = (inter == size_a) & (inter == size_b)
    subset = inter == np.minimum(size_a, size_b)
    monotonicity = np.where(equal, 1.0, np.where(subset, 2 / 3, np.where(inter > 0, 1 / 3, 0.0)))
    with np.errstate(divide="ignore", invalid="ignore"):
        jaccard = np.where(union > 0, inter / np.where(union > 0, union, 1), 1.0)
    return 1.0 - jaccard * monotonicity


def _paired_distance(sets: np.ndarray, left: np.ndarray, right: np.ndarray) -> np.ndarray:
    a, b = sets[left], sets[right]
    inter = (a & b).sum(axis=1).astype(float)
    return _masi(inter, a.sum(axis=1).astype(float), b.sum(axis=1).astype(float))


def set_alpha(unit: np.ndarray, set_id: np.ndarray, sets: np.ndarray) -> float | None:
    """Alpha with MASI distance; ``unit[j]``/``set_id[j]`` per judgement, sorted by unit.

    Returns ``None`` when alpha is undefined (no pairable units or no
    variation in the code sets).
    """
    n_sets = len(sets)
    n_unit = np.bincount(unit)
    pairable = n_unit[unit] >= 2
    unit, set_id = unit[pairable], set_id[pairable]
    if len(unit) == 0:
        return None
    keys, count = np.unique(unit * n_sets + set_id, return_counts=True)
    cell_unit, cell_set = keys // n_sets, keys % n_sets
    total = len(unit)
    freq = np.bincount(cell_set, weights=count, minlength=n_sets)
    expected = _expected(sets, freq) / (total * (total - 1))
    if expected <= 0:
        return None
    observed = _observed(cell_unit, cell_set, count, n_unit, sets) / total
    return float(1.0 - observed / expected)


def _observed(cell_unit: np.ndarray, cell_set: np.ndarray, count: np.ndarray,
              n_unit: np.ndarray, sets: np.ndarray) -> float:
    """Sum over units of disagreeing ordered pairs of distinct sets, weighted 1/(n_u - 1)."""
    starts = np.flatnonzero(np.r_[True, cell_unit[1:] != cell_unit[:-1]])
    width = np.diff(np.r_[starts, len(cell_unit)])
    total = 0.0
    for a in range(int(width.max())):
        for b in range(a + 1, int(width.max())):
            has = width > b
            left, right = starts[has] + a, starts[has] + b
            weight = 2.0 * count[left] * count[right] / (n_unit[cell_unit[left]] - 1)
            pair_keys, inverse = np.unique(cell_set[left] * len(sets) + cell_set[right],
                                           return_inverse=True)
            summed = np.bincount(inverse.ravel(), weights=weight)
            d = _paired_distance(sets, pair_keys // len(sets), pair_keys % len(sets))
            total += float(summed @ d)
    return total


def _expected(sets: np.ndarray, freq: np.ndarray) -> float:
    """Sum over all ordered pairs of pooled values of n_s * n_t * d(s, t)."""
    used = np.flatnonzero(freq)
    subset, weights = sets[used], freq[used]
    sizes = subset.sum(axis=1)
    n_subsets = float(np.sum(2.0 ** sizes))
    if subset.shape[1] <= _MAX_BITS and n_subsets <= _SUBSET_BUDGET and len(used) > _BLOCK:
        return _expected_by_subsets(subset, sizes, np.rint(weights).astype(np.int64))
    total = 0.0
    for start in range(0, len(used), _BLOCK):
        block = masi_distance(subset[start:start + _BLOCK], subset)
        total += float(weights[start:start + _BLOCK] @ block @ weights)
    return total


def _expected_by_subsets(sets: np.ndarray, sizes: np.ndarray, weights: np.ndarray) -> float:
    """The same sum without visiting every pair of distinct sets.

    MASI depends only on the sizes ``a, b`` of two sets and the size ``i`` of
    their intersection, so the sum needs only ``h[a, b, i]``: the weighted
    number of pairs with those sizes. Counting, for every subset ``U`` that
    occurs, the weight ``G_a(U)`` of the sets of size ``a`` containing it
    gives the binomial moments ``P[a, b, j] = sum_{|U|=j} G_a(U) G_b(U) =
    sum_i C(i, j) h[a, b, i]``, which are inverted exactly in integers. The
    work grows with the number of subsets of the distinct sets, not with the
    square of their number (58,000 distinct sets: seconds instead of hours).
    """
    from math import comb

    from scipy import sparse

    n_codes = sets.shape[1]
    masks = sets.astype(np.int64) @ (np.int64(1) << np.arange(n_codes, dtype=np.int64))
    owner = np.arange(len(sets))
    sub = np.zeros(len(sets), dtype=np.int64)
    for c in range(n_codes):
        bit = np.int64(1) << c
        take = (masks[owner] & bit) != 0
        owner = np.concatenate([owner, owner[take]])
        sub = np.concatenate([sub, sub[take] | bit])
    n_sizes = n_codes + 1
    keys, inverse = np.unique(sub * n_sizes + sizes[owner], return_inverse=True)
    g = np.bincount(inverse.ravel(), weights=weights[owner]).astype(np.int64)
    u_mask, size_a = keys // n_sizes, keys % n_sizes
    u_index = _dense_rank_sorted(u_mask)  # keys are sorted, so u_mask is too
    order_j = _popcount(u_mask)
    moments = np.zeros((n_sizes, n_sizes, n_sizes), dtype=object)
    for j in np.unique(order_j):
        pick = order_j == j
        rows = _dense_rank_sorted(u_index[pick])
        x = sparse.csr_matrix((g[pick], (rows, size_a[pick])), shape=(rows.max() + 1, n_sizes))
        moments[:, :, j] = (x.T @ x).toarray().astype(object)
    total = 0.0
    for a in range(n_sizes):
        for b in range(n_sizes):
            for i in range(min(a, b) + 1):
                h = sum((-1) ** (j - i) * comb(j, i) * int(moments[a, b, j])
                        for j in range(i, min(a, b) + 1))
                if h:
                    d = _masi(np.array(float(i)), np.array(float(a)), np.array(float(b)))
                    total += h * float(d)
    return total


def _dense_rank_sorted(values: np.ndarray) -> np.ndarray:
    """``np.unique(values, return_inverse=True)[1]`` for an already sorted array, without a sort."""
    if len(values) == 0:
        return np.zeros(0, dtype=np.int64)
    return np.r_[0, np.cumsum(values[1:] != values[:-1])].astype(np.int64)


def _popcount(values: np.ndarray) -> np.ndarray:
    count = np.zeros(len(values), dtype=np.int64)
    v = values.copy()
    while np.any(v):
        count += v & 1
        v >>= 1
    return count
