"""The adjudicate stage of ``themeloop run``."""

from __future__ import annotations

from typing import TYPE_CHECKING

from themeloop.pipeline.artifacts import (
    ADJUDICATE_MANIFEST,
    AGREED,
    CODING_TABLE,
    DECISIONS,
    UNDECIDED,
)
from themeloop.pipeline.stage import StageResult

if TYPE_CHECKING:
    from themeloop.pipeline.context import RunContext


class AdjudicateStage:
    """Agreed codes by the project's rule; every decision and what stays open."""

    name = "adjudicate"
    requires = (CODING_TABLE,)
    produces = (AGREED, DECISIONS, UNDECIDED, ADJUDICATE_MANIFEST)

    def run(self, ctx: RunContext) -> StageResult:
        from themeloop.adjudicate.project import adjudicate_project

        before = dict(ctx.outputs)
        run = adjudicate_project(ctx)
        n_open = len(run.result.undecided)
        notes = ([f"{n_open} coding decisions are undecided: see {UNDECIDED.name}"]
                 if n_open else [])
        return StageResult.since(ctx, before, notes)
