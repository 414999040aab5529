"""Put chosen answers first in the coders' queue of a Label Studio project.

How Label Studio 1.23 picks a coder's next task (``projects/functions/next_task.py``,
community edition): tasks the coder already annotated or postponed are left
out, and so are labelled ones; a task another coder has started comes first
when a project wants several annotations per task ("breadth first"); then the
project's ``sampling`` decides. With ``Sequential sampling`` (the default) the
coder gets the first unlocked task **by task id**; ``Uniform sampling`` is
random and ``Uncertainty sampling`` is random among the tasks with
predictions of the project's current model version once a project has more
than one annotator. There is no per-task priority, and ids only grow.

So :func:`push_first` keeps the project on sequential sampling and makes the
chosen answers the lowest-numbered tasks nobody has touched: it imports them,
in the chosen order, and then re-imports every other untouched task after
them (its data and predictions copied as they were) and deletes the old
copies. A task with an annotation or a draft is never moved or deleted, so no
coder's work is lost; for such a chosen answer the breadth-first rule already
serves it to the other coders first. Importing before deleting means a push
killed half-way leaves duplicates, never a lost answer; the next push removes
them. When the untouched tasks are already in the wanted order (a second run
with the same choice), nothing is moved: the push is idempotent.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from themeloop.progress import Progress, no_progress
from themeloop.studio.sync import KEY, iter_tasks

if TYPE_CHECKING:
    from themeloop.studio.client import LabelStudioClient

SEQUENTIAL = "Sequential sampling"
_FIELDS = "id,data,total_annotations,cancelled_annotations,draft_exists,predictions"
_PREDICTION_KEYS = ("model_version", "score", "result")


@dataclass(frozen=True)
class Task:
    """One task as :func:`list_tasks` sees it."""

    id: int
    key: str
    data: dict[str, Any]
    touched: bool                       # annotated (even skipped) or with a draft
    predictions: tuple[dict[str, Any], ...]


@dataclass
class FirstStats:
    """What :func:`push_first` did."""

    imported: int = 0                   # chosen answers that had no task yet
    moved: int = 0                      # existing tasks re-imported into the wanted order
    deleted: int = 0                    # old copies (and duplicates) removed
    kept: int = 0                       # chosen answers already first, left as they were
    touched: list[str] = field(default_factory=list)  # chosen answers someone already started
    predictions_set: int = 0
    sampling_was: str | None = None     # the sampling switched from, if it was not sequential

    def as_dict(self) -> dict[str, Any]:
        return {"imported": self.imported, "moved": self.moved, "deleted": self.deleted,
                "kept": self.kept, "already_started": list(self.touched),
                "predictions_set": self.predictions_set, "sampling_was": self.sampling_was}


def list_tasks(client: LabelStudioClient, project_id: int, key: str = KEY) -> list[Task]:
    """Every task of the project with ``data[key]``, in id order (the sequential queue's order)."""
    out: list[Task] = []
    for task in iter_tasks(client, project_id, _FIELDS):
        value = (task.get("data") or {}).get(key)
        if value is None:
            continue
        touched = (int(task.get("total_annotations") or 0)
                   + int(task.get("cancelled_annotations") or 0) > 0
                   or bool(task.get("draft_exists")))
        kept = tuple({k: p[k] for k in _PREDICTION_KEYS if p.get(k) is not None}
                     for p in task.get("predictions") or [])
        out.append(Task(int(task["id"]), str(value), dict(task["data"]), touched, kept))
    return sorted(out, key=lambda t: t.id)


def ensure_sequential(client: LabelStudioClient, project: Any) -> str | None:
    """Switch the project to sequential sampling; return the sampling it had, if different."""
    was = getattr(project, "sampling", None)
    if was is not None and str(getattr(was, "value", was)) == SEQUENTIAL:
        return None
    client.projects.update(int(project.id), sampling=SEQUENTIAL)
    return None if was is None else str(getattr(was, "value", was))


@dataclass
class _Plan:
    """What to re-import (``todo``, in order) and delete (``stale`` task ids)."""

    todo: list[str]
    stale: list[int]
    kept: int
    touched: list[str]
    by_key: dict[str, Task]


def _plan(current: list[Task], chosen: list[str],
          predictions: Mapping[str, Sequence[Mapping[str, Any]]]) -> _Plan:
    """The untouched tasks' wanted order (the chosen answers, then the others as they
    were) and the longest prefix of the present order that already matches it."""
    started = {t.key for t in current if t.touched}
    untouched = [t for t in current if not t.touched]
    counts: dict[str, int] = {}
    for t in current:
        counts[t.key] = counts.get(t.key, 0) + 1
    picked = set(chosen)
    wanted = [c for c in chosen if c not in started]
    wanted += dict.fromkeys(t.key for t in untouched if t.key not in picked | started)
    keep = 0
    for have, want in zip(untouched, wanted):
        if (have.key != want or counts[have.key] > 1
                or (want in predictions and not _same(have.predictions, predictions[want]))):
            break
        keep += 1
    return _Plan(wanted[keep:], [t.id for t in untouched[keep:]],
                 sum(1 for k in wanted[:keep] if k in predictions),
                 [c for c in chosen if c in started], {t.key: t for t in untouched})


def push_first(client: LabelStudioClient, project: Any, tasks: Sequence[Mapping[str, Any]],
               predictions: Mapping[str, Sequence[Mapping[str, Any]]], *, key: str = KEY,
               batch_size: int = 500, progress: Progress = no_progress) -> FirstStats:
    """Make ``tasks`` (``{"data": ...}``, in queue order) the first tasks coders get.

    ``predictions`` maps ``data[key]`` to the predictions each chosen task
    should carry (they replace what an untouched task had). Tasks outside
    ``tasks`` keep their data and predictions and their relative order.
    """
    project_id = int(project.id)
    stats = FirstStats(sampling_was=ensure_sequential(client, project))
    data_of = {str(t["data"][key]): dict(t["data"]) for t in tasks}
    plan = _plan(list_tasks(client, project_id, key), list(data_of), predictions)
    stats.kept, stats.touched = plan.kept, plan.touched
    batch: list[dict[str, Any]] = []
    progress("putting chosen answers first", 0, len(plan.todo))
    for done, k in enumerate(plan.todo, start=1):
        old = plan.by_key.get(k)
        if k in data_of:  # a chosen answer, with its new predictions
            batch.append(_task(data_of[k], predictions.get(k, ())))
            stats.predictions_set += 1 if predictions.get(k) else 0
        elif old is not None:  # another answer, as it was
            batch.append(_task(old.data, old.predictions))
        stats.moved += old is not None
        stats.imported += old is None
        if len(batch) >= batch_size or done == len(plan.todo):
            client.projects.import_tasks(project_id, request=batch, return_task_ids=False)
            batch = []
            progress("putting chosen answers first", done, len(plan.todo))
    # The old copies go only now: a push killed before this line leaves duplicates, not gaps.
    for start in range(0, len(plan.stale), batch_size):
        client.actions.create(id="delete_tasks", project=project_id, selected_items={
            "all": False, "included": plan.stale[start:start + batch_size]})
    stats.deleted = len(plan.stale)
    return stats


def _task(data: Mapping[str, Any], predictions: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {"data": dict(data)}
    if predictions:
        out["predictions"] = [dict(p) for p in predictions]
    return out


def _same(have: Sequence[Mapping[str, Any]], want: Sequence[Mapping[str, Any]]) -> bool:
    """Whether a task's predictions are the wanted ones (same model versions and results)."""
    def norm(ps: Sequence[Mapping[str, Any]]) -> list[tuple[str, str]]:
        import json

        return sorted((str(p.get("model_version", "")),
                       json.dumps(p.get("result", []), sort_keys=True)) for p in ps)

    return norm(have) == norm(want)
