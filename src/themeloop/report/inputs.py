"""Read a project's results for the report, and write ``report.html``.

Every input but the survey is optional: a report of a project half-way through
the loop shows what exists and lists what is missing (with the command that
makes it). Each input is the file that its stage writes
(:mod:`themeloop.pipeline.artifacts`): in the output folder (``--out``, then
the project's ``out/``), and the coders' table and the ledger in the project's
annotations folder. There are no other names and no searching.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from themeloop.errors import ReportError
from themeloop.pipeline.artifacts import (
    ADJUDICATE_MANIFEST,
    AGREED,
    AGREEMENT_JSON,
    AGREEMENT_MANIFEST,
    AGREEMENT_MODEL,
    AGREEMENT_NOTES,
    AUTOCODE_MANIFEST,
    CROSSTAB_MANIFEST,
    DECISIONS,
    MERGE_MANIFEST,
    MODEL_BIAS,
    REPORT_HTML,
    REPORT_MANIFEST,
    REVIEW,
    THEMES_JSON,
    THEMES_MANIFEST,
    UNDECIDED,
    Artifact,
)

if TYPE_CHECKING:
    import pandas as pd

    from themeloop.codebook.model import Codebook
    from themeloop.config import Project
    from themeloop.merge.core import MergedDataset
    from themeloop.pipeline.context import RunContext
    from themeloop.survey.model import Survey

REPORT_NAME = REPORT_HTML.name


@dataclass
class ReportInputs:
    """What :func:`load_inputs` found; ``build_report_data(**inputs.for_build())`` takes it."""

    survey: Survey
    codebook: Codebook | None = None
    agreed: pd.DataFrame | None = None
    coding: pd.DataFrame | None = None
    merged: MergedDataset | None = None
    themes: dict | None = None
    agreement: dict | None = None
    agreement_notes: dict | None = None
    agreement_model: dict | None = None
    decisions: pd.DataFrame | None = None
    undecided: pd.DataFrame | None = None
    review: pd.DataFrame | None = None
    model_bias: dict | None = None
    ledger_events: list[dict] = field(default_factory=list)
    manifests: list[dict] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    sources: dict[str, Path] = field(default_factory=dict)

    def for_build(self) -> dict[str, Any]:
        """Keyword arguments for :func:`themeloop.report.build_report_data`."""
        return {k: v for k, v in vars(self).items() if k != "sources"}


def _first(folders: list[Path], artifact: Artifact, part: str | None = None) -> Path | None:
    """The first of ``folders`` that holds ``artifact``."""
    for folder in folders:
        path = artifact.path(folder, part)
        if path.is_file():
            return path
    return None


def _json(path: Path | None) -> dict | None:
    if path is None:
        return None
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except ValueError as exc:
        raise ReportError(f"{path}: not valid JSON ({exc}); rerun the command that wrote it") from None


def _plain_table(path: Path | None) -> pd.DataFrame | None:
    if path is None:
        return None
    from themeloop.safe_csv import read_csv

    return read_csv(path)


def load_inputs(project: Project, out_dir: str | Path | None = None) -> ReportInputs:
    """Read everything the report can show from ``project``'s files (see :func:`load_context_inputs`)."""
    from themeloop.pipeline.context import RunContext

    return load_context_inputs(RunContext.for_project(project, out_dir))


def load_context_inputs(ctx: RunContext) -> ReportInputs:
    """Read everything the report can show, sharing what the run already loaded.

    Raises
    ------
    ReportError
        If a file that exists cannot be read.
    """
    project, out = ctx.project, ctx.out_dir
    outs = [out, project.out_dir] if out != project.out_dir else [out]
    inputs = ReportInputs(survey=ctx.survey)
    notes, found = inputs.notes, inputs.sources
    found["survey"] = project.survey_path

    def first(name: str, artifact: Artifact) -> Path | None:
        path = _first(outs, artifact)
        if path is not None:
            found[name] = path
        return path

    inputs.codebook = ctx.codebook
    if inputs.codebook is not None:
        found["codebook"] = project.codebook_path
    else:
        notes.append(f"No codebook at {project.config.paths.codebook}: write one or run "
                     "'themeloop themes' for a draft.")
    inputs.themes = _json(first("themes", THEMES_JSON))
    inputs.agreement = _json(first("agreement", AGREEMENT_JSON))
    inputs.agreement_notes = _json(first("agreement_notes", AGREEMENT_NOTES))
    inputs.agreement_model = _json(first("agreement_model", AGREEMENT_MODEL))
    agreed = first("agreed", AGREED)
    inputs.agreed = ctx.table(agreed) if agreed is not None else None
    if ctx.has_coding:
        inputs.coding = ctx.coding
        found["coding_table"] = ctx.coding_path
    inputs.decisions = _plain_table(first("decisions", DECISIONS))
    inputs.undecided = _plain_table(first("undecided", UNDECIDED))
    inputs.review = _plain_table(first("review", REVIEW))
    inputs.model_bias = _json(first("model_bias", MODEL_BIAS))
    for value, what in ((inputs.themes, f"{THEMES_JSON.name} ('themeloop themes')"),
                        (inputs.agreement, f"{AGREEMENT_JSON.name} ('themeloop agreement')"),
                        (inputs.agreed, "agreed coding table ('themeloop adjudicate')")):
        if value is None:
            notes.append(f"No {what} in {out}.")
    if agreed is not None:
        inputs.merged = ctx.merged(agreed, allow_unknown_codes=True)
    from themeloop.audit.ledger import Ledger, default_ledger_path

    ledger = Path(default_ledger_path(project))
    if ledger.is_file():
        # Not an input by sha256 (its MACs differ with each project's key): the
        # report's manifest records the ledger by its verified head instead.
        inputs.ledger_events = Ledger(ledger).events()
    for path in _manifests(ctx, outs):
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
    return any(Path(str(name)).name == REPORT_HTML.name for name in outputs)


def _manifests(ctx: RunContext, folders: list[Path]) -> list[Path]:
    """The other stages' manifests that exist in ``folders``, first folder first.

    Within a folder they come in file-name order. Neither the report's own nor
    the run's (``manifest.json``, written after the report and hashing it) is one.
    """
    from themeloop.merge.project import slug

    stage_manifests = [THEMES_MANIFEST, AGREEMENT_MANIFEST, ADJUDICATE_MANIFEST,
                       AUTOCODE_MANIFEST, MERGE_MANIFEST]
    found: list[Path] = []
    for folder in folders:
        paths = [a.path(folder) for a in stage_manifests]
        paths += [CROSSTAB_MANIFEST.path(folder, slug(by))
                  for by in ctx.project.config.crosstab.by]
        found += sorted((p for p in paths if p.is_file()), key=lambda p: p.name)
    return found


def write_report(
    project: Project,
    out_dir: str | Path | None = None,
    by: str | None = None,
) -> Path:
    """Build and write ``<out>/report.html`` and its manifest; return the page.

    A shortcut for :func:`report_project` on a fresh :class:`RunContext`.
    """
    from themeloop.pipeline.context import RunContext

    return report_project(RunContext.for_project(project, out_dir), by=by)


def report_project(ctx: RunContext, by: str | None = None) -> Path:
    """Build and write ``report.html`` and ``report.manifest.json`` in the run's folder.

    ``by`` defaults to the project's ``[report] by``, then its first
    ``[crosstab] by``; disclosure suppression follows ``[crosstab] suppress_below``.
    Both files are recorded in ``ctx.outputs``.

    Raises
    ------
    ReportError
        If ``by`` is not a survey column or an input file cannot be read.
    """
    from themeloop._io import write_text_atomic
    from themeloop.audit.ledger import default_ledger_path
    from themeloop.audit.manifest import ledger_record, package_versions, write_stage_manifest
    from themeloop.report.build import build_report_data
    from themeloop.report.render import render_report

    project = ctx.project
    cfg = project.config
    by = by or cfg.report.by or (cfg.crosstab.by[0] if cfg.crosstab.by else None)
    threshold = cfg.crosstab.suppress_below
    inputs = load_context_inputs(ctx)
    data = build_report_data(**inputs.for_build(), by=by, suppress_below=threshold,
                             title=f"Thematic analysis report: {Path(project.root).name}",
                             versions=package_versions())
    page = write_text_atomic(ctx.path(REPORT_HTML), render_report(data))
    ledger = None
    if inputs.ledger_events:  # by its head, not the file's sha256: MACs differ per project key
        last = inputs.ledger_events[-1]
        ledger = ledger_record(default_ledger_path(project), len(inputs.ledger_events),
                               last["hash"], "mac" in last, project.root)
    manifest = write_stage_manifest(
        ctx.path(REPORT_MANIFEST), "report", inputs=inputs.sources, outputs=[page],
        config={"by": by, "suppress_below": threshold},
        codebook_version=getattr(inputs.codebook, "version", None), relative_to=project.root,
        extra={"ledger": ledger} if ledger is not None else None,
    )
    ctx.record(REPORT_HTML, page)
    ctx.record(REPORT_MANIFEST, manifest)
    return page
