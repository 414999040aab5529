"""Tests of independence for a groups x (mentioned, not mentioned) table.

:func:`independence_test` picks the test: Pearson's chi-square when every
expected count is at least 5, otherwise Fisher's exact test (2 x 2) or its
Freeman-Halton extension (r x 2), computed exactly by enumerating every table
with the observed margins, or by a seeded Monte Carlo estimate when there are
too many such tables.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import gammaln

MAX_TABLES = 500_000
MONTE_CARLO_DRAWS = 9_999


@dataclass(frozen=True)
class TestResult:
    """Which test ran, its statistic and p-value, and the smallest expected count."""

    test: str
    statistic: float
    p_value: float
    min_expected: float


def _log_choose(n: np.ndarray | int, k: np.ndarray | int) -> np.ndarray:
    return gammaln(np.asarray(n) + 1) - gammaln(np.asarray(k) + 1) - gammaln(np.asarray(n) - np.asarray(k) + 1)


def _n_tables(rows: np.ndarray, total: int, cap: int = MAX_TABLES) -> int:
    """How many first columns with these row sums add up to ``total``, up to ``cap + 1``."""
    ways = np.zeros(total + 1)
    ways[0] = 1.0
    s = np.arange(total + 1)
    for r in rows:
        prefix = np.concatenate([[0.0], np.cumsum(ways)])
        ways = np.minimum(prefix[s + 1] - prefix[np.maximum(s - int(r), 0)], cap + 1)
    return int(ways[total])


def freeman_halton_exact(table: np.ndarray) -> tuple[float, float]:
    """Exact Fisher-Freeman-Halton test of an r x 2 table: (probability of table, p-value).

    The p-value sums the probabilities of all tables with the observed margins
    that are no more probable than the observed one. For 2 x 2 it equals
    ``scipy.stats.fisher_exact``'s two-sided p-value.

    >>> round(freeman_halton_exact(np.array([[8, 2], [1, 5]]))[1], 6)
    0.034965
    """
    rows = table.sum(axis=1)
    first = int(table[:, 0].sum())
    n = int(rows.sum())
    sums = np.zeros(1, dtype=np.int64)
    logp = np.zeros(1)
    remaining = n
    for r in (int(v) for v in rows):
        remaining -= r
        # only the x that still let the column reach its total: nothing is built and thrown away
        lo = np.maximum(first - sums - remaining, 0)
        hi = np.minimum(first - sums, r)
        width = hi - lo + 1
        parent = np.repeat(np.arange(len(sums)), width)
        x = lo[parent] + np.arange(width.sum()) - np.repeat(np.cumsum(width) - width, width)
        sums = sums[parent] + x
        logp = logp[parent] + _log_choose(r, x)
    log_total = float(_log_choose(n, first))
    observed = float(_log_choose(rows, table[:, 0]).sum()) - log_total
    probs = np.exp(logp - log_total)
    p_value = float(probs[logp - log_total <= observed + 1e-7].sum())
    return float(np.exp(observed)), min(p_value, 1.0)


def independence_test(table: np.ndarray, random_state: int = 42) -> TestResult:
    """Test independence of groups (rows) and mention (columns: mentioned, not mentioned).

    Groups with no respondents are dropped first. Returns test ``"not tested"``
    with a NaN p-value when fewer than two groups remain or nobody (or
    everybody) mentioned the code.
    """
    from scipy import stats

    table = np.asarray(table, dtype=np.int64)
    table = table[table.sum(axis=1) > 0]
    n = table.sum()
    if table.shape[0] < 2 or (table.sum(axis=0) == 0).any():
        return TestResult("not tested", float("nan"), float("nan"), float("nan"))
    expected = np.outer(table.sum(axis=1), table.sum(axis=0)) / n
    min_expected = float(expected.min())
    if min_expected >= 5:
        chi2, p, _dof, _ = stats.chi2_contingency(table)
        name = "chi-square (Yates)" if table.shape == (2, 2) else "chi-square"
        return TestResult(name, float(chi2), float(p), min_expected)
    if table.shape == (2, 2):
        odds, p = stats.fisher_exact(table)
        return TestResult("Fisher exact", float(odds), float(p), min_expected)
    if _n_tables(table.sum(axis=1), int(table[:, 0].sum())) <= MAX_TABLES:
        prob, p = freeman_halton_exact(table)
        return TestResult("Freeman-Halton exact", prob, p, min_expected)
    method = stats.MonteCarloMethod(n_resamples=MONTE_CARLO_DRAWS,
                                    rng=np.random.default_rng(random_state))
    res = stats.fisher_exact(table, method=method)
    return TestResult(f"Freeman-Halton Monte Carlo ({MONTE_CARLO_DRAWS} draws, seed {random_state})",
                      float(res.statistic), float(res.pvalue), min_expected)
