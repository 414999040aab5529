"""Agreement figures for the report: numbers, small-sample warnings and a plain reading.

Reads one question's entry of ``agreement.json`` (DESIGN.md's schema) or of
``agreement_model.json`` and returns an :class:`AgreementSection`. The reading
uses Krippendorff's (2004) conventions: alpha >= 0.800 supports conclusions,
0.667 <= alpha < 0.800 only tentative ones, anything lower none.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from themeloop.report.charts import interval_chart
from themeloop.report.model import (
    AgreementRow,
    AgreementSection,
    CoderDiagnostics,
    CoderRow,
    CoefficientRow,
    Comparison,
    ConsensusRow,
    DriftRow,
    Metric,
    ModelAgreementSection,
    PrevalenceCell,
)

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
COEFFICIENT_NAMES = {
    "percent_agreement": "Percent agreement", "cohen_kappa": "Cohen's kappa",
    "scott_pi": "Scott's pi", "fleiss_kappa": "Fleiss' kappa", "conger_kappa": "Conger's kappa",
    "gwet_ac1": "Gwet's AC1", "gwet_ac2": "Gwet's AC2", "brennan_prediger": "Brennan-Prediger",
    "krippendorff_alpha": "Krippendorff's alpha", "bangdiwala_b": "Bangdiwala's B",
}
BAND_SCALE = "landis_koch"


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
    order: Sequence[str] = (),
    notes: Mapping[str, Any] | None = None,
) -> AgreementSection:
    """Build the agreement part of one question's report.

    Parameters
    ----------
    question : one entry of ``agreement.json``'s ``questions`` mapping.
    label : code id -> display label (from the codebook).
    title : the chart's title.
    order : code ids in display order (the codebook's); others follow, sorted.
    notes : the question's entry of ``agreement_notes.json``; its warnings
        (made with the project's thresholds) replace the report's own.
    """
    note_codes = (notes or {}).get("per_code") or {}
    per_code = question.get("per_code") or {}
    n_units = question.get("n_units")
    n_units = n_units if isinstance(n_units, int) and not isinstance(n_units, bool) else None
    rows: list[AgreementRow] = []
    marks: list[tuple[str, list[tuple[float | None, float | None, float | None]]]] = []
    codes = [c for c in order if c in per_code] + sorted(set(per_code) - set(order))
    for code in codes:
        entry = per_code[code] or {}
        alpha = _float(entry.get("krippendorff_alpha"))
        ci = [*list(entry.get("alpha_ci95") or [None, None]), None, None]
        lo, hi = _float(ci[0]), _float(ci[1])
        fam_alpha = ((entry.get("coefficients") or {}).get("krippendorff_alpha") or {})
        band = band_text(fam_alpha)
        rows.append(AgreementRow(
            se=number(fam_alpha.get("se"), 3), band=band,
            code=code, label=label(code), n_units=entry.get("n_units"),
            prevalence=percent(entry.get("prevalence")),
            percent_agreement=percent(entry.get("percent_agreement")),
            alpha=number(alpha), ci=f"{lo:.2f} to {hi:.2f}" if lo is not None and hi is not None
            else "n/a",
            kappa=number(entry.get("cohen_kappa") if entry.get("cohen_kappa") is not None
                         else entry.get("fleiss_kappa")),
            ac1=number(entry.get("gwet_ac1")),
            reading=reading(alpha, lo) + (f" Alpha is {band}." if band else ""),
            warnings=[str(w) for w in note_codes[code].get("warnings") or []]
            if code in note_codes else code_warnings(entry, n_units),
        ))
        marks.append((label(code), [(alpha, lo, hi)]))
    overall = question.get("overall") or {}
    metrics = [Metric(OVERALL_NAMES.get(k, k.replace("_", " ")),
                      percent(v) if k == "percent_agreement" else number(v))
               for k, v in overall.items() if _float(v) is not None]
    chart = interval_chart(title, marks, x_label="Krippendorff's alpha (dot) with 95% "
                           "bootstrap interval") if marks else None
    warnings = [str(w) for w in question.get("warnings") or []]
    if notes is not None:
        per_code_warnings = {str(w) for r in rows for w in r.warnings}
        warnings += [str(w) for w in notes.get("warnings") or [] if str(w) not in per_code_warnings]
    elif n_units is not None and n_units < MIN_UNITS:
        warnings.append(f"Only {n_units} answers were coded by more than one coder; "
                        f"at least {MIN_UNITS} are advisable for stable agreement figures.")
    family = question.get("coefficients")
    text = _overall_reading(overall, rows)
    headline = (family or {}).get("krippendorff_alpha") or {}
    if band_text(headline):
        text += f" Over the categories, Krippendorff's alpha is {band_text(headline)}."
    return AgreementSection(
        n_units=n_units,
        coders=[str(c) for c in question.get("coders") or []], overall=metrics, rows=rows,
        chart=chart, warnings=warnings, reading=text,
        coefficients=coefficient_rows(family),
        coefficients_note=_family_note(family),
        diagnostics=coder_diagnostics(question.get("diagnostics"), label, codes),
    )


def band_text(entry: Mapping[str, Any], scale: str = BAND_SCALE) -> str:
    """``"substantial (p = 0.82) on Landis-Koch"`` from a coefficient's benchmarks ('' if none)."""
    from themeloop.agreement.benchmarks import SCALE_NAMES

    found = (entry.get("benchmarks") or {}).get(scale) if entry else None
    if not found:
        return ""
    text = f"{found['band']} (p = {found['p']:.2f}) on {SCALE_NAMES[scale]}"
    if found.get("band_95") and found["band_95"] != found["band"]:
        text += f"; at 95% certainty at least {found['band_95']}"
    return text


def coefficient_rows(family: Mapping[str, Any] | None) -> list[CoefficientRow]:
    """The question-level coefficient family (single-label questions) as table rows."""
    rows: list[CoefficientRow] = []
    for name, entry in (family or {}).items():
        if not isinstance(entry, Mapping) or "estimate" not in entry:
            continue
        ci = entry.get("ci95") or [None, None]
        lo, hi = _float(ci[0]), _float(ci[1])
        p = _float(entry.get("p_value"))
        rows.append(CoefficientRow(
            name=COEFFICIENT_NAMES.get(name, name), estimate=number(entry.get("estimate"), 3),
            se=number(entry.get("se"), 3),
            ci=f"{lo:.2f} to {hi:.2f}" if lo is not None and hi is not None else "n/a",
            p_value="n/a" if p is None else ("< 0.001" if p < 0.001 else f"{p:.3f}"),
            pa=number(entry.get("pa"), 3), pe=number(entry.get("pe"), 3),
            band=band_text(entry) or "n/a"))
    return rows


def _family_note(family: Mapping[str, Any] | None) -> str:
    if not family:
        return ""
    missing = ("only the answers every coder coded (complete cases)"
               if family.get("missing") == "complete_cases"
               else "every answer coded by two or more coders (Gwet's missing-data formulas)")
    return (f"Over the categories, {family.get('weights', 'identity')} weights, using {missing}. "
            "SE and 95% CI are Gwet's analytic ones; p tests agreement against zero; the band "
            "is the Landis-Koch band holding the estimate, with the probability that the true "
            "value lies in it (Gwet 2014, ch. 6).")


def coder_diagnostics(diag: Mapping[str, Any] | None, label: Callable[[str], str],
                      codes: Sequence[str]) -> CoderDiagnostics | None:
    """Pairwise matrix, consensus, prevalence bias and drift, named by coder and code."""
    from themeloop.agreement.diagnostics import deviations

    if not diag:
        return None
    pair = diag.get("pairwise") or {}
    coders = [str(c) for c in pair.get("coders") or []]
    matrix = [[number(v) for v in row] for row in pair.get("cohen_kappa") or []]
    consensus = []
    for coder, entry in (diag.get("consensus") or {}).items():
        kappas = [(v.get("cohen_kappa"), c) for c, v in (entry.get("per_code") or {}).items()
                  if v.get("cohen_kappa") is not None]
        weakest = ", ".join(f"{label(c)} ({k:.2f})" for k, c in sorted(kappas)[:2]) or "n/a"
        consensus.append(ConsensusRow(coder=str(coder), n_units=int(entry.get("n_units") or 0),
                                      kappa=number(entry.get("cohen_kappa")),
                                      agreement=percent(entry.get("percent_agreement")),
                                      weakest=weakest))
    prevalence = []
    for coder, entry in (diag.get("prevalence") or {}).items():
        per = entry.get("per_code") or {}
        cells = []
        for c in codes:
            s = per.get(c) or {}
            diff = _float(s.get("difference"))
            cells.append(PrevalenceCell(value=percent(s.get("prevalence")),
                                        difference="" if diff is None else f"{100 * diff:+.0f}",
                                        flag=bool(s.get("flag"))))
        prevalence.append(CoderRow(coder=str(coder), cells=cells))
    drift_block = diag.get("drift") or {}
    drift = [DriftRow(batch=int(b["batch"]), period=_period(b.get("from"), b.get("to")),
                      n_units=int(b.get("n_units") or 0),
                      agreement=percent(b.get("percent_agreement")),
                      alpha=number(b.get("krippendorff_alpha")))
             for b in drift_block.get("batches") or []]
    by_coder = [CoderRow(coder=str(coder), cells=[
        PrevalenceCell(value=percent(b.get("agreement_with_others")), difference="", flag=False)
        for b in batches]) for coder, batches in (drift_block.get("per_coder") or {}).items()]
    return CoderDiagnostics(
        coders=coders, pairwise=matrix, consensus=consensus,
        codes=[label(c) for c in codes], prevalence=prevalence, drift=drift,
        drift_by_coder=by_coder,
        findings=deviations(dict(diag), label=lambda c: f"\u201c{label(c)}\u201d"),
    )


def _period(start: Any, end: Any) -> str:
    if not start:
        return "n/a"
    a, b = str(start)[:16].replace("T", " "), str(end or start)[:16].replace("T", " ")
    return a if a == b else f"{a} to {b}"


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


def _mean(values: list[float | None]) -> float | None:
    kept = [v for v in values if v is not None]
    return sum(kept) / len(kept) if kept else None


def _pair_alpha(pairs: list[Mapping[str, Any]], code: str) -> float | None:
    return _mean([_float(((p.get("per_code") or {}).get(code) or {}).get("krippendorff_alpha"))
                  for p in pairs])


def _gap(human: float | None, model: float | None) -> str:
    return "n/a" if human is None or model is None else f"{model - human:+.2f}"


def model_section(
    question: Mapping[str, Any],
    label: Callable[[str], str],
    *,
    title: str,
    order: Sequence[str] = (),
) -> ModelAgreementSection:
    """The model-versus-human part of a question (one entry of ``agreement_model.json``).

    Figures are means over coder pairs: each model with each human coder,
    beside each pair of human coders, as ``model_vs_human`` computes them.
    """
    human_pairs = list(question.get("human_pairs") or [])
    model_pairs = list(question.get("model_pairs") or [])
    summary = question.get("summary") or {}
    hh, mh = summary.get("human_human") or {}, summary.get("model_human") or {}
    rows = [Comparison(OVERALL_NAMES.get(k, k), k,
                       percent(hh.get(k)) if k == "percent_agreement" else number(hh.get(k)),
                       percent(mh.get(k)) if k == "percent_agreement" else number(mh.get(k)),
                       _gap(_float(hh.get(k)), _float(mh.get(k))))
            for k in ("percent_agreement", "krippendorff_alpha_masi", "mean_krippendorff_alpha")]
    # A code only the model used (a theme that never became a codebook code)
    # has nothing to be compared with; it is named, not charted.
    seen = {c for p in human_pairs for c in (p.get("per_code") or {})}
    model_only = sorted({c for p in model_pairs for c in (p.get("per_code") or {})} - seen)
    codes = [c for c in order if c in seen] + sorted(seen - set(order))
    per_code, marks = [], []
    for code in codes:
        h, m = _pair_alpha(human_pairs, code), _pair_alpha(model_pairs, code)
        per_code.append(Comparison(label(code), code, number(h), number(m), _gap(h, m)))
        marks.append((label(code), [(h, None, None), (m, None, None)]))
    chart = interval_chart(title, marks, series=["coder with coder", "model with coder"],
                           x_label="Krippendorff's alpha, mean over pairs") if marks else None
    return ModelAgreementSection(
        model_coders=[str(c) for c in question.get("model_coders") or []],
        human_coders=[str(c) for c in question.get("human_coders") or []],
        pairs=f"{len(model_pairs)} model-coder pair{'s' if len(model_pairs) != 1 else ''}, "
              f"{len(human_pairs)} coder-coder pair{'s' if len(human_pairs) != 1 else ''}",
        summary=rows, per_code=per_code, chart=chart, model_only=model_only,
        reading=_model_reading(_float(hh.get("krippendorff_alpha_masi")),
                               _float(mh.get("krippendorff_alpha_masi"))),
    )


def _model_reading(human: float | None, model: float | None) -> str:
    if model is None:
        return "The model's agreement with the coders could not be computed."
    if human is None:
        return f"The model's suggestions agree with the coders at alpha {model:.2f}."
    gap = model - human
    if abs(gap) < 0.05:
        verdict = "about as well as the coders agree with each other"
    elif gap < 0:
        verdict = "less well than the coders agree with each other"
    else:
        verdict = "better than the coders agree with each other"
    return (f"The model's suggestions agree with the coders {verdict} (alpha {model:.2f} "
            f"against {human:.2f}). Treat them as suggestions: coders decide.")
