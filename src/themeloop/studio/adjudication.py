"""Adjudication in Label Studio: the disputed answers out, the adjudicator's decisions back.

:func:`push_adjudication` (``themeloop adjudicate --push``) sends the units a
rule leaves undecided (or, with ``all_disagreements``, every unit where the
coders' codes differ) to one Label Studio project per question, titled
``themeloop: <qid> (adjudication)`` and registered in ``projects.json`` under
``adjudication:<qid>``. The labeling config is the coding one plus a summary
of each coder's codes and memos; each coder's codes also come as a prediction
(``model_version`` = the coder's e-mail), so the adjudicator can start from
one. Like push it is idempotent: a unit already there is never sent twice.

``themeloop pull`` exports these projects too (:func:`export_adjudication`)
and writes the adjudicator's annotations into the coding table with
``source="adjudication"`` (:func:`adjudication_rows`). Agreement counts only
``source="human"`` rows, so its figures do not move; the rule
``adjudicator:EMAIL`` lets those rows decide the units they cover.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from themeloop.adjudicate.disputes import SOURCE, adjudicator_rows, coder_codings, disputed_units
from themeloop.errors import CodingTableError
from themeloop.progress import Progress, no_progress
from themeloop.studio.tasks import SUMMARY_KEY, adjudication_tasks, coders_summary

__all__ = ["SOURCE", "AdjudicationPush", "adjudication_config", "adjudication_tasks",
           "adjudicator_rows", "coder_codings", "coders_summary", "disputed_units",
           "export_adjudication", "push_adjudication", "registry_key"]

if TYPE_CHECKING:
    from themeloop.studio.client import LabelStudioClient
    pass

KEY_PREFIX = "adjudication:"
SUMMARY_NAME = "coders"
NOTHING = "no disagreements to adjudicate"


def registry_key(qid: str) -> str:
    """The ``projects.json`` key of question ``qid``'s adjudication project."""
    return f"{KEY_PREFIX}{qid}"


def project_title(qid: str) -> str:
    from themeloop.studio.projects import TITLE_PREFIX

    return f"{TITLE_PREFIX}{qid} (adjudication)"


def deleted_message(qid: str, project_id: int) -> str:
    return (f"adjudication project for question '{qid}' (id {project_id}) was deleted in "
            f"Label Studio; run 'themeloop adjudicate --push --question {qid} --recreate' to "
            "make a new one (decisions pulled before are in annotations/raw)")


@dataclass
class QuestionAdjudication:
    """What one question's adjudication push did."""

    question: str
    project_id: int
    project_url: str
    created: bool
    units: int
    imported: int
    existing: int

    def as_dict(self) -> dict[str, Any]:
        return {"question": self.question, "project_id": self.project_id,
                "project_url": self.project_url, "created": self.created, "units": self.units,
                "imported": self.imported, "existing": self.existing}


@dataclass
class AdjudicationPush:
    """What :func:`push_adjudication` did; ``questions`` is empty when nothing was disputed."""

    url: str | None
    rule: str
    questions: list[QuestionAdjudication] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def units(self) -> int:
        return sum(q.units for q in self.questions)

    def as_dict(self) -> dict[str, Any]:
        return {"url": self.url, "rule": self.rule, "units": self.units,
                "questions": [q.as_dict() for q in self.questions], "notes": self.notes}


# --------------------------------------------------------------------------- tasks


def adjudication_config(coding_config: str) -> str:
    """The coding config with the coders' codes shown under the answer (``$coders_summary``)."""
    from themeloop.codebook.label_config import TEXT_NAME

    view = ET.fromstring(coding_config)
    children = list(view)
    at = next((i for i, el in enumerate(children)
               if el.tag == "Text" and el.get("name") == TEXT_NAME), len(children) - 1)
    header = ET.Element("Header", value="What the coders chose", size="6")
    summary = ET.Element("Text", name=SUMMARY_NAME, value=f"${SUMMARY_KEY}")
    view.insert(at + 1, header)
    view.insert(at + 2, summary)
    ET.indent(view, space="  ")
    return ET.tostring(view, encoding="unicode") + "\n"


# --------------------------------------------------------------------------- push


def push_adjudication(project, *, rule: str | None = None, min_coders: int | None = None,
                      codes: Path | None = None, question: str | None = None,
                      all_disagreements: bool = False, recreate: bool = False,
                      url: str | None = None, progress: Progress = no_progress,
                      ) -> AdjudicationPush:
    """Send the disputed units of the coding table to Label Studio adjudication projects.

    Parameters
    ----------
    rule, min_coders
        The adjudication rule (default: ``[adjudication]`` in the config).
    codes
        The coding table (default: ``annotations/coding_table.csv``).
    question
        Only this question.
    all_disagreements
        Send every unit where the coders differ, not only the undecided ones.
    recreate
        Make a new project when the registered one was deleted in Label Studio.

    Returns
    -------
    AdjudicationPush
        With no questions (and no server contacted) when nothing is disputed.

    Raises
    ------
    StudioError, CodebookError, CodingTableError, AdjudicationError, ConfigError
    """
    from themeloop.adjudicate import parse_rule
    from themeloop.codebook import load_codebook
    from themeloop.coding import read_coding_table
    from themeloop.studio.client import session
    from themeloop.studio.projects import Registry
    from themeloop.studio.server import StudioPaths
    from themeloop.survey import load_project_survey

    cfg = project.config.adjudication
    rule = rule or cfg.rule
    min_coders = cfg.min_coders if min_coders is None else min_coders
    _, adjudicator = parse_rule(rule)
    codebook = load_codebook(project.codebook_path)
    table_path = Path(codes) if codes is not None else project.coding_table_path
    if codes is None and not table_path.is_file():
        raise CodingTableError.missing(table_path)
    table = read_coding_table(table_path)
    if question is not None:
        project.config.question(question)  # ConfigError with did-you-mean
        table = table[table["question"] == question]
    result = AdjudicationPush(None, rule)
    units = disputed_units(table, rule, min_coders, all_disagreements=all_disagreements)
    configured = [q.id for q in project.config.questions]
    outside = sorted(set(units["question"]) - set(configured))
    if outside:
        result.notes.append(f"question(s) {', '.join(outside)} of {table_path.name} are not in "
                            "themeloop.toml; their disputed units were not sent")
    by_question = {qid: list(units.loc[units["question"] == qid, "response_id"])
                   for qid in configured if (units["question"] == qid).any()}
    if not by_question:
        return result
    survey = load_project_survey(project)
    paths = StudioPaths.for_project(project)
    with session(project, url=url) as (client, conn):
        result.url = conn.url
        registry = Registry.load(paths.projects)
        for qid, rids in by_question.items():
            tasks, predictions = adjudication_tasks(
                survey, table, codebook, qid, rids,
                attributes=project.config.studio.task_attributes, exclude=adjudicator)
            result.questions.append(_push_question(
                client, conn.url, registry, project, codebook, qid, tasks, predictions,
                recreate, progress))
    return result


def _push_question(client: LabelStudioClient, url, registry, project, codebook, qid, tasks, predictions,
                   recreate, progress) -> QuestionAdjudication:
    from themeloop.studio.client import on_missing
    from themeloop.studio.config_sync import sync_label_config
    from themeloop.studio.projects import ensure_project
    from themeloop.studio.push import question_config
    from themeloop.studio.sync import push_tasks

    key = registry_key(qid)
    config = adjudication_config(question_config(project, codebook, qid))
    entry = registry.entry(url, key)
    if entry is not None and not recreate:
        with on_missing(deleted_message(qid, int(entry["id"]))):
            client.projects.get(int(entry["id"]))
    ls_project, created = ensure_project(client, registry, url, key, label_config=config,
                                         maximum_annotations=1, recreate=recreate,
                                         title=project_title(qid))
    if not created:
        sync_label_config(client, ls_project, qid, config, old_codebook=None,
                          new_codebook=codebook, maximum_annotations=1)
    pid = int(ls_project.id)
    stats = push_tasks(client, pid, tasks, predictions, batch_size=project.config.studio.batch_size,
                       progress=lambda task, done, total: progress(f"{qid}: {task}", done, total))
    entry = registry.entry(url, key) or {"id": pid}
    registry.set(url, key, {**entry, "codebook_version": codebook.version, "question": qid})
    return QuestionAdjudication(qid, pid, f"{url}/projects/{pid}/data", created, len(tasks),
                                stats.imported, stats.existing)


# --------------------------------------------------------------------------- pull


def export_adjudication(client: LabelStudioClient, registry, url: str, questions) -> dict[str, bytes]:
    """Snapshots of the adjudication projects of ``questions`` that were pushed: ``qid -> bytes``.

    Raises
    ------
    StudioError
        If a registered adjudication project was deleted in Label Studio.
    """
    from themeloop.studio.client import on_missing
    from themeloop.studio.sync import export_snapshot

    out: dict[str, bytes] = {}
    for qid in questions:
        entry = registry.entry(url, registry_key(qid))
        if entry is None:
            continue
        with on_missing(deleted_message(qid, int(entry["id"]))):
            client.projects.get(int(entry["id"]))
        out[qid] = export_snapshot(client, int(entry["id"]))
    return out


