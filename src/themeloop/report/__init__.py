"""The HTML report: data assembly (:func:`build_report_data`) apart from rendering (:func:`render_report`).

Public API::

    build_report_data(survey, *, codebook, agreed, coding, merged, themes, agreement,
                      agreement_model, decisions, undecided, ledger_events, manifests,
                      by, suppress_below) -> ReportData
    render_report(data) -> str            one self-contained, offline HTML page
    load_inputs(project, out_dir) -> ReportInputs
    write_report(project, out_dir=None, by=None) -> Path   writes <out>/report.html
"""

from __future__ import annotations

from themeloop.report.build import build_report_data
from themeloop.report.inputs import REPORT_NAME, ReportInputs, load_inputs, write_report
from themeloop.report.model import ReportData
from themeloop.report.render import render_report

__all__ = [
    "REPORT_NAME", "ReportData", "ReportInputs", "build_report_data", "load_inputs",
    "render_report", "write_report",
]
