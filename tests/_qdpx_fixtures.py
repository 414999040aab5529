"""Shared set-up for the REFI-QDA tests: the sample project's layers in a temporary out/."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pandas as pd

DATA = Path(__file__).resolve().parent / "data" / "qdpx"


def zip_folder(folder: Path, target: Path) -> Path:
    """Zip a fixture folder (project.qde + sources/) into a .qdpx."""
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as zf:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                zf.write(path, path.relative_to(folder).as_posix())
    return target


def fixture_qdpx(name: str, tmp_path: Path) -> Path:
    return zip_folder(DATA / name, tmp_path / f"{name}.qdpx")


def write_run_outputs(project, out_dir: Path) -> Path:
    """agreed.csv (by the project's rule) and a small assignments.csv + themes.json in ``out_dir``.

    The model's assignments name one theme the codebook lacks (``t_online``) and
    leave one answer unassigned, as ``themeloop themes`` does.
    """
    from themeloop.adjudicate import adjudicate, write_adjudication
    from themeloop.coding import read_coding_table

    table = read_coding_table(project.coding_table_path)
    write_adjudication(adjudicate(table, project.config.adjudication.rule), out_dir)
    assignments = pd.DataFrame({
        "response_id": ["ORG01:barriers", "ORG02:barriers", "ORG03:barriers", "ORG01:practice"],
        "question": ["barriers", "barriers", "barriers", "practice"],
        "theme_id": ["funding", "risk_aversion", "unassigned", "t_online"],
        "score": ["0.91", "0.62", "", "0.55"],
    })
    assignments.to_csv(out_dir / "assignments.csv", index=False)
    themes = {"questions": {"practice": {"themes": [
        {"id": "t_online", "label": "Online groups", "description": "Support moved online."}]}}}
    (out_dir / "themes.json").write_text(json.dumps(themes), encoding="utf-8")
    return out_dir
