"""Progress reporting without printing: the library calls a callback, the CLI draws it."""

from __future__ import annotations

from typing import Protocol


class Progress(Protocol):
    """Called as work advances: ``progress(task, done, total)``.

    ``task`` names the work (e.g. "embedding barriers"), ``done`` counts units
    finished and ``total`` is the number expected, or ``None`` if unknown.
    """

    def __call__(self, task: str, done: int, total: int | None) -> None: ...


def no_progress(task: str, done: int, total: int | None) -> None:
    """The default: report nothing."""
