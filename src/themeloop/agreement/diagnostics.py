"""Per-coder diagnostics: what an analyst acts on when agreement is low.

For one question (a :class:`~themeloop.agreement.ratings.Ratings`), per code
as a yes/no decision:

- ``pairwise``: a coder x coder matrix of Cohen's kappa and Krippendorff's
  alpha (mean over codes; per code for alpha), on the units both coded;
- ``consensus``: each coder against the majority of the *other* coders
  (units where the others tie are left out for that code);
- ``prevalence``: how often each coder applies each code, beside the other
  coders on the same units, as a bias index (difference and paired z);
- ``drift``: agreement in the order the answers were coded, by batch, from
  the coding table's ``timestamp`` (per question, and per coder in that
  coder's own order).

Everything is vectorised over codes, so 20 codes and 100,000 units cost a
few array passes per coder.
"""

from __future__ import annotations

from collections.abc import Callable
from itertools import combinations
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    import pandas as pd

    from themeloop.agreement.ratings import Ratings

BIAS_Z = 1.96          # a coder's prevalence differs from the others' beyond chance ...
BIAS_DIFFERENCE = 0.05  # ... and by at least 5 percentage points
CONSENSUS_GAP = 0.2     # a coder's kappa with the others' consensus this far below the median
DRIFT_DROP = 0.1        # agreement in the last batch this far below the first: drift


def _r(value: float | None, digits: int = 6) -> float | None:
    return None if value is None or not np.isfinite(value) else round(float(value), digits)


def _binary_kappa(a: np.ndarray, b: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Cohen's kappa per column of 0/1 arrays ``a``, ``b`` over rows where ``mask``."""
    m = mask.sum(axis=0).astype(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        po = ((a == b) & mask).sum(axis=0) / m
        pa = (a & mask).sum(axis=0) / m
        pb = (b & mask).sum(axis=0) / m
        pe = pa * pb + (1 - pa) * (1 - pb)
        kappa = (po - pe) / (1 - pe)
    return np.where((m >= 2) & (pe < 1 - 1e-12), kappa, np.nan)


def _binary_alpha_pair(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Krippendorff's nominal alpha per column for two coders, no missing values."""
    m = a.shape[0]
    if m < 2:
        return np.full(a.shape[1], np.nan)
    disagree = (a != b).mean(axis=0)
    pi = (a.sum(axis=0) + b.sum(axis=0)) / (2.0 * m)
    expected = 2 * pi * (1 - pi) * (2 * m) / (2 * m - 1)
    with np.errstate(divide="ignore", invalid="ignore"):
        alpha = 1 - disagree / expected
    return np.where(expected > 0, alpha, np.nan)


def _nanmean(values: np.ndarray) -> float | None:
    finite = values[np.isfinite(values)]
    return float(finite.mean()) if len(finite) else None


def _coder_matrix(ratings: Ratings) -> tuple[np.ndarray, np.ndarray]:
    """``rated (n_units, n_coders)`` and ``present (n_units, n_coders, n_codes)``."""
    index = ratings.by_coder()
    rated = index >= 0
    present = np.zeros((*index.shape, len(ratings.codes)), dtype=bool)
    present[rated] = ratings.presence[index[rated]]
    return rated, present


def pairwise(ratings: Ratings, rated: np.ndarray, present: np.ndarray) -> dict[str, Any]:
    """Coder x coder kappa and alpha (means over codes), and alpha per code."""
    k = len(ratings.coders)
    kappa = np.full((k, k), np.nan)
    alpha = np.full((k, k), np.nan)
    units = np.zeros((k, k), dtype=int)
    per_code = np.full((len(ratings.codes), k, k), np.nan)
    for i, j in combinations(range(k), 2):
        both = rated[:, i] & rated[:, j]
        a, b = present[both, i], present[both, j]
        kap = _binary_kappa(a, b, np.ones_like(a, dtype=bool))
        alp = _binary_alpha_pair(a, b)
        per_code[:, i, j] = per_code[:, j, i] = alp
        kappa[i, j] = kappa[j, i] = _nanmean(kap) if _nanmean(kap) is not None else np.nan
        alpha[i, j] = alpha[j, i] = _nanmean(alp) if _nanmean(alp) is not None else np.nan
        units[i, j] = units[j, i] = int(both.sum())
    np.fill_diagonal(kappa, 1.0)
    np.fill_diagonal(alpha, 1.0)
    np.fill_diagonal(units, rated.sum(axis=0))

    def grid(m: np.ndarray) -> list[list[float | None]]:
        return [[_r(v) for v in row] for row in m]

    return {"coders": list(ratings.coders), "cohen_kappa": grid(kappa),
            "krippendorff_alpha": grid(alpha), "n_units": units.tolist(),
            "per_code": {code: grid(per_code[c]) for c, code in enumerate(ratings.codes)}}


def _others(rated: np.ndarray, present: np.ndarray, g: int) -> tuple[np.ndarray, np.ndarray]:
    """Units coded by ``g`` and another coder, and the others' mean presence there."""
    others_n = rated.sum(axis=1) - rated[:, g]
    keep = rated[:, g] & (others_n >= 1)
    others_k = present.sum(axis=1) - present[:, g, :]
    with np.errstate(divide="ignore", invalid="ignore"):
        share = others_k[keep] / others_n[keep, None]
    return keep, share


def consensus(ratings: Ratings, rated: np.ndarray, present: np.ndarray) -> dict[str, Any]:
    """Each coder against the majority of the other coders, per code and on average."""
    out: dict[str, Any] = {}
    for g, coder in enumerate(ratings.coders):
        keep, share = _others(rated, present, g)
        mine = present[keep, g, :]
        decided = share != 0.5
        majority = share > 0.5
        kappa = _binary_kappa(mine, majority, decided)
        with np.errstate(invalid="ignore"):
            agree = ((mine == majority) & decided).sum(axis=0) / np.maximum(decided.sum(axis=0), 1)
        out[coder] = {
            "n_units": int(keep.sum()),
            "cohen_kappa": _r(_nanmean(kappa)),
            "percent_agreement": _r(float(agree.mean())) if len(agree) else None,
            "per_code": {code: {"cohen_kappa": _r(kappa[c]), "percent_agreement": _r(agree[c])}
                         for c, code in enumerate(ratings.codes)},
        }
    return out


def prevalence(ratings: Ratings, rated: np.ndarray, present: np.ndarray) -> dict[str, Any]:
    """Each coder's prevalence per code beside the others' on the same units (bias index).

    ``difference`` is the coder's prevalence minus the other coders' mean
    prevalence on the answers they share. The flag tests the coder against
    the *majority* of the others instead (paired z over the answers where
    they do not tie): one biased coder among three then does not make the
    two others look biased the opposite way.
    """
    out: dict[str, Any] = {}
    for g, coder in enumerate(ratings.coders):
        keep, share = _others(rated, present, g)
        mine = present[keep, g, :].astype(float)
        per_code: dict[str, Any] = {}
        if len(mine):
            decided = share != 0.5
            gap = np.where(decided, mine - (share > 0.5), 0.0)
            m = decided.sum(axis=0).astype(float)
            with np.errstate(divide="ignore", invalid="ignore"):
                mean = gap.sum(axis=0) / m
                var = (np.where(decided, (gap - mean) ** 2, 0.0).sum(axis=0) / (m - 1))
                z = np.where((m > 1) & (var > 0), mean / np.sqrt(var / m), 0.0)
            difference = mine.mean(axis=0) - share.mean(axis=0)
            for c, code in enumerate(ratings.codes):
                flag = bool(abs(z[c]) >= BIAS_Z and abs(difference[c]) >= BIAS_DIFFERENCE
                            and np.sign(mean[c]) == np.sign(difference[c]))
                per_code[code] = {"prevalence": _r(mine[:, c].mean()),
                                  "others": _r(share[:, c].mean()),
                                  "difference": _r(difference[c]), "z": _r(z[c], 3),
                                  "flag": flag}
        out[coder] = {"n_units": len(mine), "per_code": per_code}
    return out


def judgement_times(rows: pd.DataFrame, ratings: Ratings) -> np.ndarray | None:
    """Seconds since the epoch of each judgement (its earliest row), or None without timestamps."""
    import pandas as pd

    if "timestamp" not in rows.columns:
        return None
    stamps = pd.to_datetime(rows["timestamp"].replace("", None), utc=True, errors="coerce",
                            format="ISO8601")
    if stamps.isna().all():
        return None
    unit = pd.Index(ratings.units).get_indexer(rows["response_id"])
    coder = pd.Index(ratings.coders).get_indexer(rows["coder"].astype(str))
    key = unit.astype(np.int64) * len(ratings.coders) + coder
    seconds = (stamps - pd.Timestamp("1970-01-01", tz="UTC")).dt.total_seconds().to_numpy()
    frame = pd.DataFrame({"key": key, "t": seconds}).groupby("key")["t"].min()
    keys = ratings.unit.astype(np.int64) * len(ratings.coders) + ratings.coder
    return frame.reindex(keys).to_numpy(dtype=float)


def _iso(seconds: float) -> str | None:
    import pandas as pd

    if not np.isfinite(seconds):
        return None
    return pd.Timestamp(seconds, unit="s", tz="UTC").strftime("%Y-%m-%dT%H:%M:%SZ")


def _batch_stats(rated: np.ndarray, present: np.ndarray) -> tuple[float | None, float | None]:
    """Pairwise percent agreement and Krippendorff's alpha (means over codes) of some units."""
    from themeloop.agreement.coefficients import binary_alpha_point

    n = rated.sum(axis=1).astype(float)
    k = present.sum(axis=1).astype(float)
    keep = n >= 2
    if not keep.any():
        return None, None
    n, k = n[keep], k[keep]
    agree = (k * (k - 1) + (n[:, None] - k) * (n[:, None] - k - 1)) / (n * (n - 1))[:, None]
    alphas = np.array([binary_alpha_point(n, k[:, c]) for c in range(k.shape[1])], dtype=float)
    return float(agree.mean()), _nanmean(alphas)


def drift(ratings: Ratings, rated: np.ndarray, present: np.ndarray, times: np.ndarray | None,
          batches: int) -> dict[str, Any] | None:
    """Agreement by batch, in the order answers were coded (None without timestamps)."""
    if times is None or batches < 1:
        return None
    unit_time = np.full(rated.shape, np.nan)
    unit_time[ratings.unit, ratings.coder] = times
    with np.errstate(all="ignore"):
        last = np.where(rated.sum(axis=1) >= 2,
                        np.nanmax(np.where(rated, unit_time, -np.inf), axis=1), np.nan)
    order = np.flatnonzero(np.isfinite(last))
    order = order[np.argsort(last[order], kind="stable")]
    rows = []
    for i, part in enumerate(np.array_split(order, min(batches, max(len(order), 1)))):
        if len(part) == 0:
            continue
        pa, alpha = _batch_stats(rated[part], present[part])
        rows.append({"batch": i + 1, "from": _iso(last[part].min()), "to": _iso(last[part].max()),
                     "n_units": len(part), "percent_agreement": _r(pa),
                     "krippendorff_alpha": _r(alpha)})
    per_coder: dict[str, Any] = {}
    for g, coder in enumerate(ratings.coders):
        keep, share = _others(rated, present, g)
        idx = np.flatnonzero(keep)
        t = unit_time[idx, g]
        ok = np.isfinite(t)
        idx, share, t = idx[ok], share[ok], t[ok]
        sort = np.argsort(t, kind="stable")
        coder_rows = []
        for i, part in enumerate(np.array_split(sort, min(batches, max(len(sort), 1)))):
            if len(part) == 0:
                continue
            mine = present[idx[part], g, :]
            decided = share[part] != 0.5
            match = ((mine == (share[part] > 0.5)) & decided).sum() / max(decided.sum(), 1)
            coder_rows.append({"batch": i + 1, "from": _iso(t[part].min()),
                               "to": _iso(t[part].max()), "n_units": len(part),
                               "agreement_with_others": _r(float(match))})
        per_coder[coder] = coder_rows
    return {"order": "time each answer was last coded", "batches": rows, "per_coder": per_coder}


def diagnostics(ratings: Ratings, times: np.ndarray | None, batches: int) -> dict[str, Any]:
    """Every per-coder diagnostic of one question (the ``diagnostics`` key of agreement.json)."""
    rated, present = _coder_matrix(ratings)
    return {
        "pairwise": pairwise(ratings, rated, present),
        "consensus": consensus(ratings, rated, present),
        "prevalence": prevalence(ratings, rated, present),
        "drift": drift(ratings, rated, present, times, batches),
    }


def deviations(diag: dict[str, Any], label: Callable[[str], str] = repr) -> list[str]:
    """Plain-language findings naming the coder and the codes where they deviate.

    ``label`` turns a code id into its display form (default: the id in quotes).
    """
    out: list[str] = []
    for coder, entry in diag["prevalence"].items():
        flagged = [(code, s) for code, s in entry["per_code"].items() if s["flag"]]
        for code, s in sorted(flagged, key=lambda cs: -abs(cs[1]["difference"])):
            more = "more" if s["difference"] > 0 else "less"
            out.append(f"{coder} applies {label(code)} {more} often than the other coders "
                       f"({s['prevalence']:.0%} against {s['others']:.0%} of the same answers, "
                       f"z = {s['z']:.1f})")
    if not out:
        gaps = [(abs(s["difference"]), coder, code, s) for coder, e in diag["prevalence"].items()
                for code, s in e["per_code"].items() if s["difference"] is not None]
        if gaps:
            _, coder, code, s = max(gaps, key=lambda g: (g[0], g[1], g[2]))
            more = "more" if s["difference"] > 0 else "less"
            out.append(f"no coder's prevalence differs from the others' beyond chance; the "
                       f"largest gap is {coder} applying {label(code)} {more} often "
                       f"({s['prevalence']:.0%} against {s['others']:.0%}, z = {s['z']:.1f})")
    kappas = {c: e["cohen_kappa"] for c, e in diag["consensus"].items()
              if e["cohen_kappa"] is not None}
    if len(kappas) >= 3:
        median = float(np.median(list(kappas.values())))
        for coder, value in kappas.items():
            if value < median - CONSENSUS_GAP:
                worst = sorted(((s["cohen_kappa"], code) for code, s in
                                diag["consensus"][coder]["per_code"].items()
                                if s["cohen_kappa"] is not None))[:3]
                out.append(f"{coder} agrees least with the others' consensus (kappa {value:.2f} "
                           f"against a median of {median:.2f}); lowest on "
                           + ", ".join(f"{label(code)} ({k:.2f})" for k, code in worst))
    drift_block = diag.get("drift")
    if drift_block and len(drift_block["batches"]) >= 2:
        first, last = drift_block["batches"][0], drift_block["batches"][-1]
        if (first["percent_agreement"] is not None and last["percent_agreement"] is not None
                and last["percent_agreement"] < first["percent_agreement"] - DRIFT_DROP):
            out.append(f"agreement fell from {first['percent_agreement']:.0%} in the first batch "
                       f"to {last['percent_agreement']:.0%} in the last: coders may be drifting "
                       "from the codebook")
    return out
