"""Merge and crosstab on a project: inputs from themeloop.toml, outputs under out/.

Each run writes a manifest (``merge.manifest.json``,
``crosstab_<attr>.manifest.json``) listing its inputs and every output's sha256.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from themeloop._io import write_text_atomic
from themeloop.config import Project
from themeloop.merge.core import MergedDataset
from themeloop.merge.crosstab import CrosstabResult, crosstab
from themeloop.merge.exports import FORMATS, export_all, stat_rename_map
from themeloop.merge.inputs import require_agreed_table
from themeloop.merge.xlsx import write_sheets
from themeloop.pipeline.artifacts import (
    AGREED,
    CODED,
    CROSSTAB_CSV,
    CROSSTAB_INTERNAL,
    CROSSTAB_MANIFEST,
    CROSSTAB_XLSX,
    DECISIONS,
    MERGE_MANIFEST,
    MERGE_REPORT,
    MODEL_CODING,
)
from themeloop.safe_csv import resolve_raw, write_csv

if TYPE_CHECKING:
    from themeloop.pipeline.context import RunContext


@dataclass
class MergeRun:
    """What ``themeloop merge`` produced."""

    dataset: MergedDataset
    outputs: dict[str, Path]
    report: dict[str, Any]
    manifest: Path


@dataclass
class CrosstabRun:
    """What ``themeloop crosstab`` produced."""

    result: CrosstabResult
    outputs: dict[str, Path]
    manifest: Path


def default_codes_path(project: Project) -> Path:
    """The adjudication output in the project's out/ (:data:`~themeloop.pipeline.artifacts.AGREED`)."""
    return AGREED.path(project.out_dir)


def load_merged(
    ctx: RunContext, codes: str | Path | None = None, allow_unknown_codes: bool | None = None,
    coder: str | None = None, model: bool = True,
) -> tuple[MergedDataset, Path]:
    """Survey + agreed table + codebook of the run, merged (once per run); also the table's path.

    With ``model`` (the default) the run's ``model_coding.csv``, where there is
    one, fills the answers no human coded. The adjudication decisions beside
    the agreed table, where there are any, tell ``human`` from ``adjudicated``.

    Raises
    ------
    MergeError
        When the agreed table does not exist.
    """
    path = Path(codes) if codes else default_codes_path(ctx.project)
    require_agreed_table(path)
    allow = _allow(ctx.project, allow_unknown_codes)
    model_path, decisions = _companions(ctx, path, model)
    return ctx.merged(path, allow_unknown_codes=allow, coder=coder, model=model_path,
                      decisions=decisions), path


def _companions(ctx: RunContext, codes: Path, model: bool) -> tuple[Path | None, Path | None]:
    """The run's model codes (unless ``model`` is off or autocode disabled) and the decisions."""
    enabled = ctx.project.config.autocode.enabled
    model_path = ctx.path(MODEL_CODING)
    decisions = DECISIONS.path(codes.parent)
    return (model_path if model and enabled and model_path.is_file() else None,
            decisions if decisions.is_file() else None)


def _allow(project: Project, flag: bool | None) -> bool:
    """``--allow-unknown-codes`` when given, else ``[merge] allow_unknown_codes``."""
    return project.config.merge.allow_unknown_codes if flag is None else flag


def _inputs(project: Project, codes: Path,
            companions: tuple[Path | None, Path | None] = (None, None)) -> dict[str, Path]:
    inputs = {"survey": project.survey_path, "codes": codes}
    if project.codebook_path.is_file():
        inputs["codebook"] = project.codebook_path
    for name, path in zip(("model_coding", "decisions"), companions):
        if path is not None:
            inputs[name] = path
    return inputs


def merge_project(
    ctx: RunContext, codes: str | Path | None = None, allow_unknown_codes: bool | None = None,
    formats: Iterable[str] | None = None, coder: str | None = None, raw: bool | None = None,
    model: bool = True,
) -> MergeRun:
    """Merge the agreed codes and write every export, a report and a manifest into the run's folder.

    ``codes`` defaults to the project's ``out/agreed.csv``. Every file is
    recorded in ``ctx.outputs``. ``raw`` (default: ``[export] raw``) writes the
    CSV without formula neutralisation. ``model`` (default on) fills the answers
    no human coded with the run's ``model_coding.csv``, where there is one.
    """
    from themeloop.audit.manifest import write_stage_manifest

    project = ctx.project
    dataset, codes_path = load_merged(ctx, codes, allow_unknown_codes, coder, model)
    out_dir = ctx.out_dir
    outputs = export_all(dataset, out_dir, formats or project.config.merge.formats,
                         raw=resolve_raw(raw, project))
    report = {
        "rows": len(dataset.frame),
        "columns": dataset.frame.shape[1],
        "code_columns": len(dataset.code_columns),
        "codebook_version": dataset.codebook_version,
        "renamed": dataset.renames,
        "spss_stata_renamed": stat_rename_map(dataset),
        "questions": dataset.summary,
    }
    outputs["report"] = write_text_atomic(
        MERGE_REPORT.path(out_dir), json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    path = write_stage_manifest(
        MERGE_MANIFEST.path(out_dir), "merge",
        inputs=_inputs(project, codes_path, _companions(ctx, codes_path, model)),
        outputs=outputs.values(),
        config={"allow_unknown_codes": _allow(project, allow_unknown_codes), "coder": coder,
                "formats": [f for f in outputs if f != "report"], "model_codes": model},
        codebook_version=dataset.codebook_version, relative_to=project.root,
    )
    for fmt, written in outputs.items():
        if fmt == "report":
            ctx.record(MERGE_REPORT, written)
        else:
            ctx.record(CODED, written, fmt)
    ctx.record(MERGE_MANIFEST, path)
    return MergeRun(dataset, outputs, report, path)


def slug(text: str) -> str:
    """An attribute as it appears in crosstab file names (``crosstab_<slug>.csv``)."""
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", text).strip("_") or "attribute"


def _rounded(table):  # -> DataFrame
    out = table.copy()
    for column in out.columns:
        if column.endswith("%"):
            out[column] = [round(v, 1) if isinstance(v, float) else v for v in out[column]]
    if "p_value" in out.columns:
        out["p_value"] = [float(f"{v:.4g}") if isinstance(v, float) else v for v in out["p_value"]]
    return out


def write_crosstab(result: CrosstabResult, out_dir: str | Path, *, raw: bool = False) -> dict[str, Path]:
    """Published CSV and XLSX (suppressed) and the clearly named internal CSV (raw counts).

    Both CSVs are neutralised against formula injection unless ``raw``.
    """
    import pandas as pd

    out_dir = Path(out_dir)
    part = slug(result.by)
    published = _rounded(result.published())
    notes = pd.DataFrame({"item": ["by", "suppress_below", "respondents without a value"],
                          "value": [result.by, result.suppress_below, result.n_without_group]})
    return {
        "csv": write_csv(published, CROSSTAB_CSV.path(out_dir, part), raw=raw),
        "xlsx": write_sheets(CROSSTAB_XLSX.path(out_dir, part), {"crosstab": published, "notes": notes}),
        "internal": write_csv(result.internal, CROSSTAB_INTERNAL.path(out_dir, part), raw=raw),
    }


def crosstab_project(
    ctx: RunContext, by: str, question: str | None = None, suppress_below: int | None = None,
    codes: str | Path | None = None, coder: str | None = None, raw: bool | None = None,
) -> CrosstabRun:
    """Crosstab the merged codes by ``by``; write outputs and a manifest into the run's folder.

    ``raw`` (default: ``[export] raw``) writes the CSVs without formula neutralisation.
    """
    from themeloop.audit.manifest import write_stage_manifest

    project = ctx.project
    dataset, codes_path = load_merged(ctx, codes, None, coder)
    threshold = project.config.crosstab.suppress_below if suppress_below is None else suppress_below
    result = crosstab(dataset, by, question, threshold, random_state=project.config.seed)
    out_dir = ctx.out_dir
    outputs = write_crosstab(result, out_dir, raw=resolve_raw(raw, project))
    path = write_stage_manifest(
        CROSSTAB_MANIFEST.path(out_dir, slug(by)), "crosstab",
        inputs=_inputs(project, codes_path, _companions(ctx, codes_path, True)),
        outputs=outputs.values(),
        config={"by": by, "question": question, "suppress_below": threshold, "coder": coder},
        seeds={"monte_carlo": project.config.seed}, codebook_version=dataset.codebook_version,
        relative_to=project.root,
    )
    part = slug(by)
    for artifact, written in zip((CROSSTAB_CSV, CROSSTAB_XLSX, CROSSTAB_INTERNAL),
                                 outputs.values()):
        ctx.record(artifact, written, part)
    ctx.record(CROSSTAB_MANIFEST, path, part)
    return CrosstabRun(result, outputs, path)


__all__ = ["FORMATS", "CrosstabRun", "MergeRun", "crosstab_project", "default_codes_path",
           "load_merged", "merge_project", "write_crosstab"]
