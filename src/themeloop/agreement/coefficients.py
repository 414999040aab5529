"""Agreement coefficients as plain typed functions over count tables.

Most functions take ``counts``: an array of shape ``(n_units, n_categories)``
whose cell ``[u, k]`` is how many coders put unit ``u`` in category ``k``
(Gwet's "distribution of raters by subject and category"). Units with fewer
than two ratings carry no information about agreement and are ignored where
the coefficient's definition says so. A coefficient that is undefined on the
data (no variation at all, too few units) is returned as ``None``, never NaN.

The well-kept libraries do the work where they exist: Krippendorff's alpha
via ``krippendorff``, Cohen's kappa via scikit-learn, Fleiss' kappa via
statsmodels. Gwet's AC1 and Brennan-Prediger are a few vectorised lines
(Gwet 2014, ch. 2, with missing ratings), tested against irrCAC's published
values.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np

from themeloop.errors import AgreementError

LEVELS = ("nominal", "ordinal", "interval", "ratio")


def check_counts(counts: np.ndarray, name: str = "counts") -> np.ndarray:
    """Return ``counts`` as a 2-D non-negative integer array or raise AgreementError."""
    array = np.asarray(counts)
    if array.ndim != 2:
        raise AgreementError(f"{name} must be a 2-D units x categories table; got {array.ndim}-D")
    if array.size and (array.min() < 0 or not np.all(np.equal(np.mod(array, 1), 0))):
        raise AgreementError(f"{name} must hold non-negative whole numbers of ratings")
    return array.astype(np.int64, copy=False)


def _pairable(counts: np.ndarray) -> np.ndarray:
    return counts[counts.sum(axis=1) >= 2]


def percent_agreement(counts: np.ndarray) -> float | None:
    """Share of agreeing coder pairs, averaged over units with two or more ratings.

    Examples
    --------
    >>> percent_agreement(np.array([[2, 0], [1, 1], [0, 2], [0, 2]]))
    0.75
    """
    r = _pairable(check_counts(counts))
    if len(r) == 0:
        return None
    n = r.sum(axis=1)
    return float(np.mean((r * (r - 1)).sum(axis=1) / (n * (n - 1))))


def _chance_corrected(counts: np.ndarray, chance: str, n_categories: int | None) -> float | None:
    r = check_counts(counts)
    q = n_categories or r.shape[1]
    pa = percent_agreement(r)
    rated = r[r.sum(axis=1) >= 1]
    if pa is None or q < 2 or len(rated) == 0:
        return None
    if chance == "uniform":
        pe = 1.0 / q
    else:
        pi = (rated / rated.sum(axis=1, keepdims=True)).mean(axis=0)
        pe = float((pi * (1 - pi)).sum() / (q - 1))
    if pe >= 1.0:
        return None
    return float((pa - pe) / (1 - pe))


def gwet_ac1(counts: np.ndarray, n_categories: int | None = None) -> float | None:
    """Gwet's AC1 for two or more coders, missing ratings allowed.

    ``n_categories`` is the number of possible categories (default: the
    table's columns), as Gwet's chance agreement depends on it.

    Examples
    --------
    irrCAC's ``cont3x3abstractors`` (2 coders, 100 units) gives 0.8493305:

    >>> table = [[13, 0, 0], [0, 20, 7], [0, 4, 56]]
    >>> rows = [[i, j] for i in range(3) for j in range(3) for _ in range(table[i][j])]
    >>> counts = np.array([np.bincount(r, minlength=3) for r in rows])
    >>> round(gwet_ac1(counts), 7)
    0.8493305
    """
    return _chance_corrected(counts, "gwet", n_categories)


def brennan_prediger(counts: np.ndarray, n_categories: int | None = None) -> float | None:
    """Brennan-Prediger coefficient (chance agreement ``1/q``), missing ratings allowed.

    Examples
    --------
    >>> table = [[13, 0, 0], [0, 20, 7], [0, 4, 56]]
    >>> rows = [[i, j] for i in range(3) for j in range(3) for _ in range(table[i][j])]
    >>> counts = np.array([np.bincount(r, minlength=3) for r in rows])
    >>> round(brennan_prediger(counts), 3)
    0.835
    """
    return _chance_corrected(counts, "uniform", n_categories)


def fleiss_kappa(counts: np.ndarray) -> float | None:
    """Fleiss' kappa via statsmodels, on the units rated by the most coders.

    Fleiss' kappa needs the same number of ratings on every unit; units with
    fewer ratings than the maximum are left out (say so to the reader).

    Examples
    --------
    Wikipedia's worked example (10 units, 14 coders) gives 0.210:

    >>> counts = np.array([[0, 0, 0, 0, 14], [0, 2, 6, 4, 2], [0, 0, 3, 5, 6],
    ...     [0, 3, 9, 2, 0], [2, 2, 8, 1, 1], [7, 7, 0, 0, 0], [3, 2, 6, 3, 0],
    ...     [2, 5, 3, 2, 2], [6, 5, 2, 1, 0], [0, 2, 2, 3, 7]])
    >>> round(fleiss_kappa(counts), 3)
    0.21
    """
    from statsmodels.stats.inter_rater import fleiss_kappa as sm_fleiss

    r = check_counts(counts)
    if len(r) == 0:
        return None
    n = r.sum(axis=1)
    complete = r[n == n.max()]
    if len(complete) < 2 or n.max() < 2:
        return None
    p_cat = complete.sum(axis=0) / complete.sum()
    if np.isclose((p_cat**2).sum(), 1.0):
        return None
    return float(sm_fleiss(complete, method="fleiss"))


def cohen_kappa(first: Sequence[object], second: Sequence[object]) -> float | None:
    """Cohen's kappa of two coders' labels on the same units (scikit-learn).

    Examples
    --------
    >>> cohen_kappa([1, 1, 0, 0], [1, 0, 0, 0])
    0.5
    """
    from sklearn.metrics import cohen_kappa_score

    a, b = np.asarray(first), np.asarray(second)
    if a.shape != b.shape or a.ndim != 1:
        raise AgreementError(
            f"Cohen's kappa needs two equally long label lists; got {a.shape} and {b.shape}"
        )
    if len(a) < 2 or len(np.union1d(a, b)) < 2:
        return None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        value = cohen_kappa_score(a, b)
    return None if not np.isfinite(value) else float(value)


def krippendorff_alpha(
    counts: np.ndarray, level: str = "nominal", domain: Sequence[float] | None = None
) -> float | None:
    """Krippendorff's alpha from a units x values count table (``krippendorff``).

    ``domain`` gives the numeric value of each column for ordinal, interval
    and ratio levels (default ``0..k-1``). Units with one rating are ignored,
    so missing ratings and unequal numbers of coders per unit are fine.

    Examples
    --------
    >>> counts = np.array([[2, 0], [0, 2], [2, 0], [1, 1]])
    >>> round(krippendorff_alpha(counts), 3)
    0.533
    """
    import krippendorff

    if level not in LEVELS:
        raise AgreementError(f"level must be one of {', '.join(LEVELS)}; got '{level}'")
    r = _pairable(check_counts(counts))
    used = np.flatnonzero(r.sum(axis=0))
    if len(r) == 0 or len(used) < 2:
        return None
    values = np.arange(r.shape[1], dtype=float) if domain is None else np.asarray(domain, float)
    if len(values) != r.shape[1]:
        raise AgreementError(
            f"domain has {len(values)} values for a table of {r.shape[1]} categories"
        )
    value = krippendorff.alpha(
        value_counts=r[:, used], value_domain=values[used],
        level_of_measurement=level,  # type: ignore[arg-type]  # checked by the caller
    )
    return None if not np.isfinite(value) else float(value)


def _alpha_from_patterns(weights: np.ndarray, n: np.ndarray, k: np.ndarray) -> np.ndarray:
    """Alpha for each row of ``weights`` (how often each (n, k) unit pattern occurs)."""
    total = weights @ n
    positive = weights @ k
    disagreement = weights @ (2.0 * k * (n - k) / (n - 1))
    expected = 2.0 * positive * (total - positive)
    with np.errstate(divide="ignore", invalid="ignore"):
        alpha = 1.0 - (total - 1) * disagreement / expected
    return np.where(expected > 0, alpha, np.nan)


def bootstrap_binary_alpha(
    n: np.ndarray, k: np.ndarray, n_boot: int, rng: np.random.Generator
) -> tuple[float, float] | None:
    """95% percentile interval of binary nominal alpha from resampled units.

    Resampling units with replacement only changes how often each distinct
    ``(n coders, k yes)`` pattern occurs, so each replicate draws those
    frequencies from a multinomial: the same distribution as resampling
    100,000 units, at the cost of a handful of patterns.
    """
    n = np.asarray(n)
    k = np.asarray(k)
    keep = n >= 2
    if n_boot <= 0 or keep.sum() < 2:
        return None
    width = int(n.max()) + 1
    keys, freq = np.unique(n[keep].astype(np.int64) * width + k[keep], return_counts=True)
    draws = rng.multinomial(int(keep.sum()), freq / freq.sum(), size=n_boot)
    alphas = _alpha_from_patterns(draws.astype(float), (keys // width).astype(float),
                                  (keys % width).astype(float))
    alphas = alphas[np.isfinite(alphas)]
    if len(alphas) == 0:
        return None
    low, high = np.percentile(alphas, [2.5, 97.5])
    return float(low), float(high)


def binary_alpha_point(n: np.ndarray, k: np.ndarray) -> float | None:
    """Binary nominal alpha from per-unit ``n`` and ``k`` (same as the bootstrap's)."""
    n = np.asarray(n, float)
    k = np.asarray(k, float)
    keep = n >= 2
    value = _alpha_from_patterns(np.ones((1, keep.sum())), n[keep], k[keep])[0]
    return None if not np.isfinite(value) else float(value)
