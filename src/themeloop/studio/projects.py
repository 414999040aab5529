"""One Label Studio project per question, remembered in ``<state_dir>/studio/projects.json``.

The registry is keyed by server URL, then by question id (or by another key
such as ``adjudicate:<qid>`` for other kinds of project). A registered project
that no longer exists on the server is an error, never silently recreated:
its annotations would be lost from view.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from themeloop._io import write_text_atomic
from themeloop.errors import StudioError

TITLE_PREFIX = "themeloop: "


@dataclass
class Registry:
    """``projects.json``: ``{"servers": {url: {key: {"id": int, "codebook_version": str, ...}}}}``."""

    path: Path
    data: dict[str, Any]

    @classmethod
    def load(cls, path: Path) -> Registry:
        if not path.is_file():
            return cls(path, {"servers": {}})
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except ValueError as exc:
            raise StudioError(f"{path}: not valid JSON ({exc}); restore it or delete it and "
                              "push again with --recreate") from None
        data.setdefault("servers", {})
        return cls(path, data)

    def entry(self, url: str, key: str) -> dict[str, Any] | None:
        return self.data["servers"].get(url, {}).get(key)

    def entries(self, url: str) -> dict[str, dict[str, Any]]:
        return dict(self.data["servers"].get(url, {}))

    def set(self, url: str, key: str, entry: dict[str, Any]) -> None:
        self.data["servers"].setdefault(url, {})[key] = entry
        self.save()

    def save(self) -> None:
        write_text_atomic(self.path, json.dumps(self.data, indent=2, sort_keys=True) + "\n")
        os.chmod(self.path, 0o600)  # it lives in the private Label Studio folder


def deleted_message(key: str, project_id: int) -> str:
    return (f"project for question '{key}' (id {project_id}) was deleted in Label Studio; "
            f"run 'themeloop push --question {key} --recreate' to make a new one (its codings "
            "are gone from the server; earlier pulls keep them in annotations/raw)")


def get_project(client, project_id: int, key: str):
    """The project, or StudioError naming the question when it was deleted in the UI."""
    from themeloop.studio.client import studio_errors

    with studio_errors(missing=deleted_message(key, project_id)):
        return client.projects.get(project_id)


def ensure_project(client, registry: Registry, url: str, key: str, *, label_config: str,
                   maximum_annotations: int, recreate: bool = False,
                   title: str | None = None) -> tuple[Any, bool]:
    """Return ``(project, created)`` for ``key``, creating and registering it if needed.

    Raises
    ------
    StudioError
        If the registered project was deleted on the server and ``recreate`` is false.
    """
    entry = registry.entry(url, key)
    if entry is not None:
        try:
            return get_project(client, int(entry["id"]), key), False
        except StudioError:
            if not recreate:
                raise
    project = client.projects.create(title=title or f"{TITLE_PREFIX}{key}",
                                     label_config=label_config,
                                     maximum_annotations=maximum_annotations)
    registry.set(url, key, {"id": int(project.id), "title": project.title})
    return project, True
