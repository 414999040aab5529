"""The themes stage of ``themeloop run``."""

from __future__ import annotations

from typing import TYPE_CHECKING

from themeloop.pipeline.artifacts import ASSIGNMENTS, DRAFT_CODEBOOK, THEMES_JSON, THEMES_MANIFEST
from themeloop.pipeline.stage import StageResult

if TYPE_CHECKING:
    from themeloop.pipeline.context import RunContext


class ThemesStage:
    """Propose themes; the project's codebook (if any) seeds them deductively."""

    name = "themes"
    requires = ()
    produces = (THEMES_JSON, ASSIGNMENTS, DRAFT_CODEBOOK, THEMES_MANIFEST)

    def run(self, ctx: RunContext) -> StageResult:
        from themeloop.themes.run import themes_project

        before = dict(ctx.outputs)
        seeds = ctx.project.codebook_path if ctx.codebook is not None else None
        run = themes_project(ctx, seeds_file=seeds)
        return StageResult.since(ctx, before, run.notes)
