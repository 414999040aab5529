"""Flat views of an agreement report: the ``--csv`` table and the terminal rows."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

OVERALL = "(overall)"
PER_CODE_KEYS = ("n_units", "prevalence", "percent_agreement", "cohen_kappa", "fleiss_kappa",
                 "krippendorff_alpha", "gwet_ac1", "brennan_prediger")


def flat_table(result: dict[str, Any], notes: dict[str, Any]) -> pd.DataFrame:
    """One row per question and code, plus an ``(overall)`` row per question.

    The overall row carries the question-level coefficients, including
    Cohen's kappa over the categories when the data are single-label and
    exactly two coders took part (agreement.json has no key for it).
    """
    import pandas as pd

    rows: list[dict[str, Any]] = []
    for qid, block in result["questions"].items():
        qnotes = notes.get("questions", {}).get(qid, {})
        overall = {"question": qid, "code": OVERALL, "n_units": block["n_units"],
                   "n_coders": len(block["coders"]), **block["overall"],
                   "cohen_kappa": qnotes.get("cohen_kappa"),
                   "reading": _first_reading(qnotes.get("reading", {})),
                   "warnings": " | ".join(qnotes.get("warnings", []))}
        rows.append({**overall, **family_columns(block.get("coefficients"))})
        for code, stats in block["per_code"].items():
            ci = stats["alpha_ci95"] or [None, None]
            cnotes = qnotes.get("per_code", {}).get(code, {})
            rows.append({"question": qid, "code": code, "n_coders": len(block["coders"]),
                         **{k: stats[k] for k in PER_CODE_KEYS},
                         "alpha_ci95_low": ci[0], "alpha_ci95_high": ci[1],
                         **family_columns(stats.get("coefficients")),
                         "reading": cnotes.get("reading"),
                         "warnings": " | ".join(cnotes.get("warnings", []))})
    frame = pd.DataFrame(rows)
    first = ["question", "code", "n_units", "n_coders", "prevalence", "percent_agreement",
             "cohen_kappa", "fleiss_kappa", "krippendorff_alpha", "alpha_ci95_low",
             "alpha_ci95_high", "gwet_ac1", "brennan_prediger"]
    ordered = [c for c in first if c in frame.columns]
    ordered += [c for c in frame.columns if c not in ordered and c not in ("reading", "warnings")]
    return frame[[*ordered, "reading", "warnings"]]


FAMILY_FIELDS = (("est", "estimate"), ("se", "se"), ("ci_low", None), ("ci_high", None),
                 ("p", "p_value"), ("pa", "pa"), ("pe", "pe"))


def family_columns(family: dict[str, Any] | None) -> dict[str, Any]:
    """Flat columns for SPSS/R: ``<coefficient>_est``, ``_se``, ``_ci_low``, ``_ci_high``,
    ``_p``, ``_pa``, ``_pe`` and ``_landis_koch`` (the band holding the estimate)."""
    out: dict[str, Any] = {}
    if not family:
        return out
    out["cac_weights"] = family.get("weights")
    out["cac_missing"] = family.get("missing")
    for name, entry in family.items():
        if not isinstance(entry, dict) or "estimate" not in entry:
            continue
        ci = entry.get("ci95") or [None, None]
        for suffix, key in FAMILY_FIELDS:
            value = ci[0] if suffix == "ci_low" else ci[1] if suffix == "ci_high" else entry[key]
            out[f"{name}_{suffix}"] = value
        band = (entry.get("benchmarks") or {}).get("landis_koch")
        out[f"{name}_landis_koch"] = None if band is None else band["band"]
    return out


def _first_reading(reading: dict[str, str]) -> str | None:
    """The reading of the headline alpha: the level's alpha for single-label data, else MASI."""
    level = [k for k in reading if k not in ("krippendorff_alpha_masi", "mean_krippendorff_alpha")]
    key = level[0] if level else "krippendorff_alpha_masi"
    return reading.get(key)
