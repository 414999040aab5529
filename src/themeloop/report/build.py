"""Assemble :class:`ReportData` from a project's results (objects in, dataclasses out).

:func:`build_report_data` takes results already read into memory, so it is easy
to test with small frames and dicts; :mod:`.inputs` reads them from a project.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import pandas as pd

from themeloop.errors import ReportError, did_you_mean
from themeloop.report import codes as codes_mod
from themeloop.report.autocode import autocode_section, is_autocode
from themeloop.report.model import (
    CodebookEntry,
    Metric,
    Overview,
    QuestionReport,
    ReportData,
    RunRecord,
)
from themeloop.report.provenance import by_answer, coder_memos, decision_rows, trails
from themeloop.report.reliability import agreement_section, model_section

REQUIRED = ("response_id", "question", "code")


def _check_table(name: str, table: pd.DataFrame | None) -> pd.DataFrame | None:
    if table is None:
        return None
    missing = [c for c in REQUIRED if c not in table.columns]
    if missing:
        raise ReportError(f"the {name} table has no column '{missing[0]}'; it needs "
                          f"{', '.join(REQUIRED)} (DESIGN.md's coding table)")
    out = table.copy()
    out["response_id"] = out["response_id"].astype(str)
    out["question"] = out["question"].astype(str)
    out["code"] = out["code"].map(lambda v: "" if pd.isna(v) else str(v))
    return out


def _labeller(codebook: Any, qid: str):
    labels = {c.id: (c.label or c.id) for c in codes_mod.codebook_codes(codebook, qid)}
    return lambda code: labels.get(code, code)


def build_report_data(
    survey: Any,
    *,
    codebook: Any = None,
    agreed: pd.DataFrame | None = None,
    coding: pd.DataFrame | None = None,
    merged: Any = None,
    themes: Mapping[str, Any] | None = None,
    agreement: Mapping[str, Any] | None = None,
    agreement_notes: Mapping[str, Any] | None = None,
    agreement_model: Mapping[str, Any] | None = None,
    decisions: pd.DataFrame | None = None,
    undecided: pd.DataFrame | None = None,
    review: pd.DataFrame | None = None,
    model_bias: Mapping[str, Any] | None = None,
    ledger_events: Iterable[Mapping[str, Any]] = (),
    manifests: Iterable[Mapping[str, Any]] = (),
    by: str | None = None,
    suppress_below: int = 5,
    title: str | None = None,
    notes: Iterable[str] = (),
    versions: Mapping[str, str | None] | None = None,
) -> ReportData:
    """Everything the report shows, from results already in memory.

    Parameters
    ----------
    survey : :class:`themeloop.survey.Survey`.
    codebook : :class:`themeloop.codebook.Codebook`, or None.
    agreed : the agreed coding table (``adjudicate``'s output), or None.
    coding : the coders' coding table (``pull``'s output), for the list of coders.
    merged : the merged dataset (:class:`themeloop.merge.MergedDataset`,
        from ``build_merged``), cross-tabulated for the charts by ``by``.
    themes : ``themes.json``.
    agreement, agreement_notes, agreement_model : ``agreement.json``,
        ``agreement_notes.json`` and ``agreement_model.json``.
        ``agreement_model.json`` in the autocode stage's shape (see
        :mod:`themeloop.report.autocode`) gives each question a model section.
    decisions, undecided : ``AdjudicationResult.decisions`` / ``.undecided``.
    review, model_bias : the autocode stage's ``review.csv`` and ``model_bias.json``.
    ledger_events : the audit ledger's events (``Ledger.events()``).
    manifests : run manifests found beside the outputs.
    versions : package versions of this environment; they fill in what the
        manifests do not record (``themeloop.audit.manifest.package_versions()``).
    by : attribute for the bar charts; None draws one bar per code.
    suppress_below : disclosure control of the charts by attribute, as in
        ``themeloop crosstab``: counts below it are shown as ``<N``; 0: off.

    Raises
    ------
    ReportError
        If ``by`` is not an attribute of the survey, or a table lacks columns.
    """
    if by is not None and by not in survey.frame.columns:
        names = list(survey.attributes) or [str(c) for c in survey.frame.columns]
        raise ReportError(f"--by '{by}' is not a column of the survey{did_you_mean(by, names)}; "
                          f"attributes are: {', '.join(names)}")
    agreed = _check_table("agreed", agreed)
    coding = _check_table("coding", coding)
    events = list(ledger_events)
    responses = survey.responses()
    inputs = {"codebook": codebook, "agreed": agreed, "themes": themes or {},
              "agreement": agreement or {}, "notes": agreement_notes or {},
              "model": agreement_model or {}, "decisions": decisions, "undecided": undecided,
              "events": events, "crosstab": _crosstab(merged, by, suppress_below),
              "memos": coder_memos(coding), "review": review, "bias": model_bias or {},
              "value_labels": (getattr(survey.data, "value_labels", None) or {}).get(by, {})}
    sections = [_question(q, responses, inputs) for q in survey.questions]
    notes = list(notes)
    if by is not None and merged is None:
        notes.append(f"No merged dataset: the charts by '{by}' are missing; run 'themeloop merge'.")
    overview = _overview(survey, codebook, coding, agreement, themes, list(manifests), by,
                         suppress_below, title, versions or {})
    return ReportData(overview=overview, questions=sections,
                      codebook=_appendix(codebook, survey), notes=notes)


def _crosstab(merged: Any, by: str | None, threshold: int) -> Any:
    if by is None or merged is None:
        return None
    from themeloop.merge.crosstab import crosstab

    return crosstab(merged, by, suppress_below=threshold)


def _entry(data: Mapping[str, Any], qid: str) -> Any:
    return (data.get("questions") or {}).get(qid)


def _question(q: Any, responses: pd.DataFrame, inputs: dict[str, Any]) -> QuestionReport:
    codebook, agreed = inputs["codebook"], inputs["agreed"]
    part = responses[responses["question"] == q.id]
    label = _labeller(codebook, q.id)
    order = [c.id for c in codes_mod.codebook_codes(codebook, q.id)]
    rows, n_coded = ([], 0) if agreed is None else codes_mod.code_rows(
        q.id, agreed, responses, codebook)
    if inputs["crosstab"] is not None:
        chart = codes_mod.attribute_chart(q.id, rows, inputs["crosstab"],
                                          inputs["value_labels"])
    else:
        chart = codes_mod.overall_chart(q.id, rows, n_coded)
    texts = dict(zip(part["response_id"].astype(str), part["text"].fillna("").astype(str)))
    human, model = _entry(inputs["agreement"], q.id), _entry(inputs["model"], q.id)
    autocode = _autocode(q.id, inputs, label, texts, order)
    if is_autocode(inputs["model"]):
        model = None  # the autocode shape: its section replaces the suggestions' comparison
    return QuestionReport(
        id=q.id, prompt=q.prompt, n_responses=len(part),
        n_substantive=int(part["substantive"].sum()), n_coded=n_coded,
        themes=codes_mod.theme_summary(_entry(inputs["themes"], q.id)),
        codes=rows, chart=chart,
        agreement=agreement_section(
            human, label, title=f"{q.id}: agreement between coders", order=order,
            notes=_entry(inputs["notes"], q.id)) if human else None,
        model_agreement=model_section(
            model, label, title=f"{q.id}: model with coders, beside coders with each other",
            order=order) if model else None,
        disagreements=by_answer(decision_rows(inputs["decisions"], q.id, label, texts),
                                inputs["memos"]),
        undecided=decision_rows(inputs["undecided"], q.id, label, texts, contested_only=False),
        trails=[] if agreed is None else trails(agreed, q.id, inputs["events"], label),
        autocode=autocode,
    )


def _autocode(qid: str, inputs: dict[str, Any], label: Any, texts: dict[str, str],
              order: list[str]) -> Any:
    """The model section of ``qid`` from the autocode stage's files (None without them)."""
    data = inputs["model"] if is_autocode(inputs["model"]) else {}
    bias = inputs["bias"]
    return autocode_section(
        _entry(data, qid), label, qid=qid, floor=data.get("floor"),
        model_id=str(data.get("model_id") or ""), review=inputs["review"],
        bias=_entry(bias, qid), bias_method=str(bias.get("method") or ""), texts=texts,
        order=order)


def _overview(survey, codebook, coding, agreement, themes, manifests, by, threshold,
              title, current) -> Overview:
    if coding is not None and "coder" in coding.columns:
        human = coding if "source" not in coding.columns else coding[
            coding["source"].fillna("human").astype(str) == "human"]
        coders = sorted({str(c) for c in human["coder"].dropna()})
    else:
        coders = sorted({str(c) for q in (agreement or {}).get("questions", {}).values()
                         for c in q.get("coders") or []})
    runs = sorted(
        (RunRecord(command=str(m.get("command", "")), manifest_id=str(m.get("manifest_id", "")),
                   seeds=", ".join(f"{k}={v}" for k, v in sorted((m.get("seeds") or {}).items())),
                   codebook_version=str(m.get("codebook_version") or ""))
         for m in manifests),
        key=lambda r: (r.command, r.manifest_id),
    )
    versions: dict[str, str] = {}
    for m in sorted(manifests, key=lambda m: str(m.get("command", ""))):
        for name, version in (m.get("versions") or {}).items():
            if version and name not in versions:
                versions[name] = str(version)
    for name, version in current.items():
        if version and name not in versions:
            versions[name] = str(version)
    run = None
    if themes:
        model = themes.get("model") or {}
        how = ", ".join(str(model[k]) for k in ("precision", "runtime") if model.get(k)) or "?"
        run = (f"run {themes.get('run_id', '?')}, seed {themes.get('seed', '?')}, model "
               f"{model.get('id', '?')} ({how})")
    return Overview(
        title=title or f"Thematic analysis report: {survey.path.name}",
        survey_file=survey.path.name, n_rows=len(survey.frame),
        questions=[Metric(q.id, q.prompt) for q in survey.questions],
        attributes=list(survey.attributes), coders=coders,
        codebook_version=getattr(codebook, "version", None), by=by,
        suppress_below=threshold, theme_run=run, runs=runs,
        versions=[Metric(k, versions[k]) for k in sorted(versions)],
    )


def _appendix(codebook: Any, survey: Any) -> dict[str, list[CodebookEntry]]:
    if codebook is None:
        return {}
    order = [q.id for q in survey.questions]
    qids = [q for q in order if q in codebook.questions] + sorted(
        set(codebook.questions) - set(order))
    return {
        qid: [CodebookEntry(
            id=c.id, label=c.label or c.id, description=c.description or "",
            include=getattr(c, "include", None) or "", exclude=getattr(c, "exclude", None) or "",
            parent=getattr(c, "parent", None), examples=[str(e) for e in c.examples or []],
            replaces=[str(r) for r in getattr(c, "replaces", None) or []],
        ) for c in codebook.questions[qid].codes]
        for qid in qids
    }
