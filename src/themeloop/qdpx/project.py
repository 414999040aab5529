"""The project-level entry points: export a project's .qdpx, import one into a project.

:func:`write_project_qdpx` reads what earlier stages wrote in ``out_dir``
(``agreed.csv``, ``assignments.csv``, ``themes.json``) and the project's coding
table, takes every answer's text from the project's loaded survey (so, with
privacy enabled, the pseudonymised text) and writes ``out_dir/project.qdpx``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

from themeloop.config import Project
from themeloop.errors import QdpxError
from themeloop.pipeline.artifacts import (
    AGREED,
    ASSIGNMENTS,
    MODEL_CODING,
    QDC,
    QDPX,
    THEMES_JSON,
)
from themeloop.qdpx.export import LAYER_CHOICES, LAYERS, ExportInput, ExportSummary, write_qdpx

if TYPE_CHECKING:
    import pandas as pd

    from themeloop.codebook.model import Codebook
    from themeloop.qdpx.importer import QdpxImport
    from themeloop.survey.model import Survey

QDPX_NAME = QDPX.name


def write_project_qdpx(project: Project, out_dir: str | Path | None = None, *,
                       layer: str = "all", out: str | Path | None = None,
                       survey: Survey | None = None) -> Path:
    """Write ``<out_dir>/project.qdpx`` for ``project`` and return its path.

    See :func:`export_project_qdpx` for the parameters.
    """
    return export_project_qdpx(project, out_dir, layer=layer, out=out, survey=survey).path


def export_project_qdpx(project: Project, out_dir: str | Path | None = None, *,
                        layer: str = "all", out: str | Path | None = None,
                        survey: Survey | None = None) -> ExportSummary:
    """Export ``project`` as a .qdpx and say what it holds.

    Parameters
    ----------
    project : the project; its survey gives the answers' texts and attributes.
    out_dir : the run's output folder, where ``agreed.csv`` and ``assignments.csv``
        are read (default: the project's ``out/``).
    layer : ``agreed`` (agreed.csv), ``coders`` (the coding table), ``model``
        (the autocoder's model_coding.csv and the themes' assignments.csv, each
        model a User of its own) or ``all`` (every one of them that exists).
    out : the .qdpx to write (default ``<out_dir>/project.qdpx``).
    survey : the project's survey, if already loaded (a run passes its own);
        else it is loaded here (with privacy enabled, pseudonymised).

    Raises
    ------
    QdpxError
        For an unknown layer, or when the layer asked for has no file yet.
    """
    from themeloop.survey import load_project_survey

    if layer not in LAYER_CHOICES:
        from themeloop.errors import did_you_mean

        raise QdpxError(f"unknown layer '{layer}'{did_you_mean(layer, LAYER_CHOICES)}; "
                        f"use one of {', '.join(LAYER_CHOICES)}")
    out_dir = Path(out_dir) if out_dir is not None else project.out_dir
    layers, labels, notes = _layers(project, out_dir, layer)
    if survey is None:
        survey = load_project_survey(project)
    responses = survey.responses()
    attributes = survey.frame[list(survey.attributes)].copy()
    attributes.insert(0, "respondent_id", survey.ids)
    codebook = None
    if project.codebook_path.is_file():
        from themeloop.codebook import load_codebook

        codebook = load_codebook(project.codebook_path)
    else:
        notes.append(f"no codebook at {project.codebook_path}: codes are named by their ids")
    data = ExportInput(
        name=project.root.name, responses=responses, layers=layers, codebook=codebook,
        prompts={q.id: q.prompt for q in project.config.questions},
        attributes=attributes, extra_labels=labels,
    )
    summary = write_qdpx(data, Path(out) if out is not None else QDPX.path(out_dir))
    if notes:
        from dataclasses import replace

        summary = replace(summary, notes=(*notes, *summary.notes))
    return summary


def _layers(project: Project, out_dir: Path, layer: str
            ) -> tuple[dict[str, pd.DataFrame], dict[tuple[str, str], tuple[str, str]], list[str]]:
    files = {"agreed": [AGREED.path(out_dir)], "coders": [project.coding_table_path],
             "model": [MODEL_CODING.path(out_dir), ASSIGNMENTS.path(out_dir)]}
    hints = {"agreed": "run 'themeloop adjudicate'", "coders": "run 'themeloop pull'",
             "model": "run 'themeloop themes'"}
    wanted = LAYERS if layer == "all" else (layer,)
    layers: dict[str, pd.DataFrame] = {}
    notes: list[str] = []
    for name in wanted:
        paths = [p for p in files[name] if p.is_file()]
        if not paths:
            path = files[name][-1]
            if layer != "all":
                raise QdpxError(f"{path}: no such file for layer '{name}'; {hints[name]} first")
            notes.append(f"layer '{name}' left out: no {path.name} yet ({hints[name]})")
            continue
        layers[name] = _read_layer(name, paths)
    if not layers:
        every = [p for paths in files.values() for p in paths]
        raise QdpxError(f"nothing to export: none of {', '.join(str(p) for p in every)} "
                        "exists; run 'themeloop run' first")
    labels = _theme_labels(THEMES_JSON.path(out_dir)) if "model" in layers else {}
    return layers, labels, notes


def _read_layer(name: str, paths: list[Path]) -> pd.DataFrame:
    import pandas as pd

    from themeloop.coding import read_coding_table

    if name != "model":
        return read_coding_table(paths[0])
    return pd.concat([_model_table(p) for p in paths], ignore_index=True)


def _model_table(path: Path) -> pd.DataFrame:
    """The autocoder's codes (each with its score as a memo), or the themes' assignments."""
    from themeloop.coding import assignments_to_coding, read_coding_table
    from themeloop.safe_csv import read_csv

    if path.name == MODEL_CODING.name:
        table = read_coding_table(path)
        table["source"] = "model"
        table["memo"] = [_score_memo(s, t) for s, t in zip(
            table.get("score", [None] * len(table)), table.get("threshold", [None] * len(table)))]
        return table
    try:
        table = read_csv(path)
    except (ValueError, OSError) as exc:
        raise QdpxError(f"{path}: cannot be read as assignments: {exc}") from None
    return assignments_to_coding(table)


def _score_memo(score: object, threshold: object) -> str:
    """'model score 0.91, threshold 0.42' (empty where the model gave no code).

    >>> _score_memo("0.912", 0.42), _score_memo("", None)
    ('model score 0.91, threshold 0.42', '')
    """
    def number(value: object) -> float | None:
        try:
            result = float(value)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            return None
        return None if result != result else result  # NaN

    s, t = number(score), number(threshold)
    if s is None:
        return ""
    return f"model score {s:.2f}" + (f", threshold {t:.2f}" if t is not None else "")


def _theme_labels(path: Path) -> dict[tuple[str, str], tuple[str, str]]:
    """``(question, theme id)`` -> ``(label, description)`` from themes.json, if it is there."""
    if not path.is_file():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, OSError):
        return {}
    labels = {}
    for qid, q in (data.get("questions") or {}).items():
        for theme in q.get("themes") or []:
            labels[(qid, str(theme.get("id")))] = (str(theme.get("label") or theme.get("id")),
                                                  str(theme.get("description") or ""))
    return labels


def export_project_qdc(project: Project, out: str | Path | None = None) -> Path:
    """Write the project's codebook as ``<out>/codebook.qdc`` (default: the project's ``out/``)."""
    from themeloop.codebook import load_codebook
    from themeloop.qdpx.qdc import write_qdc

    codebook = load_codebook(project.codebook_path)
    target = Path(out) if out is not None else QDC.path(project.out_dir)
    return write_qdc(codebook, target, project.root.name,
                     prompts={q.id: q.prompt for q in project.config.questions})


def import_qdc(
    file: str | Path, target: str | Path, *, project: Project | None = None,
    question: str | None = None, force: bool = False,
) -> tuple[Path, list[str]]:
    """Read ``file`` (.qdc) and write it as ``target`` (codebook.yaml); returns notes too.

    Raises
    ------
    QdpxError
        If ``target`` exists and ``force`` is false, or the codebook it would
        write fails the codebook's integrity checks.
    """
    from themeloop.codebook import save_codebook
    from themeloop.qdpx.qdc import read_qdc

    target = Path(target)
    if target.exists() and not force:
        raise QdpxError(f"{target}: already exists; pass --force to replace it, or --out "
                        "another file")
    questions = [q.id for q in project.config.questions] if project is not None else None
    reference = None
    if project is not None and project.codebook_path.is_file():
        from themeloop.codebook import load_codebook

        reference = load_codebook(project.codebook_path, strict=False)
    codebook, notes = read_qdc(file, questions=questions, question=question, reference=reference)
    _check_imported(codebook, file)
    return save_codebook(codebook, target), notes


def _check_imported(codebook: Codebook, file: str | Path) -> None:
    """Refuse a codebook that load_codebook would refuse (bad ids, parent cycles)."""
    from themeloop.codebook import check_codebook
    from themeloop.codebook.check import BLOCKING

    blocking = [p for p in check_codebook(codebook) if p.kind in BLOCKING]
    if blocking:
        raise QdpxError(f"{file}: the codebook it holds cannot be used: {blocking[0].message}")


def import_project_qdpx(
    file: str | Path, *, project: Project | None = None, out: str | Path | None = None,
    codebook_out: str | Path | None = None, question: str | None = None,
) -> tuple[QdpxImport, list[Path]]:
    """Import ``file`` (.qdpx): write its coding table and, if asked, its codebook.

    With a project, answers map to the project's responses (by name, then by
    text) and codes take ids from its codebook's labels. ``out`` defaults to
    ``<file without .qdpx>.coding_table.csv`` beside ``file``.
    """
    from themeloop._io import write_with
    from themeloop.qdpx.importer import read_qdpx

    file = Path(file)
    responses = reference = None
    if project is not None:
        from themeloop.survey import load_project_survey

        responses = load_project_survey(project).responses()
        if project.codebook_path.is_file():
            from themeloop.codebook import load_codebook

            reference = load_codebook(project.codebook_path, strict=False)
    result = read_qdpx(file, responses=responses, reference=reference, question=question)
    target = Path(out) if out is not None else file.with_name(f"{file.stem}.coding_table.csv")
    written = [write_with(target, lambda p: result.table.to_csv(p, index=False))]
    if codebook_out is not None:
        from themeloop.codebook import save_codebook

        _check_imported(result.codebook, file)
        written.append(save_codebook(result.codebook, codebook_out))
    return result, written
