"""Label Studio: the local server, push (tasks + suggestions) and pull (coding table).

Public API::

    start_server(paths, port) / stop_server(paths) / server_status(paths)
    add_user(client, paths, email, password=None)
    push(project, question=None, predictions=None, recreate=False) -> PushResult
    pull(project, question=None) -> PullResult
    push_tasks(client, project_id, tasks, predictions) -> PushStats   (idempotent import)
    export_snapshot(client, project_id) -> bytes                      (full JSON export)

``label_studio_sdk`` is imported only inside the functions that talk to a server.
"""

from __future__ import annotations

from themeloop.studio.client import Connection, connect, resolve_connection, session, studio_errors
from themeloop.studio.projects import Registry, ensure_project
from themeloop.studio.pull import PullResult, coding_rows, pull
from themeloop.studio.push import PushResult, build_tasks, choices_result, load_predictions, push
from themeloop.studio.server import (
    StudioPaths,
    admin_token,
    find_label_studio,
    port_in_use,
    server_status,
    start_server,
    stop_server,
)
from themeloop.studio.sync import PushStats, export_snapshot, list_task_index, push_tasks
from themeloop.studio.users import CoderAccount, add_user

__all__ = [
    "CoderAccount", "Connection", "PullResult", "PushResult", "PushStats", "Registry",
    "StudioPaths", "add_user", "admin_token", "build_tasks", "choices_result", "coding_rows",
    "connect", "ensure_project", "export_snapshot", "find_label_studio", "list_task_index",
    "load_predictions", "port_in_use", "pull", "push", "push_tasks", "resolve_connection",
    "server_status", "session", "start_server", "stop_server", "studio_errors",
]
