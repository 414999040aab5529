"""``themeloop push --next N`` and ``push --review``: chosen answers first in the coders' queue.

``--next`` sends the answers :func:`themeloop.autocode.queue.next_answers`
chooses; ``--review`` the ones the last run flagged in ``review.csv`` (or,
without a run, the same rule computed now). Either way each answer goes to
its question's project with the model's codes as a Label Studio prediction,
and :func:`themeloop.studio.front.push_first` makes them the first tasks
coders get, in the chosen order.

A prediction carries the model id as ``model_version``, the model's confidence
(1 - uncertainty) as its ``score``, and one ``choices`` result ticking every
code the model gives, whose ``score`` is the lowest of those codes' scores
and whose ``meta.scores`` holds every code's score. One result, not one per
code: Label Studio's editor sets a Choices tag from each result in turn, so
several results for one tag would show only the last code ticked.

Label Studio shows coders the predictions of one model version per project
(the project's ``model_version``, which an import sets only when it has none),
so the push makes the model's id the project's model version.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from themeloop.codebook import CODES_NAME
from themeloop.errors import ConfigError
from themeloop.progress import Progress, no_progress
from themeloop.studio.front import FirstStats, push_first

if TYPE_CHECKING:
    import pandas as pd

    from themeloop.autocode.queue import QuestionFit
    from themeloop.embed import Embedder
    from themeloop.pipeline.context import RunContext


@dataclass
class QueuePush:
    """What ``push --next`` / ``--review`` did for one question."""

    question: str
    project_id: int
    created: bool
    response_ids: list[str]
    model_version: str
    stats: FirstStats

    def as_dict(self) -> dict[str, Any]:
        return {"question": self.question, "project_id": self.project_id, "created": self.created,
                "sent": len(self.response_ids), "response_ids": self.response_ids,
                "model_version": self.model_version, **self.stats.as_dict()}


@dataclass
class QueuePushResult:
    url: str
    kind: str                                   # "next" | "review"
    source: str                                 # "model" | "review.csv" | "computed"
    questions: list[QueuePush] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"url": self.url, "kind": self.kind, "source": self.source,
                "questions": [q.as_dict() for q in self.questions], "notes": self.notes}


def model_prediction(codes: Sequence[tuple[str, float | None]], *, model_version: str,
                     confidence: float | None = None,
                     all_scores: dict[str, float] | None = None) -> dict[str, Any]:
    """A Label Studio prediction ticking ``codes`` (``(code, score)`` pairs).

    Examples
    --------
    >>> p = model_prediction([("funding", 0.9), ("staff", 0.6)], model_version="m1",
    ...                      confidence=0.7)
    >>> p["model_version"], p["score"], p["result"][0]["value"], p["result"][0]["score"]
    ('m1', 0.7, {'choices': ['funding', 'staff']}, 0.6)
    >>> p["result"][0]["meta"]
    {'scores': {'funding': 0.9, 'staff': 0.6}}
    """
    scores = {c: round(float(s), 6) for c, s in codes if s is not None}
    item: dict[str, Any] = {"from_name": CODES_NAME, "to_name": "text", "type": "choices",
                            "value": {"choices": [c for c, _ in codes]}}
    if scores:
        item["score"] = min(scores.values())
    item["meta"] = {"scores": {k: round(float(v), 6) for k, v in (all_scores or scores).items()}}
    prediction: dict[str, Any] = {"model_version": model_version, "result": [item]}
    if confidence is not None:
        prediction["score"] = round(float(confidence), 6)
    return prediction


def fit_predictions(fit: QuestionFit, response_ids: Sequence[str]) -> dict[str, list[dict[str, Any]]]:
    """The model's prediction for each of ``response_ids`` (uncoded answers of ``fit``)."""
    from themeloop.autocode.active import uncertainty

    row = {rid: i for i, rid in enumerate(fit.ids)}
    out: dict[str, list[dict[str, Any]]] = {}
    for rid in response_ids:
        i = row[rid]
        codes, scores = fit.scored(i)
        u = float(uncertainty(fit.proba[i:i + 1], fit.model.thresholds_)[0])
        every = {c: float(fit.proba[i, k]) for k, c in enumerate(fit.codes)}
        out[rid] = [model_prediction(list(zip(codes, scores)), model_version=fit.model_id,
                                     confidence=1.0 - u, all_scores=every)]
    return out


def review_predictions(rows: pd.DataFrame, model_version: str) -> dict[str, list[dict[str, Any]]]:
    """Predictions from review.csv's ``codes`` and ``scores`` cells."""
    from themeloop.autocode.queue import split_scores

    out: dict[str, list[dict[str, Any]]] = {}
    for rid, codes, scores in zip(rows["response_id"], rows["codes"], rows["scores"]):
        pairs = split_scores(codes, scores)
        known = [s for _, s in pairs if s is not None]
        out[str(rid)] = [model_prediction(pairs, model_version=model_version,
                                          confidence=min(known) if known else None)]
    return out


def check_next(n: int | None, review: bool) -> None:
    """The one-line errors for ``--next`` / ``--review`` used wrongly."""
    if n is not None and review:
        raise ConfigError("--next and --review do not go together; give one of them")
    if n is not None and (isinstance(n, bool) or n < 1):
        raise ConfigError(f"--next must be 1 or more; got {n}")


def push_next(project, n: int, *, question: str | None = None, recreate: bool = False,
              batch_size: int | None = None, progress: Progress = no_progress,
              url: str | None = None, embedder: Embedder | None = None) -> QueuePushResult:
    """Choose ``n`` answers per question (:func:`next_answers`) and put them first in Label Studio.

    Raises
    ------
    ConfigError, AutocodeError, StudioError, CodebookError
        One line each; Label Studio is untouched when the choice fails.
    """
    from themeloop.autocode.queue import next_answers
    from themeloop.pipeline.context import RunContext

    check_next(n, False)
    ctx = RunContext.for_project(project, progress=progress)
    chosen = next_answers(ctx, n=n, question=question, embedder=embedder)
    groups = {q: list(g["response_id"]) for q, g in chosen.table.groupby("question", sort=False)}
    preds = {q: fit_predictions(chosen.fits[q], ids) for q, ids in groups.items()}
    versions = {q: chosen.fits[q].model_id for q in groups}
    return _send(ctx, "next", "model", groups, preds, versions, chosen.notes, recreate=recreate,
                 batch_size=batch_size, progress=progress, url=url)


def push_review(project, *, question: str | None = None, recreate: bool = False,
                batch_size: int | None = None, progress: Progress = no_progress,
                url: str | None = None, embedder: Embedder | None = None) -> QueuePushResult:
    """Put the answers flagged for review first in Label Studio.

    They are the last run's ``review.csv`` (in its order), or, when the
    project has no run output yet, the same rule computed now
    (:func:`themeloop.autocode.queue.review_answers`); a note says which.
    """
    from themeloop.autocode.queue import questions_with_codes, read_review, review_answers
    from themeloop.pipeline.artifacts import REVIEW
    from themeloop.pipeline.context import RunContext

    ctx = RunContext.for_project(project, progress=progress)
    qids = questions_with_codes(ctx, question)
    table = read_review(ctx, question)
    notes: list[str] = []
    if table is not None:
        source = REVIEW.name
        table = table[table["question"].isin(qids)]
        by_question = dict(list(table.groupby("question", sort=False)))
        versions = {q: _review_version(ctx, q) for q in by_question}
        groups = {q: list(dict.fromkeys(g["response_id"])) for q, g in by_question.items()}
        preds = {q: review_predictions(g, versions[q]) for q, g in by_question.items()}
        notes.append(f"sent the answers of {ctx.path(REVIEW)} (the last run's review list)")
    else:
        source = "computed"
        found = review_answers(ctx, question=question, embedder=embedder)
        groups = {q: list(g["response_id"]) for q, g in found.table.groupby("question", sort=False)}
        preds = {q: fit_predictions(found.fits[q], ids) for q, ids in groups.items()}
        versions = {q: found.fits[q].model_id for q in groups}
        notes.append(f"no {REVIEW.name} in {ctx.out_dir} yet (no 'themeloop run'): computed the "
                     "review list now with the same rule (a code near its threshold, or no code)")
    if not groups:
        notes.append("no answer needs review; nothing sent")
    return _send(ctx, "review", source, groups, preds, versions, notes, recreate=recreate,
                 batch_size=batch_size, progress=progress, url=url)


def _review_version(ctx: RunContext, qid: str) -> str:
    """The id of the model that wrote ``qid``'s review rows (agreement_model.json: the
    question's ``model_id``, else the run's), else ``review-<hash of review.csv>``."""
    from themeloop.pipeline.artifacts import AGREEMENT_MODEL, REVIEW

    try:
        data = json.loads(ctx.path(AGREEMENT_MODEL).read_text(encoding="utf-8"))
        question = (data.get("questions") or {}).get(qid) or {}
        for found in (question.get("model_id"), data.get("model_id")):
            if isinstance(found, str) and found:
                return found
    except (OSError, ValueError, AttributeError):
        pass
    digest = hashlib.sha256(ctx.path(REVIEW).read_bytes()).hexdigest()
    return f"review-{digest[:12]}"


def _send(ctx: RunContext, kind: str, source: str, groups: dict[str, list[str]],
          preds: dict[str, dict[str, list[dict[str, Any]]]], versions: dict[str, str],
          notes: list[str], *, recreate: bool, batch_size: int | None, progress: Progress,
          url: str | None) -> QueuePushResult:
    from themeloop.codebook import load_codebook
    from themeloop.studio.client import session
    from themeloop.studio.projects import Registry
    from themeloop.studio.push import open_project, pushed_codebook, remember_codebook
    from themeloop.studio.server import StudioPaths
    from themeloop.studio.tasks import build_tasks

    project = ctx.project
    cfg = project.config.studio
    codebook = load_codebook(project.codebook_path)
    paths = StudioPaths.for_project(project)
    old_codebook = pushed_codebook(paths)
    with session(project, url=url) as (client, conn):
        result = QueuePushResult(conn.url, kind, source, notes=list(notes))
        if not groups:
            return result
        registry = Registry.load(paths.projects)
        for qid, ids in groups.items():
            ls_project, created, _ = open_project(client, conn.url, registry, project, codebook,
                                                  old_codebook, qid, recreate)
            by_id = {t["data"]["response_id"]: t
                     for t in build_tasks(ctx.survey, qid, cfg.task_attributes)}
            missing = [r for r in ids if r not in by_id]
            if missing:  # review.csv from another survey version
                result.notes.append(f"{qid}: {len(missing)} answer(s) are not substantive answers "
                                    f"of the survey (first: {missing[0]}); left out")
            ids = [r for r in ids if r in by_id]
            stats = push_first(client, ls_project, [by_id[r] for r in ids], preds[qid],
                               batch_size=batch_size or cfg.batch_size,
                               progress=lambda t, d, n, q=qid: progress(f"{q}: {t}", d, n))
            if ids:
                # Coders see only the predictions of the project's model version, which an
                # import sets only when it has none: make it this model's.
                client.projects.update(int(ls_project.id), model_version=versions[qid])
            entry = registry.entry(conn.url, qid) or {"id": int(ls_project.id)}
            registry.set(conn.url, qid, {**entry, "codebook_version": codebook.version})
            if stats.touched:
                result.notes.append(
                    f"{qid}: {len(stats.touched)} chosen answer(s) already have annotations or "
                    f"drafts in Label Studio and keep their place (first: {stats.touched[0]}); "
                    "'themeloop pull' brings those codes in")
            if stats.sampling_was:
                result.notes.append(f"{qid}: switched the project from '{stats.sampling_was}' to "
                                    "'Sequential sampling', so coders get the chosen answers first")
            result.questions.append(QueuePush(qid, int(ls_project.id), created, ids,
                                              versions[qid], stats))
    remember_codebook(codebook, paths)
    return result
