"""Idempotent task import and snapshot export: the building blocks of push, pull and adjudication.

Label Studio's import is not idempotent (the same data twice makes two tasks),
so :func:`push_tasks` first lists what the project holds, keyed by a field of
the task data (``response_id``), and imports only what is missing, in batches.
A push killed between batches loses nothing: the next one lists again.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from themeloop.progress import Progress, no_progress

if TYPE_CHECKING:
    from themeloop.studio.client import LabelStudioClient

KEY = "response_id"
LIST_PAGE = 1000
_LIST_FIELDS = "id,data,total_annotations,cancelled_annotations,total_predictions," \
               "predictions_model_versions"


@dataclass(frozen=True)
class TaskState:
    """What a project holds for one answer."""

    id: int
    annotations: int
    predictions: int
    model_versions: frozenset[str]

    @property
    def annotated(self) -> bool:
        return self.annotations > 0


@dataclass
class PushStats:
    """What :func:`push_tasks` did."""

    imported: int = 0
    existing: int = 0
    predictions_refreshed: int = 0
    predictions_kept_annotated: int = 0
    duplicates: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"imported": self.imported, "existing": self.existing,
                "predictions_refreshed": self.predictions_refreshed,
                "predictions_kept_annotated": self.predictions_kept_annotated,
                "duplicates": len(self.duplicates)}


def _get(client: Any, path: str, params: dict[str, Any]) -> Any:
    """GET a JSON API path through the client's own authenticated HTTP session."""
    from label_studio_sdk.core.api_error import ApiError

    reply = client._client_wrapper.httpx_client.request(path, method="GET", params=params)
    if reply.status_code >= 400:
        try:
            body: Any = reply.json()
        except ValueError:
            body = reply.text
        raise ApiError(status_code=reply.status_code, headers=dict(reply.headers), body=body)
    return reply.json()


def list_task_index(client: LabelStudioClient, project_id: int, key: str = KEY) -> tuple[dict[str, TaskState], list[str]]:
    """Map ``data[key]`` to each task's state; also return keys found on more than one task.

    Pages through ``/api/tasks`` asking only for the fields needed (far faster
    than the SDK's full task objects). The first task with a key wins.
    """
    index: dict[str, TaskState] = {}
    duplicates: list[str] = []
    for task in iter_tasks(client, project_id, _LIST_FIELDS):
        value = (task.get("data") or {}).get(key)
        if value is None:
            continue
        value = str(value)
        if value in index:
            duplicates.append(value)
            continue
        versions = task.get("predictions_model_versions") or ""
        if isinstance(versions, str):
            versions = [v.strip() for v in versions.split(",")]
        index[value] = TaskState(
            int(task["id"]),
            int(task.get("total_annotations") or 0) + int(task.get("cancelled_annotations") or 0),
            int(task.get("total_predictions") or 0),
            frozenset(v for v in versions if v),
        )
    return index, duplicates


def iter_tasks(client, project_id: int, include: str) -> Iterator[dict[str, Any]]:
    """Every task of a project as Label Studio lists it, page by page (``include``: its fields)."""
    page = 1
    while True:
        params = {"project": project_id, "fields": "all", "include": include,
                  "page": page, "page_size": LIST_PAGE}
        try:
            body = _get(client, "api/tasks", params)
        except Exception as exc:  # past the last page Label Studio answers 404
            if getattr(exc, "status_code", None) == 404 and page > 1:
                return
            raise
        tasks = body.get("tasks", []) if isinstance(body, dict) else body
        yield from tasks
        total = body.get("total") if isinstance(body, dict) else None
        if len(tasks) < LIST_PAGE or (total is not None and page * LIST_PAGE >= total):
            return
        page += 1


def push_tasks(
    client,
    project_id: int,
    tasks: Sequence[Mapping[str, Any]],
    predictions: Mapping[str, Sequence[Mapping[str, Any]]] | None = None,
    *,
    key: str = KEY,
    batch_size: int = 500,
    progress: Progress = no_progress,
) -> PushStats:
    """Make a project hold exactly one task per ``task["data"][key]``, with current predictions.

    Parameters
    ----------
    client
        A ``label_studio_sdk.LabelStudio``.
    project_id
        The Label Studio project.
    tasks
        ``{"data": {...}}`` dicts; ``data[key]`` identifies the task.
    predictions
        ``key value -> [{"model_version", "score", "result"}, ...]``. ``None``
        leaves predictions alone. Otherwise new tasks are imported with theirs,
        and existing tasks that nobody annotated yet get theirs replaced when
        the model versions differ (annotated tasks keep what coders saw).
    batch_size
        Tasks per import request; each request is all-or-nothing on the server.

    Returns
    -------
    PushStats
    """
    index, duplicates = list_task_index(client, project_id, key)
    stats = PushStats(existing=0, duplicates=duplicates)
    missing = []
    seen: set[str] = set()
    for task in tasks:
        value = str(task["data"][key])
        if value in seen:
            continue
        seen.add(value)
        if value in index:
            stats.existing += 1
        else:
            missing.append(task)
    total = len(missing)
    progress("importing tasks", 0, total)
    for start in range(0, total, batch_size):
        batch = [_with_predictions(t, predictions, key) for t in missing[start:start + batch_size]]
        client.projects.import_tasks(project_id, request=batch, return_task_ids=False)
        stats.imported += len(batch)
        progress("importing tasks", stats.imported, total)
    if predictions is not None:
        _refresh_predictions(client, project_id, index, predictions, stats, batch_size)
    return stats


def _with_predictions(task: Mapping[str, Any], predictions, key: str) -> dict[str, Any]:
    out: dict[str, Any] = {"data": dict(task["data"])}
    wanted = (predictions or {}).get(str(task["data"][key]))
    if wanted:
        out["predictions"] = [dict(p) for p in wanted]
    return out


def _refresh_predictions(client: LabelStudioClient, project_id: int, index: Mapping[str, TaskState],
                         predictions: Mapping[str, Sequence[Mapping[str, Any]]],
                         stats: PushStats, batch_size: int) -> None:
    stale: list[tuple[TaskState, Sequence[Mapping[str, Any]]]] = []
    for value, state in index.items():
        wanted = predictions.get(value, ())
        versions = frozenset(str(p.get("model_version", "")) for p in wanted)
        if state.predictions == len(wanted) and state.model_versions == versions:
            continue
        if state.annotated:
            stats.predictions_kept_annotated += 1
            continue
        stale.append((state, wanted))
    for start in range(0, len(stale), batch_size):
        chunk = stale[start:start + batch_size]
        ids = [state.id for state, _ in chunk if state.predictions]
        if ids:
            client.actions.create(id="delete_tasks_predictions", project=project_id,
                                  selected_items={"all": False, "included": ids})
        new = [{"task": state.id, **dict(p)} for state, wanted in chunk for p in wanted]
        if new:
            client.projects.import_predictions(project_id, request=new)
        stats.predictions_refreshed += len(chunk)


def export_snapshot(client: LabelStudioClient, project_id: int) -> bytes:
    """A full JSON export of a project: every task, annotator e-mails and whole predictions.

    Returns the raw bytes Label Studio sent (a JSON list of tasks); the export
    is deleted on the server afterwards so snapshots do not pile up there.
    """
    options = {"predictions": {"only_id": False}, "annotations__completed_by": {"only_id": False}}
    export = client.projects.exports.create(project_id, title="themeloop pull",
                                            serialization_options=options)
    try:
        export = _wait_for_export(client, project_id, export)
        data = b"".join(client.projects.exports.download(project_id, export.id,
                                                         export_type="JSON"))
    finally:
        # cleanup only: the snapshot is already in hand (or lost anyway)
        with contextlib.suppress(Exception):
            client.projects.exports.delete(project_id, export.id)
    json.loads(data)  # fail here, not later, on a truncated download
    return data


def _wait_for_export(client: LabelStudioClient, project_id: int, export, timeout: float = 600.0):
    import time

    from themeloop.errors import StudioError

    deadline = time.monotonic() + timeout
    while export.status != "completed":
        if export.status == "failed":
            raise StudioError(f"Label Studio could not export project {project_id} "
                              "(the export failed on the server); see its log")
        if time.monotonic() > deadline:
            raise StudioError(f"Label Studio's export of project {project_id} did not finish "
                              f"within {timeout:.0f} s")
        time.sleep(0.5)
        export = client.projects.exports.get(project_id, export.id)
    return export
