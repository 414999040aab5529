"""Read a project's results for the report, and write ``report.html``.

Every input but the survey is optional: a report of a project half-way through
the loop shows what exists and lists what is missing (with the command that
makes it). Files are looked for in the output folder (``--out`` or the
project's ``out/``) and, for the coders' table and the ledger, under
``annotations/``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from themeloop.errors import ReportError

REPORT_NAME = "report.html"
MANIFEST_NAME = "report.manifest.json"
THEMES = ("themes.json",)
AGREEMENT = ("agreement.json",)
AGREEMENT_MODEL = ("agreement_model.json",)
AGREEMENT_NOTES = ("agreement_notes.json",)
AGREED = ("agreed.csv", "agreed.parquet", "agreed_codes.csv", "agreed_codes.parquet")
DECISIONS = ("adjudication_decisions.csv", "decisions.csv")
UNDECIDED = ("undecided.csv",)
CODING = ("coding_table.csv", "coding_table.parquet", "codings.csv", "codings.parquet")


@dataclass
class ReportInputs:
    """What :func:`load_inputs` found; ``build_report_data(**inputs.for_build())`` takes it."""

    survey: Any
    codebook: Any = None
    agreed: Any = None
    coding: Any = None
    merged: Any = None
    themes: dict | None = None
    agreement: dict | None = None
    agreement_notes: dict | None = None
    agreement_model: dict | None = None
    decisions: Any = None
    undecided: Any = None
    ledger_events: list[dict] = field(default_factory=list)
    manifests: list[dict] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    sources: dict[str, Path] = field(default_factory=dict)

    def for_build(self) -> dict[str, Any]:
        """Keyword arguments for :func:`themeloop.report.build_report_data`."""
        return {k: v for k, v in vars(self).items() if k != "sources"}


def _first(folders: list[Path], names: tuple[str, ...]) -> Path | None:
    for folder in folders:
        for name in names:
            if (folder / name).is_file():
                return folder / name
        for name in names:  # one level down, e.g. annotations/<project>/coding_table.csv
            hits = sorted(folder.glob(f"*/{name}")) if folder.is_dir() else []
            if hits:
                return hits[0]
    return None


def _json(path: Path | None) -> dict | None:
    if path is None:
        return None
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except ValueError as exc:
        raise ReportError(f"{path}: not valid JSON ({exc}); rerun the command that wrote it") from None


def _table(path: Path | None):
    if path is None:
        return None
    import pandas as pd

    if path.suffix.lower() == ".parquet":
        return pd.read_parquet(path)
    try:
        from themeloop.coding import read_coding_table
    except ImportError:
        from themeloop.safe_csv import read_csv

        return read_csv(path)
    return read_coding_table(path)


def _plain_table(path: Path | None):
    if path is None:
        return None
    from themeloop.safe_csv import read_csv

    return read_csv(path)


def load_inputs(project: Any, out_dir: str | Path | None = None) -> ReportInputs:
    """Read everything the report can show from ``project`` (a ``themeloop.config.Project``).

    Raises
    ------
    ReportError
        If a file that exists cannot be read.
    """
    from themeloop.survey import load_project_survey

    out = Path(out_dir) if out_dir is not None else project.out_dir
    outs = [out, project.out_dir] if out != project.out_dir else [out]
    ann = [Path(project.annotations_dir)]
    inputs = ReportInputs(survey=load_project_survey(project))
    notes, found = inputs.notes, inputs.sources
    found["survey"] = project.survey_path

    def first(name: str, folders: list[Path], names: tuple[str, ...]) -> Path | None:
        path = _first(folders, names)
        if path is not None:
            found[name] = path
        return path

    if Path(project.codebook_path).is_file():
        from themeloop.codebook import load_codebook

        inputs.codebook = load_codebook(project.codebook_path)
        found["codebook"] = project.codebook_path
    else:
        notes.append(f"No codebook at {project.config.paths.codebook}: write one or run "
                     "'themeloop themes' for a draft.")
    inputs.themes = _json(first("themes", [*outs, Path(project.models_dir)], THEMES))
    inputs.agreement = _json(first("agreement", outs, AGREEMENT))
    inputs.agreement_notes = _json(first("agreement_notes", outs, AGREEMENT_NOTES))
    inputs.agreement_model = _json(first("agreement_model", outs, AGREEMENT_MODEL))
    inputs.agreed = _table(first("agreed", outs + ann, AGREED))
    inputs.coding = _table(first("coding_table", ann + outs, CODING))
    inputs.decisions = _plain_table(first("decisions", outs + ann, DECISIONS))
    inputs.undecided = _plain_table(first("undecided", outs + ann, UNDECIDED))
    for value, what in ((inputs.themes, "themes.json ('themeloop themes')"),
                        (inputs.agreement, "agreement.json ('themeloop agreement')"),
                        (inputs.agreed, "agreed coding table ('themeloop adjudicate')")):
        if value is None:
            notes.append(f"No {what} in {out}.")
    if inputs.agreed is not None:
        from themeloop.merge import build_merged

        inputs.merged = build_merged(inputs.survey, inputs.agreed, inputs.codebook,
                                     allow_unknown_codes=True)
    from themeloop.audit.ledger import Ledger, default_ledger_path

    ledger = Path(default_ledger_path(project))
    if ledger.is_file():
        inputs.ledger_events = Ledger(ledger).events()  # in the manifest by its head (below)
    for path in _manifests(outs):
        manifest = _json(path)
        if manifest and path.name.removesuffix(".json") not in found \
                and not _covers_report(manifest):
            inputs.manifests.append(manifest)
            found[path.name.removesuffix(".json")] = path
    return inputs


def _covers_report(manifest: dict) -> bool:
    """True for a manifest that hashes a report (``themeloop run``'s ``manifest.json``).

    Showing its id would make each report depend on the previous one, so reruns
    would never give the same bytes.
    """
    outputs = manifest.get("outputs") or {}
    return any(Path(str(name)).name == REPORT_NAME for name in outputs)


def _manifests(folders: list[Path]) -> list[Path]:
    """The other commands' manifests in ``folders`` (never the report's own), first folder first."""
    return [p for folder in folders if folder.is_dir()
            for p in sorted(folder.glob("*manifest.json"))
            if p.is_file() and p.name != MANIFEST_NAME]


def write_report(
    project: Any,
    out_dir: str | Path | None = None,
    by: str | None = None,
) -> Path:
    """Build and write ``<out>/report.html`` and its ``report.manifest.json``; return the page.

    ``by`` defaults to the project's ``[report] by``, then its first
    ``[crosstab] by``; disclosure suppression follows ``[crosstab] suppress_below``.

    Raises
    ------
    ReportError
        If ``by`` is not a survey column or an input file cannot be read.
    """
    from themeloop._io import write_text_atomic
    from themeloop.audit.ledger import default_ledger_path
    from themeloop.audit.manifest import (
        build_manifest,
        ledger_record,
        package_versions,
        write_manifest,
    )
    from themeloop.report.build import build_report_data
    from themeloop.report.render import render_report

    cfg = project.config
    by = by or cfg.report.by or (cfg.crosstab.by[0] if cfg.crosstab.by else None)
    threshold = cfg.crosstab.suppress_below
    inputs = load_inputs(project, out_dir)
    data = build_report_data(**inputs.for_build(), by=by, suppress_below=threshold,
                             title=f"Thematic analysis report: {Path(project.root).name}",
                             versions=package_versions())
    out = Path(out_dir) if out_dir is not None else project.out_dir
    page = write_text_atomic(out / REPORT_NAME, render_report(data))
    manifest = build_manifest(
        "report", inputs=inputs.sources, outputs=[page],
        config={"by": by, "suppress_below": threshold},
        codebook_version=getattr(inputs.codebook, "version", None), relative_to=project.root,
    )
    if inputs.ledger_events:  # not the file's sha256: its MACs differ with each project's key
        last = inputs.ledger_events[-1]
        manifest["ledger"] = ledger_record(default_ledger_path(project), len(inputs.ledger_events),
                                           last["hash"], "mac" in last, project.root)
    write_manifest(out / MANIFEST_NAME, manifest)
    return page
