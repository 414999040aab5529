"""The report's model section: how far the autocoder's codes can be trusted, per question.

It reads only the autocode stage's public results: ``agreement_model.json``
(model-vs-human beside human-human, the learning curve, human-only codes),
``review.csv`` (answers flagged for review) and ``model_bias.json`` (error
rates across groups), and returns an :class:`AutocodeSection`. A project whose
run has none of them gets no section.

``agreement_model.json`` has had two shapes: the autocode stage's (a
``floor`` and per question ``model_human``) and, before it, the theme
suggestions' pairs (``model_pairs``, read by
:func:`themeloop.report.reliability.model_section`). :func:`is_autocode` tells
them apart.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import pandas as pd

from themeloop.report.charts import interval_chart, line_chart
from themeloop.report.model import (
    AutocodeSection,
    BiasRow,
    Comparison,
    Metric,
    ModelCodeRow,
    ReviewItem,
)
from themeloop.report.reliability import number, percent

REVIEW_SAMPLE = 10  # answers shown from review.csv, in its order


def is_autocode(data: Mapping[str, Any] | None) -> bool:
    """True for the autocode stage's ``agreement_model.json``.

    >>> is_autocode({"floor": 0.667, "questions": {}}), is_autocode({"questions": {}})
    (True, False)
    """
    if not data:
        return False
    return "floor" in data or any("model_human" in (q or {})
                                  for q in (data.get("questions") or {}).values())


def _float(value: Any) -> float | None:
    try:
        out = float(value)
    except (TypeError, ValueError):
        return None
    return out if out == out else None  # NaN


def _ci(pair: Any) -> str:
    if not isinstance(pair, (list, tuple)) or len(pair) != 2:
        return "n/a"
    lo, hi = _float(pair[0]), _float(pair[1])
    return "n/a" if lo is None or hi is None else f"[{lo:.2f}, {hi:.2f}]"


def _gap(human: float | None, model: float | None) -> str:
    return "n/a" if human is None or model is None else f"{model - human:+.2f}"


def autocode_section(
    question: Mapping[str, Any] | None,
    label: Callable[[str], str],
    *,
    qid: str,
    floor: Any,
    model_id: str,
    review: pd.DataFrame | None = None,
    bias: Mapping[str, Any] | None = None,
    bias_method: str = "",
    texts: Mapping[str, str] | None = None,
    order: Sequence[str] = (),
) -> AutocodeSection | None:
    """The model section of question ``qid``, or None when the autocoder left nothing for it.

    Parameters
    ----------
    question : the question's entry of ``agreement_model.json`` (autocode shape).
    label : code id -> its label.
    floor : the alpha below which a code is human-only (the file's ``floor``).
    review : ``review.csv`` (all questions); its rows of ``qid`` are counted and sampled.
    bias : the question's entry of ``model_bias.json``.
    texts : response id -> answer text, for the review sample.
    order : codebook order of the codes.
    """
    question = question or {}
    rows = _review_rows(review, qid)
    if not question and rows is None and not bias:
        return None
    hh = question.get("human_human") or {}
    mh = question.get("model_human") or {}
    human_only = [str(c) for c in question.get("human_only") or []]
    per_code = _code_rows(hh, mh, label, order, human_only)
    n_review = question.get("n_review")
    return AutocodeSection(
        model_id=model_id, mode=str(question.get("mode") or "n/a").replace("_", "-"),
        floor=f"{floor:.3g}" if _float(floor) is not None else "n/a", n_coded=question.get("n_coded"),
        n_model_coded=question.get("n_model_coded"),
        n_review=n_review if n_review is not None else (len(rows) if rows is not None else None),
        summary=_summary(hh, mh), per_code=per_code, chart=_chart(qid, hh, mh, label, per_code),
        curve=_curve(qid, question.get("learning_curve") or [], _float(floor),
                     _float(hh.get("masi_alpha"))),
        by_coder=[Metric(str(coder), f"MASI alpha {number(v.get('masi_alpha'))}, sample-F1 "
                                     f"{number(v.get('sample_f1'))}")
                  for coder, v in sorted((mh.get("by_coder") or {}).items())],
        human_only=[Metric(label(c), _reason(c, mh, _float(floor))) for c in human_only],
        review=_review_sample(rows, label, texts or {}),
        bias=_bias_rows(bias, label), bias_warnings=[str(w) for w in (bias or {}).get(
            "warnings") or []], bias_method=bias_method,
        reading=_reading(_float(hh.get("masi_alpha")), _float(mh.get("masi_alpha")), human_only,
                         question.get("mode")),
    )


def _code_rows(hh: Mapping[str, Any], mh: Mapping[str, Any], label: Callable[[str], str],
               order: Sequence[str], human_only: list[str]) -> list[ModelCodeRow]:
    human = hh.get("per_code") or {}
    model = mh.get("per_code") or {}
    seen = set(human) | set(model)
    codes = [c for c in order if c in seen] + sorted(seen - set(order))
    rows = []
    for code in codes:
        m, h = model.get(code) or {}, human.get(code) or {}
        only = bool(m.get("human_only")) or code in human_only
        rows.append(ModelCodeRow(
            code=code, label=label(code), human_alpha=number(h.get("alpha")),
            model_alpha=number(m.get("alpha")), model_ci=_ci(m.get("alpha_ci95")),
            kappa=number(m.get("kappa")), ac1=number(m.get("ac1")),
            precision=number(m.get("precision")), recall=number(m.get("recall")),
            f1=number(m.get("f1")), threshold=number(m.get("threshold")),
            n_pos=str(m["n_pos"]) if m.get("n_pos") is not None else "n/a", human_only=only,
            reason=str(m.get("reason") or "")))
    return rows


def _summary(hh: Mapping[str, Any], mh: Mapping[str, Any]) -> list[Comparison]:
    h, m = _float(hh.get("masi_alpha")), _float(mh.get("masi_alpha"))
    return [
        Comparison("MASI alpha (multi-label)", "masi_alpha", number(h),
                   f"{number(m)} {_ci(mh.get('masi_alpha_ci95'))}".replace(" n/a", ""),
                   _gap(h, m)),
        Comparison("sample-F1", "sample_f1", "n/a",
                   f"{number(mh.get('sample_f1'))} {_ci(mh.get('sample_f1_ci95'))}"
                   .replace(" n/a", ""), "n/a"),
    ]


def _chart(qid: str, hh: Mapping[str, Any], mh: Mapping[str, Any], label: Callable[[str], str],
           rows: list[ModelCodeRow]):  # -> IntervalChart | None
    human = hh.get("per_code") or {}
    model = mh.get("per_code") or {}
    marks = []
    for row in rows:
        m = model.get(row.code) or {}
        ci = m.get("alpha_ci95") if isinstance(m.get("alpha_ci95"), (list, tuple)) else None
        lo, hi = (_float(ci[0]), _float(ci[1])) if ci and len(ci) == 2 else (None, None)
        name = row.label + (" (human-only)" if row.human_only else "")
        marks.append((name, [(_float((human.get(row.code) or {}).get("alpha")), None, None),
                             (_float(m.get("alpha")), lo, hi)]))
    if not any(v is not None for _, pair in marks for v, _, _ in pair):
        return None
    return interval_chart(f"{qid}: per-code alpha, model with coders beside coders together",
                          marks, series=["coder with coder", "model with coder"],
                          x_label="Krippendorff's alpha (model: cross-fitted, 95% bootstrap CI)")


def _curve(qid: str, points: Sequence[Mapping[str, Any]], floor: float | None,
           human: float | None):  # -> LineChart | None
    kept = [p for p in points if _float(p.get("n")) is not None]
    if len(kept) < 2:
        return None
    refs = [(floor, f"floor {floor:.3g}")] if floor is not None else []
    if human is not None:
        refs.append((human, f"coders {human:.2f}"))
    return line_chart(
        f"{qid}: learning curve, agreement with the coders by human-coded answers",
        [("MASI alpha", [(float(p["n"]), _float(p.get("masi_alpha"))) for p in kept]),
         ("sample-F1", [(float(p["n"]), _float(p.get("sample_f1"))) for p in kept])],
        x_label="human-coded answers the model learned from", y_label="agreement",
        references=refs)


def _reason(code: str, mh: Mapping[str, Any], floor: float | None) -> str:
    entry = (mh.get("per_code") or {}).get(code) or {}
    if entry.get("reason"):
        return str(entry["reason"])
    alpha = _float(entry.get("alpha"))
    if alpha is not None and floor is not None:
        return f"model-vs-human alpha {alpha:.2f} is below the floor {floor:.3g}"
    return "marked human-only"


def _review_rows(review: pd.DataFrame | None, qid: str) -> pd.DataFrame | None:
    if review is None or "response_id" not in review.columns:
        return None
    if "question" in review.columns:
        rows = review[review["question"].astype(str) == qid]
    else:
        rows = review[review["response_id"].astype(str).str.endswith(f":{qid}")]
    return rows if len(rows) else None


def _review_sample(rows: pd.DataFrame | None, label: Callable[[str], str],
                   texts: Mapping[str, str]) -> list[ReviewItem]:
    if rows is None:
        return []
    out = []
    for row in rows.head(REVIEW_SAMPLE).to_dict("records"):
        codes = [c for c in str(row.get("codes") or "").split(";") if c and c != "nan"]
        scores = [s for s in str(row.get("scores") or "").split(";") if s and s != "nan"]
        shown = [f"{label(c)} ({_float(s):.2f})" if _float(s) is not None else label(c)
                 for c, s in zip(codes, scores + [""] * len(codes))]
        rid = str(row["response_id"])
        reason = str(row.get("reason") or "")
        out.append(ReviewItem(rid, {"no_code": "no code", "uncertain": "uncertain score"}.get(
            reason, reason), ", ".join(shown) or "(no code)", texts.get(rid, "")))
    return out


def _bias_rows(bias: Mapping[str, Any] | None, label: Callable[[str], str]) -> list[BiasRow]:
    rows = []
    for test in (bias or {}).get("tests") or []:
        if not test.get("direction"):
            continue  # only the groups the test flags: the rest is in model_bias.json
        rows.append(BiasRow(
            attribute=str(test.get("attribute", "")), group=str(test.get("group", "")),
            code=label(str(test.get("code", ""))), n=str(test.get("n", "")),
            human_rate=percent(test.get("human_rate")), model_rate=percent(test.get("model_rate")),
            diff=_signed_points(test.get("diff")), p_holm=number(test.get("p_holm"), 3),
            direction=f"{test['direction']}-codes"))
    return rows


def _signed_points(value: Any) -> str:
    v = _float(value)
    return "n/a" if v is None else f"{100 * v:+.0f} points"


def _reading(human: float | None, model: float | None, human_only: list[str],
             mode: Any) -> str:
    if mode == "zero_shot":
        text = ("No human codes to learn from: the model coded from the codebook alone "
                "(zero-shot), so its agreement with people is unknown. Review its codes.")
    elif model is None:
        text = "The model's agreement with the coders could not be computed."
    elif human is None:
        text = f"Cross-fitted, the model agrees with the coders at MASI alpha {model:.2f}."
    else:
        gap = model - human
        verdict = ("about as well as" if abs(gap) < 0.05 else
                   "less well than" if gap < 0 else "better than")
        text = (f"Cross-fitted, the model agrees with the coders {verdict} they agree with "
                f"each other (MASI alpha {model:.2f} against {human:.2f}).")
    if len(human_only) == 1:
        text += " 1 code is human-only: the model never applies it."
    elif human_only:
        text += f" {len(human_only)} codes are human-only: the model never applies them."
    return text
