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

from themeloop.errors import CodingTableError
from themeloop.progress import Progress, no_progress

if TYPE_CHECKING:
    import pandas as pd

KEY_PREFIX = "adjudication:"
SOURCE = "adjudication"
SUMMARY_NAME = "coders"
SUMMARY_KEY = "coders_summary"
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


# --------------------------------------------------------------------------- disputes


def disputed_units(table: pd.DataFrame, rule: str = "majority", min_coders: int = 1, *,
                   all_disagreements: bool = False) -> pd.DataFrame:
    """The ``question, response_id`` pairs that need an adjudicator, sorted.

    By default the units with any undecided decision under ``rule``. With
    ``all_disagreements`` every unit where the human coders' code sets differ
    (the adjudicator named by an ``adjudicator:EMAIL`` rule is not one of
    those coders), whatever the rule decided.

    A rule ``adjudicator:EMAIL`` whose adjudicator has decided nothing yet
    leaves open what the other coders do not agree on unanimously.
    """
    import pandas as pd

    from themeloop.adjudicate import adjudicate, parse_rule
    from themeloop.coding import judged_rows, validate_coding_table

    _, adjudicator = parse_rule(rule)
    table = validate_coding_table(table)
    keys = ["question", "response_id"]
    if all_disagreements:
        rows = judged_rows(table)
        if adjudicator is not None:
            rows = rows[rows["coder"] != adjudicator]
        sets = rows.groupby([*keys, "coder"])["code"].agg(lambda s: frozenset(s) - {""})
        n_sets = sets.groupby(level=keys).nunique()
        units = n_sets[n_sets > 1].index.to_frame(index=False)
    else:
        if adjudicator is not None and not _has_rows(table, adjudicator):
            rule = "unanimous"
        result = adjudicate(table, rule, min_coders=min_coders)
        units = result.undecided[keys].drop_duplicates()
    return pd.DataFrame(units, columns=keys).sort_values(keys).reset_index(drop=True)


def _has_rows(table: pd.DataFrame, coder: str) -> bool:
    from themeloop.coding import judged_rows

    rows = judged_rows(table, ("human", SOURCE))
    return bool((rows["coder"] == coder).any())


def adjudicator_rows(table: pd.DataFrame) -> dict[str, int]:
    """Adjudicators with ``source="adjudication"`` rows in ``table``: e-mail -> units decided."""
    from themeloop.coding import judged_rows

    if "source" not in table.columns:
        return {}
    rows = judged_rows(table, (SOURCE,))
    counts = rows.drop_duplicates(["coder", "question", "response_id"])["coder"].value_counts()
    return {str(k): int(v) for k, v in sorted(counts.items())}


# --------------------------------------------------------------------------- tasks


def coder_codings(table: pd.DataFrame, qid: str, rids: set[str],
                  exclude: str | None = None) -> dict[str, dict[str, dict[str, Any]]]:
    """``response_id -> coder -> {"codes": [...], "memo": str, "unclear": bool}`` (humans only)."""
    from themeloop.coding import judged_rows

    rows = judged_rows(table)
    rows = rows[(rows["question"] == qid) & rows["response_id"].isin(rids)]
    if exclude is not None:
        rows = rows[rows["coder"] != exclude]
    out: dict[str, dict[str, dict[str, Any]]] = {}
    for (rid, coder), group in rows.groupby(["response_id", "coder"], sort=True):
        codes = list(dict.fromkeys(c for c in group["code"] if c))
        memos = (list(dict.fromkeys(m for m in group["memo"] if m))
                 if "memo" in group.columns else [])
        unclear = bool(group["unclear"].any()) if "unclear" in group.columns else False
        out.setdefault(str(rid), {})[str(coder)] = {
            "codes": codes, "memo": "\n".join(memos), "unclear": unclear}
    return out


def coders_summary(codings: dict[str, dict[str, Any]], codebook, qid: str) -> str:
    """One line per coder: ``email: Label [id], Label [id]; memo: "..." (unclear)``."""
    known = set(codebook.code_ids(qid)) if qid in codebook.questions else set()
    lines = []
    for coder, coding in sorted(codings.items()):
        codes = [f"{codebook.label(qid, c)} [{c}]" if c in known else f"[{c}] (not in codebook)"
                 for c in coding["codes"]]
        line = f"{coder}: {', '.join(codes) if codes else 'no code'}"
        if coding["memo"]:
            line += f'; memo: "{" / ".join(coding["memo"].splitlines())}"'
        if coding["unclear"]:
            line += " (flagged unclear)"
        lines.append(line)
    return "\n".join(lines)


def adjudication_tasks(survey, table: pd.DataFrame, codebook, qid: str, rids: list[str], *,
                       attributes: list[str] = (), exclude: str | None = None,
                       ) -> tuple[list[dict[str, Any]], dict[str, list[dict[str, Any]]]]:
    """Tasks (``response_id, question, text, coders_summary`` and attributes) and predictions.

    Each coder of a unit gives one prediction: ``model_version`` = their
    e-mail, result = the codes they ticked (empty when they applied none).
    """
    from themeloop.codebook import attribute_key
    from themeloop.studio.push import attribute_values, cell_text, choices_result

    responses = survey.responses()
    responses = responses[responses["question"] == qid]
    text = dict(zip(responses["response_id"], responses["text"]))
    respondent = dict(zip(responses["response_id"], responses["respondent_id"]))
    values = attribute_values(survey, attributes)
    codings = coder_codings(table, qid, set(rids), exclude=exclude)
    tasks, predictions = [], {}
    for rid in rids:
        unit = codings.get(rid, {})
        answer = text.get(rid)
        data = {"response_id": rid, "question": qid,
                "text": cell_text(answer),
                SUMMARY_KEY: coders_summary(unit, codebook, qid)}
        for attr in attributes:
            data[attribute_key(attr)] = values[attr].get(respondent.get(rid), "")
        tasks.append({"data": data})
        predictions[rid] = [{"model_version": coder,
                             "result": choices_result(c["codes"]) if c["codes"] else []}
                            for coder, c in sorted(unit.items())]
    return tasks, predictions


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


def _push_question(client, url, registry, project, codebook, qid, tasks, predictions,
                   recreate, progress) -> QuestionAdjudication:
    from themeloop.studio.client import studio_errors
    from themeloop.studio.config_sync import sync_label_config
    from themeloop.studio.projects import ensure_project
    from themeloop.studio.push import question_config
    from themeloop.studio.sync import push_tasks

    key = registry_key(qid)
    config = adjudication_config(question_config(project, codebook, qid))
    entry = registry.entry(url, key)
    if entry is not None and not recreate:
        with studio_errors(missing=deleted_message(qid, int(entry["id"]))):
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


def export_adjudication(client, registry, url: str, questions) -> dict[str, bytes]:
    """Snapshots of the adjudication projects of ``questions`` that were pushed: ``qid -> bytes``.

    Raises
    ------
    StudioError
        If a registered adjudication project was deleted in Label Studio.
    """
    from themeloop.studio.client import studio_errors
    from themeloop.studio.sync import export_snapshot

    out: dict[str, bytes] = {}
    for qid in questions:
        entry = registry.entry(url, registry_key(qid))
        if entry is None:
            continue
        with studio_errors(missing=deleted_message(qid, int(entry["id"]))):
            client.projects.get(int(entry["id"]))
        out[qid] = export_snapshot(client, int(entry["id"]))
    return out


def adjudication_rows(export: list[dict[str, Any]], qid: str, code_ids: set[str],
                      codebook_version: str) -> list[dict[str, Any]]:
    """Coding-table rows of the adjudicator's annotations: ``source="adjudication"``.

    The coder is the adjudicator's e-mail; status, timestamp, memo and the
    rest are read as for coders (:func:`themeloop.studio.pull.coding_rows`).
    """
    from themeloop.studio.pull import coding_rows

    return [{**row, "source": SOURCE}
            for row in coding_rows(export, qid, code_ids, codebook_version)]


def raw_name(qid: str) -> str:
    """The snapshot name stem of ``qid``'s adjudication project in ``annotations/raw``."""
    return f"{qid}.adjudication"
