"""Warnings and plain-language readings that go beside agreement.json.

agreement.json follows DESIGN.md key for key, so everything meant for a human
reader (small samples, the kappa paradox, what a value means) lives here and
is written to ``agreement_notes.json`` and printed on the terminal.
"""

from __future__ import annotations

from typing import Any

RELIABLE = 0.800
TENTATIVE = 0.667


def read_alpha(alpha: float | None) -> str:
    """Krippendorff's (2004) reading of alpha.

    Examples
    --------
    >>> [read_alpha(a) for a in (0.85, 0.7, 0.5, None)]
    ['reliable', 'tentative', 'unreliable', 'undefined']
    """
    if alpha is None:
        return "undefined"
    if alpha >= RELIABLE:
        return "reliable"
    if alpha >= TENTATIVE:
        return "tentative"
    return "unreliable"


READING_TEXT = {
    "reliable": "alpha >= .800: reliable",
    "tentative": ".667 <= alpha < .800: tentative conclusions only",
    "unreliable": "alpha < .667: unreliable",
    "undefined": "alpha undefined: no variation (every coder gave the same value throughout)",
}


def code_warnings(code: str, stats: dict[str, Any], min_units: int,
                  min_prevalence: float) -> list[str]:
    """Small-sample and kappa-paradox warnings for one code."""
    out = []
    n = stats["n_units"]
    if n < min_units:
        out.append(f"code '{code}': only {n} units (< {min_units}); the coefficients are "
                   "unstable, read the confidence interval")
    prevalence = stats["prevalence"] or 0.0
    if prevalence < min_prevalence or prevalence > 1 - min_prevalence:
        out.append(
            f"code '{code}': prevalence {prevalence:.1%} is extreme (kappa paradox: kappa and "
            f"alpha can be low while percent agreement is {_fmt(stats['percent_agreement'])}); "
            f"Gwet's AC1 is {_fmt(stats['gwet_ac1'])}"
        )
    return out


def question_notes(block: dict[str, Any], extra: dict[str, Any], level: str,
                   min_units: int, min_prevalence: float) -> dict[str, Any]:
    """Readings and warnings for one question's agreement block."""
    overall = block["overall"]
    per_code: dict[str, Any] = {}
    warnings: list[str] = []
    for code, stats in block["per_code"].items():
        found = code_warnings(code, stats, min_units, min_prevalence)
        warnings.extend(found)
        per_code[code] = {"reading": read_alpha(stats["krippendorff_alpha"]), "warnings": found,
                          "bands": band_readings(stats.get("coefficients"))}
    if block["n_units"] < min_units:
        warnings.insert(0, f"only {block['n_units']} units were coded by two or more coders "
                           f"(< {min_units}); treat every coefficient as a rough guide")
    complete = extra.get("fleiss_units_per_code")
    if extra.get("complete_cases"):
        if complete is not None and complete < block["n_units"] and block["per_code"]:
            warnings.append(f"per-code Fleiss' kappa uses the {complete} units coded by every "
                            "coder (--complete-cases); alpha and AC1 use all units coded by two "
                            "or more")
    elif extra.get("all_coders_units", block["n_units"]) < block["n_units"]:
        warnings.append(missing_note(block["n_units"], extra["all_coders_units"]))
    alpha_key = f"krippendorff_alpha_{level}"
    reading = {"krippendorff_alpha_masi": read_alpha(overall["krippendorff_alpha_masi"]),
               "mean_krippendorff_alpha": read_alpha(overall["mean_krippendorff_alpha"])}
    if extra["single_label"]:
        reading[alpha_key] = read_alpha(overall[alpha_key])
        if (extra.get("complete_cases") and extra["fleiss_units"] is not None
                and extra["fleiss_units"] < block["n_units"]):
            warnings.append(f"Fleiss' kappa uses the {extra['fleiss_units']} units coded by all "
                            "coders; the others have missing ratings")
    elif level != "nominal":
        warnings.append(f"--level {level} applies to single-label data only; this question has "
                        "several codes per coder and unit, so per-code (binary) alphas are nominal")
    return {
        "single_label": extra["single_label"],
        "cohen_kappa": extra["cohen_kappa"],
        "fleiss_units": extra["fleiss_units"],
        "reading": reading,
        "warnings": warnings,
        "per_code": per_code,
        "bands": band_readings(block.get("coefficients")),
        "deviations": list(extra.get("deviations", [])),
    }


def missing_note(n_units: int, all_coders: int) -> str:
    """Why the coefficients differ from a complete-case analysis."""
    return (f"{n_units - all_coders} of the {n_units} units coded by two or more coders were not "
            f"coded by every coder; every coefficient uses all {n_units} (Gwet's formulas for "
            f"missing ratings). --complete-cases keeps only the {all_coders} units every coder "
            "coded, as themeloop did before: Fleiss' kappa then differs most, since it used to "
            "leave the other units out")


def band_readings(family: dict[str, Any] | None, scale: str = "landis_koch") -> dict[str, str]:
    """Each coefficient's benchmark reading, e.g. ``"substantial (p = 0.82) on Landis-Koch"``."""
    from themeloop.agreement.benchmarks import SCALE_NAMES

    if not family:
        return {}
    out = {}
    for name, entry in family.items():
        if not isinstance(entry, dict) or "benchmarks" not in entry:
            continue
        found = entry["benchmarks"].get(scale)
        if found is None:
            out[name] = "undefined"
            continue
        text = f"{found['band']} (p = {found['p']:.2f}) on {SCALE_NAMES[scale]}"
        if found["band_95"] != found["band"]:
            text += f"; at 95% certainty at least {found['band_95']}"
        out[name] = text
    return out


def _fmt(value: float | None) -> str:
    return "undefined" if value is None else f"{value:.3f}"
