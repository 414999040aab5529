"""What a stage of the loop is: :class:`Stage`, and what it hands back, :class:`StageResult`.

A stage is one small object in its own package (``themes/stage.py``,
``merge/stage.py``, ...). It names the artifacts it needs and writes
(:mod:`themeloop.pipeline.artifacts`) and runs on a
:class:`~themeloop.pipeline.context.RunContext`. Its ``run`` calls the same
project-level function that the stage's single command calls, so ``themeloop
run`` and the commands typed by hand cannot drift apart.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from themeloop.pipeline.artifacts import Artifact
    from themeloop.pipeline.context import RunContext


@dataclass(frozen=True)
class StageResult:
    """What one stage wrote (artifact key -> file) and what it noticed."""

    outputs: dict[str, Path] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    @classmethod
    def since(cls, ctx: RunContext, before: dict[str, Path],
              notes: list[str] | None = None) -> StageResult:
        """The outputs ``ctx`` recorded since ``before`` (a copy of ``ctx.outputs``)."""
        new = {k: v for k, v in ctx.outputs.items() if before.get(k) != v}
        return cls(new, list(notes or []))


class Stage(Protocol):
    """One step of ``themeloop run``.

    ``requires`` are the artifacts that must exist (written earlier in the run,
    or by an earlier run) before it can run; ``produces`` are those it writes.
    """

    @property
    def name(self) -> str: ...

    @property
    def requires(self) -> tuple[Artifact, ...]: ...

    @property
    def produces(self) -> tuple[Artifact, ...]: ...

    def run(self, ctx: RunContext) -> StageResult: ...
