"""Agreement figures for the report: numbers, small-sample warnings and a plain reading.

Reads one question's entry of ``agreement.json`` (DESIGN.md's schema) or of
``agreement_model.json`` and returns an :class:`AgreementSection`. The reading
uses Krippendorff's (2004) conventions: alpha >= 0.800 supports conclusions,
0.667 <= alpha < 0.800 only tentative ones, anything lower none.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

from themeloop.report.charts import interval_chart
from themeloop.report.model import AgreementRow, AgreementSection, Metric

MIN_UNITS = 30     # fewer double-coded answers than this gives very wide intervals
MIN_POSITIVES = 5  # a code applied fewer times than this makes chance-corrected figures unstable
WIDE_CI = 0.4

OVERALL_NAMES = {
    "percent_agreement": "Percent agreement",
    "krippendorff_alpha_masi": "Krippendorff's alpha (MASI, sets of codes)",
    "mean_krippendorff_alpha": "Mean Krippendorff's alpha over codes",
    "krippendorff_alpha_nominal": "Krippendorff's alpha (nominal)",
    "krippendorff_alpha_ordinal": "Krippendorff's alpha (ordinal)",
    "krippendorff_alpha_interval": "Krippendorff's alpha (interval)",
    "krippendorff_alpha_ratio": "Krippendorff's alpha (ratio)",
    "fleiss_kappa": "Fleiss' kappa",
    "cohen_kappa": "Cohen's kappa",
    "gwet_ac1": "Gwet's AC1",
}


def number(value: Any, digits: int = 2) -> str:
    """A figure for a table cell: ``"n/a"`` for missing or non-finite values."""
    if isinstance(value, bool) or value is None:
        return "n/a"
    try:
        v = float(value)
    except (TypeError, ValueError):
        return "n/a"
    return f"{v:.{digits}f}" if math.isfinite(v) else "n/a"


def _float(value: Any) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        v = float(value)
    except (TypeError, ValueError):
        return None
    return v if math.isfinite(v) else None


def percent(value: Any) -> str:
    v = _float(value)
    return "n/a" if v is None else f"{100 * v:.0f}%"


def reading(alpha: float | None, low: float | None = None, what: str = "this code") -> str:
    """One sentence saying what an alpha (and the low end of its interval) means."""
    if alpha is None:
        return ("Not computable: there was no variation to agree on (the code was always, or "
                "never, applied); read percent agreement instead.")
    if alpha >= 0.8:
        text = f"Reliable: coders apply {what} consistently, well beyond chance."
    elif alpha >= 0.667:
        text = "Tentative: agreement supports only tentative conclusions; sharpen the definition."
    elif alpha > 0:
        text = (f"Unreliable: coders often disagree on {what}; revise the definitions and "
                "recode before drawing conclusions.")
    else:
        text = f"No better than chance: coders do not share an understanding of {what}."
    if low is not None and alpha >= 0.667 and low < 0.667:
        text += " The interval reaches below 0.667, so more double-coded answers are needed."
    return text


def code_warnings(entry: Mapping[str, Any], question_units: int | None = None) -> list[str]:
    """Small-sample warnings for one code's agreement entry.

    The "few units" warning is left out when it would only repeat the
    question's own (same number of units).
    """
    out: list[str] = [str(w) for w in entry.get("warnings") or []]
    n = entry.get("n_units")
    prevalence = _float(entry.get("prevalence"))
    ci = entry.get("alpha_ci95") or [None, None]
    lo, hi = (_float(ci[0]), _float(ci[1])) if len(ci) == 2 else (None, None)
    if isinstance(n, int) and n < MIN_UNITS and n != question_units:
        out.append(f"Only {n} answers were coded by more than one coder (fewer than "
                   f"{MIN_UNITS}); treat the figures as indicative.")
    if isinstance(n, int) and prevalence is not None:
        positives = round(prevalence * n)
        if positives < MIN_POSITIVES or n - positives < MIN_POSITIVES:
            which = "rare" if positives < MIN_POSITIVES else "almost always applied"
            out.append(f"The code is {which} ({percent(prevalence)} of answers): kappa and "
                       "alpha are unstable here; compare with percent agreement and AC1.")
    if lo is not None and hi is not None and hi - lo > WIDE_CI:
        out.append(f"The 95% interval is wide ({lo:.2f} to {hi:.2f}).")
    return out


def agreement_section(
    question: Mapping[str, Any],
    label: Callable[[str], str],
    *,
    title: str,
    order: list[str] = (),
) -> AgreementSection:
    """Build the agreement part of one question's report.

    Parameters
    ----------
    question : one entry of ``agreement.json``'s ``questions`` mapping.
    label : code id -> display label (from the codebook).
    title : the chart's title.
    order : code ids in display order (the codebook's); others follow, sorted.
    """
    per_code = question.get("per_code") or {}
    n_units = question.get("n_units")
    n_units = n_units if isinstance(n_units, int) and not isinstance(n_units, bool) else None
    rows: list[AgreementRow] = []
    marks: list[tuple[str, float | None, float | None, float | None]] = []
    codes = [c for c in order if c in per_code] + sorted(set(per_code) - set(order))
    for code in codes:
        entry = per_code[code] or {}
        alpha = _float(entry.get("krippendorff_alpha"))
        ci = list(entry.get("alpha_ci95") or [None, None]) + [None, None]
        lo, hi = _float(ci[0]), _float(ci[1])
        rows.append(AgreementRow(
            code=code, label=label(code), n_units=entry.get("n_units"),
            prevalence=percent(entry.get("prevalence")),
            percent_agreement=percent(entry.get("percent_agreement")),
            alpha=number(alpha), ci=f"{lo:.2f} to {hi:.2f}" if lo is not None and hi is not None
            else "n/a",
            kappa=number(entry.get("cohen_kappa") if entry.get("cohen_kappa") is not None
                         else entry.get("fleiss_kappa")),
            ac1=number(entry.get("gwet_ac1")), reading=reading(alpha, lo),
            warnings=code_warnings(entry, n_units),
        ))
        marks.append((label(code), alpha, lo, hi))
    overall = question.get("overall") or {}
    metrics = [Metric(OVERALL_NAMES.get(k, k.replace("_", " ")),
                      percent(v) if k == "percent_agreement" else number(v))
               for k, v in overall.items() if _float(v) is not None]
    chart = interval_chart(title, marks, x_label="Krippendorff's alpha (dot) with 95% "
                           "bootstrap interval") if marks else None
    warnings = [str(w) for w in question.get("warnings") or []]
    if n_units is not None and n_units < MIN_UNITS:
        warnings.append(f"Only {n_units} answers were coded by more than one coder; "
                        f"at least {MIN_UNITS} are advisable for stable agreement figures.")
    return AgreementSection(
        n_units=n_units,
        coders=[str(c) for c in question.get("coders") or []], overall=metrics, rows=rows,
        chart=chart, warnings=warnings, reading=_overall_reading(overall, rows),
    )


def _overall_reading(overall: Mapping[str, Any], rows: list[AgreementRow]) -> str:
    alpha = next((_float(overall[k]) for k in ("mean_krippendorff_alpha",
                  "krippendorff_alpha_masi", "krippendorff_alpha_nominal")
                  if _float(overall.get(k)) is not None), None)
    weak = [r.label for r in rows if r.alpha != "n/a" and float(r.alpha) < 0.667]
    text = (reading(alpha, what="the codes") if alpha is not None
            else "No overall coefficient was computed.")
    if weak:
        text += f" Codes below 0.667: {', '.join(weak)}."
    return text
