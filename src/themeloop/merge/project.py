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

from themeloop._io import write_text_atomic
from themeloop.config import Project
from themeloop.merge.core import MergedDataset, build_merged
from themeloop.merge.crosstab import CrosstabResult, crosstab
from themeloop.merge.exports import FORMATS, export_all, stat_rename_map
from themeloop.merge.inputs import load_project_codebook, read_agreed_table
from themeloop.merge.xlsx import write_sheets
from themeloop.safe_csv import resolve_raw, write_csv

AGREED_NAME = "agreed.csv"


@dataclass
class MergeRun:
    """What ``themeloop merge`` produced."""

    dataset: MergedDataset
    outputs: dict[str, Path]
    report: dict[str, object]
    manifest: Path


@dataclass
class CrosstabRun:
    """What ``themeloop crosstab`` produced."""

    result: CrosstabResult
    outputs: dict[str, Path]
    manifest: Path


def default_codes_path(project: Project) -> Path:
    """The adjudication output: ``<out>/agreed.csv``."""
    return project.out_dir / AGREED_NAME


def load_merged(
    project: Project, codes: str | Path | None = None, allow_unknown_codes: bool | None = None,
    coder: str | None = None,
) -> tuple[MergedDataset, Path]:
    """Survey + agreed table + codebook of ``project``, merged; also the table's path."""
    from themeloop.survey import load_project_survey

    path = Path(codes) if codes else default_codes_path(project)
    allow = _allow(project, allow_unknown_codes)
    survey = load_project_survey(project)
    table = read_agreed_table(path)
    codebook = load_project_codebook(project.codebook_path)
    dataset = build_merged(survey, table, codebook, allow, coder=coder, source=path.name)
    return dataset, path


def _allow(project: Project, flag: bool | None) -> bool:
    """``--allow-unknown-codes`` when given, else ``[merge] allow_unknown_codes``."""
    return project.config.merge.allow_unknown_codes if flag is None else flag


def _inputs(project: Project, codes: Path) -> dict[str, Path]:
    inputs = {"survey": project.survey_path, "codes": codes}
    if project.codebook_path.is_file():
        inputs["codebook"] = project.codebook_path
    return inputs


def merge_project(
    project: Project, codes: str | Path | None = None, out: str | Path | None = None,
    allow_unknown_codes: bool | None = None, formats: Iterable[str] | None = None,
    coder: str | None = None, raw: bool | None = None,
) -> MergeRun:
    """Merge the project's agreed codes and write every export, a report and a manifest.

    ``raw`` (default: ``[export] raw``) writes the CSV without formula neutralisation.
    """
    from themeloop.audit.manifest import build_manifest, write_manifest

    dataset, codes_path = load_merged(project, codes, allow_unknown_codes, coder)
    out_dir = Path(out) if out else project.out_dir
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
        out_dir / "merge_report.json", json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    manifest = build_manifest(
        "merge", inputs=_inputs(project, codes_path), outputs=outputs.values(),
        config={"allow_unknown_codes": _allow(project, allow_unknown_codes), "coder": coder,
                "formats": [f for f in outputs if f != "report"]},
        codebook_version=dataset.codebook_version, relative_to=project.root,
    )
    path = write_manifest(out_dir / "merge.manifest.json", manifest)
    return MergeRun(dataset, outputs, report, path)


def _slug(text: str) -> str:
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
    stem = f"crosstab_{_slug(result.by)}"
    published = _rounded(result.published())
    notes = pd.DataFrame({"item": ["by", "suppress_below", "respondents without a value"],
                          "value": [result.by, result.suppress_below, result.n_without_group]})
    return {
        "csv": write_csv(published, out_dir / f"{stem}.csv", raw=raw),
        "xlsx": write_sheets(out_dir / f"{stem}.xlsx", {"crosstab": published, "notes": notes}),
        "internal": write_csv(result.internal, out_dir / f"{stem}__INTERNAL_unsuppressed.csv",
                              raw=raw),
    }


def crosstab_project(
    project: Project, by: str, question: str | None = None, suppress_below: int | None = None,
    out: str | Path | None = None, codes: str | Path | None = None, coder: str | None = None,
    raw: bool | None = None,
) -> CrosstabRun:
    """Crosstab the project's merged codes by ``by``; write outputs and a manifest.

    ``raw`` (default: ``[export] raw``) writes the CSVs without formula neutralisation.
    """
    from themeloop.audit.manifest import build_manifest, write_manifest

    dataset, codes_path = load_merged(project, codes, None, coder)
    threshold = project.config.crosstab.suppress_below if suppress_below is None else suppress_below
    result = crosstab(dataset, by, question, threshold, random_state=project.config.seed)
    out_dir = Path(out) if out else project.out_dir
    outputs = write_crosstab(result, out_dir, raw=resolve_raw(raw, project))
    manifest = build_manifest(
        "crosstab", inputs=_inputs(project, codes_path), outputs=outputs.values(),
        config={"by": by, "question": question, "suppress_below": threshold, "coder": coder},
        seeds={"monte_carlo": project.config.seed}, codebook_version=dataset.codebook_version,
        relative_to=project.root,
    )
    path = write_manifest(out_dir / f"crosstab_{_slug(by)}.manifest.json", manifest)
    return CrosstabRun(result, outputs, path)


__all__ = ["FORMATS", "CrosstabRun", "MergeRun", "crosstab_project", "default_codes_path",
           "load_merged", "merge_project", "write_crosstab"]
