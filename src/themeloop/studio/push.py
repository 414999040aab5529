"""``themeloop push``: one Label Studio project per question, its tasks and the model's suggestions.

Only substantive answers become tasks. Task data is ``response_id``,
``question``, ``text`` and only the attributes named in ``[studio]
task_attributes`` (none by default, so coding is blind). Suggestions come from
the themes step (``<out>/assignments.csv``, run id from ``themes.json``): only
themes that are codes of the codebook are suggested.
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from themeloop.errors import CodebookError, StudioError
from themeloop.pipeline.artifacts import ASSIGNMENTS, THEMES_JSON
from themeloop.progress import Progress, no_progress
from themeloop.studio.config_sync import ConfigChange, sync_label_config
from themeloop.studio.projects import Registry, ensure_project
from themeloop.studio.server import StudioPaths
from themeloop.studio.sync import PushStats, push_tasks
from themeloop.studio.tasks import attribute_values, build_tasks, cell_text, choices_result

if TYPE_CHECKING:
    from themeloop.studio.client import LabelStudioClient

__all__ = ["PushResult", "attribute_values", "build_tasks", "cell_text", "choices_result",
           "load_predictions", "push", "question_config"]

PUSHED_CODEBOOK = "codebook.pushed.yaml"


@dataclass
class QuestionPush:
    """What push did for one question."""

    question: str
    project_id: int
    created: bool
    tasks: int
    stats: PushStats
    config: ConfigChange
    model_version: str | None

    def as_dict(self) -> dict[str, Any]:
        return {"question": self.question, "project_id": self.project_id,
                "created": self.created, "tasks": self.tasks, **self.stats.as_dict(),
                "config_updated": self.config.updated, "codes_added": self.config.added,
                "codes_removed": self.config.removed, "codings_migrated": len(self.config.migrated),
                "model_version": self.model_version}


@dataclass
class PushResult:
    url: str
    questions: list[QuestionPush] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"url": self.url, "questions": [q.as_dict() for q in self.questions],
                "notes": self.notes}


def load_predictions(out_dir: Path, qid: str, code_ids: list[str]) -> tuple[dict, str] | None:
    """Suggestions for ``qid`` from ``assignments.csv``: ``(response_id -> [prediction], run_id)``.

    Returns None when the themes step has not run (no assignments.csv or themes.json).
    """
    import pandas as pd

    assignments, themes = ASSIGNMENTS.path(out_dir), THEMES_JSON.path(out_dir)
    if not assignments.is_file() or not themes.is_file():
        return None
    try:
        run_id = str(json.loads(themes.read_text(encoding="utf-8"))["run_id"])
        from themeloop.safe_csv import read_csv

        table = read_csv(assignments, dtype={"response_id": str, "question": str,
                                             "theme_id": str})
    except (ValueError, KeyError, OSError) as exc:
        raise StudioError(f"{out_dir}: cannot read the themes step's output ({exc}); "
                          "run 'themeloop themes' again") from None
    missing = {"response_id", "question", "theme_id"} - set(table.columns)
    if missing:
        raise StudioError(f"{assignments}: missing column(s) {', '.join(sorted(missing))}; "
                          "run 'themeloop themes' again")
    known = set(code_ids)
    table = table[(table["question"] == qid) & table["theme_id"].isin(known)]
    scores = pd.to_numeric(table.get("score", pd.Series(dtype=float)), errors="coerce")
    out: dict[str, list[dict[str, Any]]] = {}
    for rid, group in table.assign(_score=scores).groupby("response_id", sort=False):
        codes = list(dict.fromkeys(group["theme_id"]))
        best = group["_score"].max()
        prediction: dict[str, Any] = {"model_version": run_id, "result": choices_result(codes)}
        if not math.isnan(best):
            prediction["score"] = float(best)
        out[str(rid)] = [prediction]
    return out, run_id


def push(project, *, question: str | None = None, predictions: bool | None = None,
         recreate: bool = False, batch_size: int | None = None,
         progress: Progress = no_progress, url: str | None = None) -> PushResult:
    """Push the project's questions (or one) to Label Studio.

    Raises
    ------
    StudioError, CodebookError, ConfigError
        One line each; nothing local is written before the server accepted the work.
    """
    from themeloop.codebook import load_codebook
    from themeloop.studio.client import session
    from themeloop.survey import load_project_survey

    cfg = project.config.studio
    codebook = load_codebook(project.codebook_path)
    qids = _questions(project, codebook, question)
    survey = load_project_survey(project)
    use_predictions = cfg.predictions if predictions is None else predictions
    paths = StudioPaths.for_project(project)
    old_codebook = _pushed_codebook(paths)
    with session(project, url=url) as (client, conn):
        registry = Registry.load(paths.projects)
        result = PushResult(conn.url)
        for qid in qids:
            result.questions.append(_push_question(
                client, conn.url, registry, project, survey, codebook, old_codebook, qid,
                use_predictions, recreate, batch_size or cfg.batch_size, progress, result.notes))
    remember_codebook(codebook, paths)
    return result


def _questions(project, codebook, question: str | None) -> list[str]:
    ids = [q.id for q in project.config.questions]
    if question is not None:
        project.config.question(question)  # ConfigError with did-you-mean
        if not codebook.code_ids(question):
            raise CodebookError(f"{project.codebook_path}: question '{question}' has no codes; "
                                "add codes before pushing it to Label Studio")
        return [question]
    with_codes = [q for q in ids if q in codebook.questions and codebook.code_ids(q)]
    if not with_codes:
        raise CodebookError(f"{project.codebook_path}: no question has codes; "
                            "add codes before pushing to Label Studio")
    return with_codes


def _pushed_codebook(paths: StudioPaths):
    from themeloop.codebook import load_codebook

    path = paths.root / PUSHED_CODEBOOK
    if not path.is_file():
        return None
    try:
        return load_codebook(path)
    except CodebookError:
        return None


def question_config(project, codebook, qid: str) -> str:
    """The labeling config push gives question ``qid``'s project."""
    from themeloop.codebook import label_config

    prompt = project.config.question(qid).prompt or None
    return label_config(codebook, qid, project.config.studio.task_attributes, prompt=prompt)


def _push_question(client: LabelStudioClient, url, registry, project, survey, codebook, old_codebook, qid,
                   use_predictions, recreate, batch_size, progress, notes) -> QuestionPush:
    cfg = project.config.studio
    ls_project, created, change = open_project(client, url, registry, project, codebook,
                                               old_codebook, qid, recreate)
    predictions, run_id = None, None
    if use_predictions:
        loaded = load_predictions(project.out_dir, qid, codebook.code_ids(qid))
        if loaded is None:
            notes.append(f"{qid}: no {project.out_dir.name}/{ASSIGNMENTS.name} and "
                         f"{THEMES_JSON.name}; pushed without suggestions (run 'themeloop themes' for them)")
        else:
            predictions, run_id = loaded
    tasks = build_tasks(survey, qid, cfg.task_attributes)
    stats = push_tasks(client, int(ls_project.id), tasks, predictions, batch_size=batch_size,
                       progress=lambda task, done, total: progress(f"{qid}: {task}", done, total))
    entry = registry.entry(url, qid) or {"id": int(ls_project.id)}
    registry.set(url, qid, {**entry, "codebook_version": codebook.version})
    return QuestionPush(qid, int(ls_project.id), created, len(tasks), stats, change, run_id)


def open_project(client: LabelStudioClient, url: str, registry: Registry, project, codebook,
                 old_codebook, qid: str, recreate: bool) -> tuple[Any, bool, ConfigChange]:
    """Question ``qid``'s Label Studio project, created or with its config brought up to date.

    Returns ``(project, created, change)``; migrated codings are recorded in the ledger.
    """
    cfg = project.config.studio
    config = question_config(project, codebook, qid)
    ls_project, created = ensure_project(client, registry, url, qid, label_config=config,
                                         maximum_annotations=cfg.n_coders, recreate=recreate)
    change = ConfigChange()
    if not created:
        change = sync_label_config(client, ls_project, qid, config, old_codebook=old_codebook,
                                   new_codebook=codebook, maximum_annotations=cfg.n_coders)
        if change.migrated:
            _record_migration(project, change, codebook.version)
    return ls_project, created, change


def pushed_codebook(paths: StudioPaths):
    """The codebook of the last push (what the projects' configs were made from), or None."""
    return _pushed_codebook(paths)


def remember_codebook(codebook, paths: StudioPaths) -> None:
    """Keep ``codebook`` as the one the projects' configs now follow."""
    from themeloop.codebook import save_codebook

    os.chmod(save_codebook(codebook, paths.root / PUSHED_CODEBOOK), 0o600)  # a private folder


def _record_migration(project, change: ConfigChange, version: str) -> None:
    """Record migrated codings in the audit ledger (``action="migrated"``)."""
    try:
        from themeloop.audit.ledger import events_from_migration
        from themeloop.audit.project import project_ledger
    except ImportError:  # the ledger is optional
        return
    events = events_from_migration(change.migrated, None, version,
                                   timestamp=change.migrated[0]["timestamp"],
                                   actor="themeloop push")
    project_ledger(project).append(events)
