"""Benchmark scales for agreement coefficients, with Gwet's membership probabilities.

A coefficient of 0.67 with a standard error of 0.15 is not simply "good":
the true value could well lie in the band below. Gwet (2014, *Handbook of
Inter-Rater Reliability*, 4th ed., ch. 6) gives each band the probability
that the true coefficient lies in it, from the normal approximation
``N(estimate, se^2)`` truncated to [-1, 1], and retains the highest band
whose *cumulative* probability (from the top band down) reaches 0.95.
"""

from __future__ import annotations

from typing import Any

import numpy as np

# (band, lower bound) from the top; each band runs up to the bound above it (1 for the first).
SCALES: dict[str, tuple[tuple[str, float], ...]] = {
    "landis_koch": (("almost perfect", 0.8), ("substantial", 0.6), ("moderate", 0.4),
                    ("fair", 0.2), ("slight", 0.0), ("poor", -1.0)),
    "fleiss": (("excellent", 0.75), ("intermediate to good", 0.4), ("poor", -1.0)),
    "altman": (("very good", 0.8), ("good", 0.6), ("moderate", 0.4), ("fair", 0.2),
               ("poor", -1.0)),
}
SCALE_NAMES = {"landis_koch": "Landis-Koch", "fleiss": "Fleiss", "altman": "Altman"}
CERTAINTY = 0.95


def membership(estimate: float, se: float, scale: str) -> list[tuple[str, float, float]]:
    """``(band, probability, cumulative probability)`` for each band, top band first.

    Examples
    --------
    irrCAC's documented example (kappa 0.67, SE 0.15, Altman's scale):

    >>> [round(c, 5) for _, _, c in membership(0.67, 0.15, "altman")]
    [0.18168, 0.67511, 0.96356, 0.99912, 1.0]
    """
    from scipy.special import ndtr

    bands = SCALES[scale]
    lower = np.array([lo for _, lo in bands])
    upper = np.r_[1.0, lower[:-1]]
    if se <= 0:  # no uncertainty: all probability in the band holding the estimate
        prob = np.zeros(len(bands))
        prob[next((i for i, lo in enumerate(lower) if estimate >= lo), len(bands) - 1)] = 1.0
    else:
        total = ndtr((estimate + 1) / se) - ndtr((estimate - 1) / se)
        prob = (ndtr((estimate - lower) / se) - ndtr((estimate - upper) / se)) / total
    cumulative = np.cumsum(prob)
    return [(name, float(p), float(c)) for (name, _), p, c in zip(bands, prob, cumulative)]


def benchmark(estimate: float | None, se: float | None, scale: str) -> dict[str, Any] | None:
    """The band the estimate falls in and the band retained at 95% certainty.

    Returns ``{"band", "p", "band_95", "p_95", "probabilities"}``: ``band``
    holds the point estimate and ``p`` is the probability that the true
    value lies in it; ``band_95`` is Gwet's retained band (its cumulative
    probability ``p_95`` is the first to reach 0.95); ``probabilities`` maps
    every band to its own probability.
    """
    if estimate is None or se is None or not np.isfinite(se):
        return None
    rows = membership(estimate, se, scale)
    bands = SCALES[scale]
    at = next((i for i, (_, lo) in enumerate(bands) if estimate >= lo), len(bands) - 1)
    retained = next((i for i, (_, _, c) in enumerate(rows) if c >= CERTAINTY - 1e-12),
                    len(rows) - 1)
    return {"band": rows[at][0], "p": round(rows[at][1], 4),
            "band_95": rows[retained][0], "p_95": round(rows[retained][2], 4),
            "probabilities": {name: round(p, 4) for name, p, _ in rows}}


def reading(estimate: float | None, se: float | None, scale: str = "landis_koch") -> str:
    """A plain-language reading: ``"substantial (p = 0.82) on Landis-Koch"``.

    Examples
    --------
    >>> reading(0.67, 0.15, "altman")
    'good (p = 0.49) on Altman; at 95% certainty at least moderate'
    """
    found = benchmark(estimate, se, scale)
    if found is None:
        return "undefined"
    text = f"{found['band']} (p = {found['p']:.2f}) on {SCALE_NAMES[scale]}"
    if found["band_95"] != found["band"]:
        text += f"; at 95% certainty at least {found['band_95']}"
    return text
