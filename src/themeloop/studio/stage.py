"""The annotations stage of ``themeloop run``: pull from Label Studio when it answers."""

from __future__ import annotations

from typing import TYPE_CHECKING

from themeloop.errors import CodingTableError
from themeloop.pipeline.artifacts import CODING_TABLE
from themeloop.pipeline.stage import StageResult

if TYPE_CHECKING:
    from themeloop.pipeline.context import RunContext


class AnnotationsStage:
    """Pull from Label Studio when one is configured and answering; else use the project's table."""

    name = "annotations"
    requires = ()
    produces = (CODING_TABLE,)

    def run(self, ctx: RunContext) -> StageResult:
        from themeloop.studio.server import studio_reachable

        notes = []
        if studio_reachable(ctx.project):
            from themeloop.studio.pull import pull

            result = pull(ctx.project)
            ctx.forget_table(ctx.coding_path)
            notes.append(f"pulled from Label Studio: {result.annotations} annotations"
                         + ("" if result.changed else " (nothing new)"))
        if not ctx.has_coding:
            raise CodingTableError.missing(ctx.coding_path)
        return StageResult({}, notes)
