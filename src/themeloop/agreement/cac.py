"""Chance-corrected agreement coefficients with Gwet's analytic variances.

Every coefficient here is ``(pa - pe) / (1 - pe)`` for its own chance
agreement ``pe``, computed as Gwet's irrCAC computes it (Gwet 2014,
*Handbook of Inter-Rater Reliability*, 4th ed., ch. 2-5): missing ratings
are allowed, percent agreement ``pa`` is averaged over the units with two or
more ratings, and every unit with at least one rating feeds the
classification probabilities. Variances are Gwet's linearised (influence
function) formulas, ``(1 - f) / (n (n - 1)) * sum((x_i - kappa)^2)``, where
``f = n / N`` is the finite-population correction (``N = None``: an
infinite population, ``f = 0``). Confidence intervals and p-values use
Student's t with ``n - 1`` degrees of freedom, as irrCAC does; the upper
limit is capped at 1.

The PyPI ``irrcac`` port was evaluated and is not used: version 0.4.4 pins
``pandas<3`` and ``scipy==1.12.0`` (installing it would downgrade both), and
under pandas 3 it counts missing ratings as an extra category, so AC1 and
Brennan-Prediger come out wrong (0.7855 and 0.7818 on irrCAC's
``raw_4raters``, where irrCAC publishes 0.7754 and 0.7727). The formulas are
a few vectorised numpy lines, tested against irrCAC's published values.

Inputs are either ``ratings``, an ``(n_units, n_raters)`` integer array of
category indices with ``-1`` for a missing rating, or ``counts``, an
``(n_units, q)`` table of how many raters chose each category (enough for
every coefficient except Cohen, Scott, Conger and Bangdiwala, which need to
know who rated what).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from themeloop.errors import AgreementError

COUNT_COEFFICIENTS = ("percent_agreement", "fleiss_kappa", "gwet_ac1", "gwet_ac2",
                      "brennan_prediger", "krippendorff_alpha")
RATER_COEFFICIENTS = ("cohen_kappa", "scott_pi", "conger_kappa", "bangdiwala_b")
COEFFICIENTS = ("percent_agreement", "cohen_kappa", "scott_pi", "fleiss_kappa", "conger_kappa",
                "gwet_ac1", "gwet_ac2", "brennan_prediger", "krippendorff_alpha",
                "bangdiwala_b")
TWO_RATERS = ("cohen_kappa", "scott_pi", "bangdiwala_b")
TINY = 1e-12


@dataclass(frozen=True)
class Estimate:
    """One coefficient with its components and analytic uncertainty."""

    value: float | None
    pa: float | None = None
    pe: float | None = None
    se: float | None = None
    ci95: tuple[float, float] | None = None
    p_value: float | None = None
    n_units: int = 0

    def as_dict(self, digits: int = 6) -> dict[str, object]:
        """JSON-ready, rounded; ``None`` where undefined."""
        def r(v: float | None) -> float | None:
            return None if v is None else round(float(v), digits)

        return {"estimate": r(self.value), "pa": r(self.pa), "pe": r(self.pe), "se": r(self.se),
                "ci95": None if self.ci95 is None else [r(self.ci95[0]), r(self.ci95[1])],
                "p_value": r(self.p_value), "n_units": self.n_units}


UNDEFINED = Estimate(None)


def counts_from_ratings(ratings: np.ndarray, q: int) -> np.ndarray:
    """``(n, q)`` counts of raters per unit and category (``-1`` ratings ignored)."""
    x = np.asarray(ratings)
    n = x.shape[0]
    counts = np.zeros((n, q + 1), dtype=np.float64)
    rows = np.broadcast_to(np.arange(n)[:, None], x.shape)
    np.add.at(counts, (rows.ravel(), np.where(x < 0, q, x).ravel()), 1.0)
    return counts[:, :q]


def compress(rows: np.ndarray, base: int) -> tuple[np.ndarray, np.ndarray]:
    """Distinct rows of a small-integer array (values ``-1 .. base - 2``) and how often each occurs.

    Every coefficient here depends on the units only through these
    patterns, so 100,000 units with three coders and a yes/no code reduce to
    at most 27 rows.
    """
    x = np.asarray(rows, dtype=np.int64)
    if x.shape[0] == 0:
        return x, np.zeros(0)
    width = x.shape[1]
    if base**width <= 1 << 20:  # few possible patterns: count them without sorting
        powers = base ** np.arange(width, dtype=np.int64)
        freq = np.bincount((x + 1) @ powers, minlength=base**width)
        keys = np.flatnonzero(freq)
        patterns = (keys[:, None] // powers[None, :]) % base - 1
        return patterns, freq[keys].astype(np.float64)
    if base**width < 2**62:
        powers = base ** np.arange(width, dtype=np.int64)
        _, first, freq = np.unique((x + 1) @ powers, return_index=True, return_counts=True)
        return x[first], freq.astype(np.float64)
    patterns, freq = np.unique(x, axis=0, return_counts=True)
    return patterns, freq.astype(np.float64)


def _finish(value: float, pa: float | None, pe: float | None, x: np.ndarray | None,
            f: np.ndarray, n2: int, population: int | None,
            centre: float | None = None) -> Estimate:
    """Variance from per-pattern terms ``x`` (frequencies ``f``), t interval and p-value."""
    from scipy.special import stdtr, stdtrit

    if not np.isfinite(value):
        return Estimate(None, pa, pe, n_units=n2)
    n = float(f.sum())
    se = None
    ci = p = None
    if x is not None and n >= 2:
        fpc = 0.0 if population is None else min(n / population, 1.0)
        mid = value if centre is None else centre
        var = (1 - fpc) / (n * (n - 1)) * float(f @ (x - mid) ** 2)
        se = float(np.sqrt(max(var, 0.0)))
        if se < TINY:  # rounding noise of an exactly determined value
            se = 0.0
        if abs(value) < TINY:
            value = 0.0
        t = float(stdtrit(n - 1, 0.975))
        ci = (value - t * se, min(1.0, value + t * se))
        if se > 0:
            p = float(2 * stdtr(n - 1, -abs(value) / se))
        else:
            p = 1.0 if value == 0 else 0.0
    return Estimate(float(value), pa, pe, se, ci, p, n2)


@dataclass(frozen=True)
class _Parts:
    counts: np.ndarray  # distinct count rows with >= 1 rating
    f: np.ndarray       # how many units have each row
    r: np.ndarray
    two: np.ndarray
    n: float
    n2: int
    pa_i: np.ndarray
    pa: float
    pi: np.ndarray


def _parts(counts: np.ndarray, w: np.ndarray, f: np.ndarray | None = None) -> _Parts | None:
    c = np.asarray(counts, dtype=np.float64)
    f = np.ones(len(c)) if f is None else np.asarray(f, dtype=np.float64)
    keep = c.sum(axis=1) >= 1
    c, f = c[keep], f[keep]
    r = c.sum(axis=1)
    two = r >= 2
    n, n2 = float(f.sum()), int(f[two].sum())
    if n2 == 0:
        return None
    sum_q = (c * (c @ w.T - 1)).sum(axis=1)
    den = np.where(two, r * (r - 1), 1.0)
    pa_i = np.where(two, sum_q / den, 0.0)
    pa = float(f[two] @ pa_i[two] / n2)
    pi = f @ (c / r[:, None]) / n
    return _Parts(c, f, r, two, n, n2, pa_i, pa, pi)


def _chance_corrected(p: _Parts, pe: float, pe_i: np.ndarray | None,
                      population: int | None) -> Estimate:
    if pe >= 1 - 1e-12:
        return Estimate(None, p.pa, pe, n_units=p.n2)
    value = (p.pa - pe) / (1 - pe)
    x = (p.n / p.n2) * (p.pa_i - pe * p.two) / (1 - pe)
    if pe_i is not None:
        x = x - 2 * (1 - value) * (pe_i - pe) / (1 - pe)
    return _finish(value, p.pa, pe, x, p.f, p.n2, population)


def percent_agreement(counts: np.ndarray, w: np.ndarray, population: int | None = None,
                      f: np.ndarray | None = None) -> Estimate:
    """Weighted percent agreement ``pa`` (``pe = 0``), irrCAC's ``pa.coeff.raw``."""
    p = _parts(counts, w, f)
    if p is None:
        return UNDEFINED
    return _finish(p.pa, p.pa, 0.0, (p.n / p.n2) * p.pa_i, p.f, p.n2, population)


def fleiss_kappa(counts: np.ndarray, w: np.ndarray, population: int | None = None,
                 f: np.ndarray | None = None) -> Estimate:
    """Fleiss' generalised kappa, missing ratings as Gwet handles them."""
    p = _parts(counts, w, f)
    if p is None:
        return UNDEFINED
    pe = float(p.pi @ w @ p.pi)
    pi_w = (w @ p.pi + w.T @ p.pi) / 2
    return _chance_corrected(p, pe, (p.counts @ pi_w) / p.r, population)


def gwet_ac(counts: np.ndarray, w: np.ndarray, population: int | None = None,
            f: np.ndarray | None = None) -> Estimate:
    """Gwet's AC1 (identity weights) or AC2 (any other weights)."""
    p = _parts(counts, w, f)
    q = w.shape[0]
    if p is None or q < 2:
        return UNDEFINED if p is None else Estimate(None, p.pa, None, n_units=p.n2)
    scale = w.sum() / (q * (q - 1))
    pe = float(scale * (p.pi * (1 - p.pi)).sum())
    return _chance_corrected(p, pe, scale * (p.counts @ (1 - p.pi)) / p.r, population)


def brennan_prediger(counts: np.ndarray, w: np.ndarray, population: int | None = None,
                     f: np.ndarray | None = None) -> Estimate:
    """Brennan-Prediger: chance agreement ``sum(W) / q^2`` (``1/q`` unweighted)."""
    p = _parts(counts, w, f)
    q = w.shape[0]
    if p is None or q < 2:
        return UNDEFINED if p is None else Estimate(None, p.pa, None, n_units=p.n2)
    return _chance_corrected(p, float(w.sum() / q**2), None, population)


def krippendorff_alpha(counts: np.ndarray, w: np.ndarray, population: int | None = None,
                       f: np.ndarray | None = None) -> Estimate:
    """Krippendorff's alpha in Gwet's formulation (units with two or more ratings).

    With identity weights it is nominal alpha; quadratic weights give
    interval alpha and ratio weights ratio alpha (Krippendorff's own
    ordinal metric differs from irrCAC's ordinal weights).
    """
    c = np.asarray(counts, dtype=np.float64)
    f = np.ones(len(c)) if f is None else np.asarray(f, dtype=np.float64)
    keep = c.sum(axis=1) >= 2
    c, f = c[keep], f[keep]
    n = float(f.sum())
    if n == 0:
        return UNDEFINED
    r = c.sum(axis=1)
    r_mean = float(f @ r) / n
    eps = 1.0 / float(f @ r)
    sum_q = (c * (c @ w.T - 1)).sum(axis=1)
    pa_prime = float(f @ (sum_q / (r_mean * (r - 1)))) / n
    pa = (1 - eps) * pa_prime + eps
    pi = f @ (c / r_mean) / n
    pe = float(pi @ w @ pi)
    if pe >= 1 - 1e-12:
        return Estimate(None, pa, pe, n_units=int(n))
    alpha = (pa - pe) / (1 - pe)
    alpha_prime = (pa_prime - pe) / (1 - pe)
    pa_i = sum_q / (r_mean * (r - 1)) - pa * (r - r_mean) / r_mean
    k_i = (pa_i - pe) / (1 - pe)
    pi_w = (w @ pi + w.T @ pi) / 2
    pe_i = (c @ pi_w) / r_mean - pe * (r - r_mean) / r_mean
    x = k_i - 2 * (1 - alpha_prime) * (pe_i - pe) / (1 - pe)
    return _finish(alpha, pa, pe, x, f, int(n), population, centre=alpha_prime)


def conger_kappa(ratings: np.ndarray, q: int, w: np.ndarray, population: int | None = None,
                 f: np.ndarray | None = None) -> Estimate:
    """Conger's kappa (pairwise chance agreement averaged over raters); Cohen's for two."""
    x = np.asarray(ratings)
    f = np.ones(len(x)) if f is None else np.asarray(f, dtype=np.float64)
    keep = (x >= 0).any(axis=1)
    x, f = x[keep], f[keep]
    r = x.shape[1]
    n = float(f.sum())
    if r < 2 or n == 0:
        return UNDEFINED
    p = _parts(counts_from_ratings(x, q), w, f)
    if p is None:
        return UNDEFINED
    rated = x >= 0
    ng = f @ rated
    if np.any(ng == 0):
        return Estimate(None, p.pa, None, n_units=p.n2)
    onehot = (x[:, :, None] == np.arange(q)[None, None, :])
    pgk = np.einsum("u,ugk->gk", f, onehot) / ng[:, None]
    p_mean = pgk.mean(axis=0)
    s2 = (pgk.T @ pgk - r * np.outer(p_mean, p_mean)) / (r - 1)
    pe = float((w * (np.outer(p_mean, p_mean) - s2 / r)).sum())
    cgk = r * p_mean[None, :] - pgk          # (r, q)
    g_mat = cgk @ w                           # g_mat[g, l] = sum_k c_gk W_kl
    h = (g_mat * pgk).sum(axis=1)             # sum_kl c_gk W_kl p_gl
    first = np.where(rated, np.take_along_axis(g_mat.T, np.where(rated, x, 0), axis=0), 0.0)
    lam = (n / ng)[None, :] * (first - (rated - ng[None, :] / n) * h[None, :])
    pe_i = lam.sum(axis=1) / (r * (r - 1))
    return _chance_corrected(p, pe, pe_i, population)


def scott_pi(ratings: np.ndarray, q: int, w: np.ndarray, population: int | None = None,
             f: np.ndarray | None = None) -> Estimate:
    """Scott's pi for two raters: Fleiss' generalised kappa, to which it reduces (Gwet ch. 5)."""
    x = np.asarray(ratings)
    if x.shape[1] != 2:
        return UNDEFINED
    return fleiss_kappa(counts_from_ratings(x, q), w, population, f)


def cohen_kappa(ratings: np.ndarray, q: int, w: np.ndarray, population: int | None = None,
                f: np.ndarray | None = None) -> Estimate:
    """Cohen's kappa for two raters (Conger's kappa with two raters is Cohen's)."""
    x = np.asarray(ratings)
    if x.shape[1] != 2:
        return UNDEFINED
    return conger_kappa(x, q, w, population, f)


def bangdiwala_b(ratings: np.ndarray, q: int, population: int | None = None,
                 f: np.ndarray | None = None) -> Estimate:
    """Bangdiwala's B for two raters on the units both rated (unweighted).

    ``B = sum_k n_kk^2 / sum_k n_k+ n_+k``; its SE is the Taylor
    linearisation of that ratio, in the same form as Gwet's variances.
    """
    x = np.asarray(ratings)
    if x.shape[1] != 2:
        return UNDEFINED
    f = np.ones(len(x)) if f is None else np.asarray(f, dtype=np.float64)
    keep = (x >= 0).all(axis=1)
    x, f = x[keep], f[keep]
    n = float(f.sum())
    if n == 0 or q < 1:
        return UNDEFINED
    table = np.zeros((q, q))
    np.add.at(table, (x[:, 0], x[:, 1]), f)
    p = table / n
    rows, cols = p.sum(axis=1), p.sum(axis=0)
    diag = np.diag(p)
    d = float((rows * cols).sum())
    if d <= 0:
        return Estimate(None, n_units=int(n))
    b = float((diag**2).sum()) / d
    a_i = np.where(x[:, 0] == x[:, 1], 2 * diag[x[:, 0]], 0.0)
    z = (a_i - b * (cols[x[:, 0]] + rows[x[:, 1]])) / d
    est = _finish(b, float(diag.sum()), None, z, f, int(n), population,
                  centre=float(f @ z) / n)
    return Estimate(est.value, est.pa, None, est.se, est.ci95, est.p_value, int(n))


def estimates(
    *,
    q: int,
    weights: np.ndarray,
    ratings: np.ndarray | None = None,
    counts: np.ndarray | None = None,
    coefficients: tuple[str, ...] = COEFFICIENTS,
    population: int | None = None,
) -> dict[str, Estimate]:
    """Every requested coefficient of one set of ratings (or counts).

    Coefficients that need raters (Cohen, Scott, Conger, Bangdiwala) are left
    out when only ``counts`` are given; the two-rater ones when there are
    more than two raters.
    """
    w = np.asarray(weights, dtype=float)
    identity = np.eye(q)
    if ratings is not None:
        ratings, f = compress(ratings, q + 1)
        counts = counts_from_ratings(ratings, q)
    elif counts is not None:
        counts, f = compress(counts, int(np.max(counts, initial=0)) + 2)
    else:
        raise AgreementError("estimates needs ratings or counts")
    out: dict[str, Estimate] = {}
    for name in coefficients:
        if name in RATER_COEFFICIENTS:
            if ratings is None or (name in TWO_RATERS and ratings.shape[1] != 2):
                continue
            out[name] = _rater_coefficient(name, ratings, q, w, population, f)
            continue
        if name == "percent_agreement":
            out[name] = percent_agreement(counts, w, population, f)
        elif name == "fleiss_kappa":
            out[name] = fleiss_kappa(counts, w, population, f)
        elif name == "gwet_ac1":
            out[name] = gwet_ac(counts, identity, population, f)
        elif name == "gwet_ac2":
            out[name] = gwet_ac(counts, w, population, f)
        elif name == "brennan_prediger":
            out[name] = brennan_prediger(counts, w, population, f)
        elif name == "krippendorff_alpha":
            out[name] = krippendorff_alpha(counts, w, population, f)
    return out


def _rater_coefficient(name: str, ratings: np.ndarray, q: int, w: np.ndarray,
                       population: int | None, f: np.ndarray) -> Estimate:
    if name == "conger_kappa":
        return conger_kappa(ratings, q, w, population, f)
    if name == "cohen_kappa":
        return cohen_kappa(ratings, q, w, population, f)
    if name == "scott_pi":
        return scott_pi(ratings, q, w, population, f)
    return bangdiwala_b(ratings, q, population, f)
