"""The worker plugin of the Dask backend (imported only where ``distributed`` is installed)."""

from __future__ import annotations

from typing import Any

from distributed import WorkerPlugin


class WarmUp(WorkerPlugin):
    """Run a task's ``warm_up()`` once on each worker: on registration, and on every restart.

    This is how each worker loads the embedding model once, before its first
    batch, instead of once per task.
    """

    def __init__(self, task: Any) -> None:
        self.task = task

    def setup(self, worker: Any) -> None:
        self.task.warm_up()
