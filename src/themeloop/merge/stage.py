"""The merge and crosstab stages of ``themeloop run``."""

from __future__ import annotations

from typing import TYPE_CHECKING

from themeloop.pipeline.artifacts import (
    AGREED,
    CODED,
    CROSSTAB_CSV,
    CROSSTAB_INTERNAL,
    CROSSTAB_MANIFEST,
    CROSSTAB_XLSX,
    MERGE_MANIFEST,
    MERGE_REPORT,
)
from themeloop.pipeline.stage import StageResult

if TYPE_CHECKING:
    from themeloop.pipeline.context import RunContext


class MergeStage:
    """The coded dataset in every export format."""

    name = "merge"
    requires = (AGREED,)
    produces = (CODED, MERGE_REPORT, MERGE_MANIFEST)

    def run(self, ctx: RunContext) -> StageResult:
        from themeloop.merge.project import merge_project

        before = dict(ctx.outputs)
        merge_project(ctx, codes=ctx.path(AGREED))
        return StageResult.since(ctx, before)


class CrosstabStage:
    """Codes by each attribute of [crosstab] by."""

    name = "crosstab"
    requires = (AGREED,)
    produces = (CROSSTAB_CSV, CROSSTAB_XLSX, CROSSTAB_INTERNAL, CROSSTAB_MANIFEST)

    def run(self, ctx: RunContext) -> StageResult:
        from themeloop.merge.project import crosstab_project

        before = dict(ctx.outputs)
        for by in ctx.project.config.crosstab.by:
            crosstab_project(ctx, by, codes=ctx.path(AGREED))
        return StageResult.since(ctx, before)
