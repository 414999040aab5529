"""Agreement as one library call: compute, write every file, record a manifest.

Both ``themeloop agreement`` and ``themeloop run`` use :func:`run_agreement`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from themeloop._io import write_text_atomic
from themeloop.safe_csv import write_csv

if TYPE_CHECKING:
    import pandas as pd

    from themeloop.agreement.compute import AgreementReport
    from themeloop.config import Project


@dataclass
class AgreementRun:
    """What an agreement run computed and wrote (manifest last in ``paths``)."""

    report: AgreementReport
    model: dict[str, Any] | None
    paths: list[Path]


def agreement_settings(
    project: Project | None, level: str | None = None, bootstrap: int | None = None,
    seed: int | None = None,
) -> dict[str, Any]:
    """The project's ``[agreement]`` settings (or defaults), overridden by arguments."""
    cfg = project.config.agreement if project is not None else None
    return {
        "level": level or (cfg.level if cfg else "nominal"),
        "bootstrap": bootstrap if bootstrap is not None else (cfg.bootstrap if cfg else 1000),
        "seed": seed if seed is not None else (project.config.seed if project else 42),
        "min_units": cfg.min_units if cfg else 30,
        "min_prevalence": cfg.min_prevalence if cfg else 0.05,
    }


def _dump(data: dict[str, Any]) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def sibling(path: Path, suffix: str) -> Path:
    """``agreement.json`` -> ``agreement_<suffix>.json``."""
    return path.with_name(f"{path.stem}_{suffix}.json")


def run_agreement(
    table: pd.DataFrame,
    *,
    table_path: Path,
    settings: dict[str, Any],
    json_out: Path | None = None,
    csv_out: Path | None = None,
    disagreements_out: Path | None = None,
    responses: pd.DataFrame | None = None,
    question: str | None = None,
    root: Path | None = None,
    raw: bool = False,
) -> AgreementRun:
    """Compute agreement (and model vs human when the table has model rows) and write files.

    Writes ``json_out`` (DESIGN.md's agreement JSON), ``<stem>_notes.json``,
    ``<stem>_model.json`` (when there are model rows), ``csv_out``, the
    disagreements CSV and ``<stem>.manifest.json``, each atomically. The CSVs
    are neutralised against formula injection unless ``raw`` (see
    :mod:`themeloop.safe_csv`).
    """
    from themeloop.agreement import agreement_report, model_vs_human
    from themeloop.agreement.export import flat_table

    report = agreement_report(table, question=question, **settings)
    model = None
    if "source" in table.columns and (table["source"] == "model").any():
        model = model_vs_human(table, level=settings["level"], bootstrap=settings["bootstrap"],
                               seed=settings["seed"], question=question)
    paths: list[Path] = []
    if json_out is not None:
        paths.append(write_text_atomic(json_out, _dump(report.result)))
        paths.append(write_text_atomic(sibling(json_out, "notes"), _dump(report.notes)))
        if model is not None:
            paths.append(write_text_atomic(sibling(json_out, "model"), _dump(model)))
    if csv_out is not None:
        frame = flat_table(report.result, report.notes)
        paths.append(write_csv(frame, csv_out, raw=raw))
    if disagreements_out is not None:
        from themeloop.agreement import disagreements

        found = disagreements(table, responses)
        paths.append(write_csv(found, disagreements_out, raw=raw))
    if json_out is not None and paths:
        paths.append(_manifest(json_out, table_path, paths, settings, root))
    return AgreementRun(report, model, paths)


def _manifest(json_out: Path, table_path: Path, outputs: list[Path], settings: dict,
              root: Path | None) -> Path:
    from themeloop.audit.manifest import build_manifest, write_manifest

    manifest = build_manifest(
        "agreement", inputs={"coding_table": table_path}, outputs=outputs,
        config={k: settings[k] for k in ("level", "bootstrap", "min_units", "min_prevalence")},
        seeds={"bootstrap": settings["seed"]}, relative_to=root or json_out.parent,
    )
    return write_manifest(json_out.with_name(f"{json_out.stem}.manifest.json"), manifest)
