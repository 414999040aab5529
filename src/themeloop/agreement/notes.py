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
        per_code[code] = {"reading": read_alpha(stats["krippendorff_alpha"]), "warnings": found}
    if block["n_units"] < min_units:
        warnings.insert(0, f"only {block['n_units']} units were coded by two or more coders "
                           f"(< {min_units}); treat every coefficient as a rough guide")
    complete = extra.get("fleiss_units_per_code")
    if complete is not None and complete < block["n_units"] and block["per_code"]:
        warnings.append(f"per-code Fleiss' kappa uses the {complete} units coded by every coder; "
                        "alpha and AC1 use all units coded by two or more")
    alpha_key = f"krippendorff_alpha_{level}"
    reading = {"krippendorff_alpha_masi": read_alpha(overall["krippendorff_alpha_masi"]),
               "mean_krippendorff_alpha": read_alpha(overall["mean_krippendorff_alpha"])}
    if extra["single_label"]:
        reading[alpha_key] = read_alpha(overall[alpha_key])
        if extra["fleiss_units"] is not None and extra["fleiss_units"] < block["n_units"]:
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
    }


def _fmt(value: float | None) -> str:
    return "undefined" if value is None else f"{value:.3f}"
