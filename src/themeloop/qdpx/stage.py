"""The qdpx stage of ``themeloop run``: the coded project as REFI-QDA (``project.qdpx``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from themeloop.pipeline.artifacts import QDPX
from themeloop.pipeline.stage import StageResult

if TYPE_CHECKING:
    from themeloop.pipeline.context import RunContext


class QdpxStage:
    """The coded project for NVivo, ATLAS.ti, MAXQDA and QualCoder: every layer there is."""

    name = "qdpx"
    requires = ()  # each layer (agreed codes, coders, model) is optional: a missing one is a note
    produces = (QDPX,)

    def run(self, ctx: RunContext) -> StageResult:
        from themeloop.qdpx.project import export_project_qdpx

        summary = export_project_qdpx(ctx.project, ctx.out_dir, survey=ctx.survey)
        ctx.record(QDPX, summary.path)
        return StageResult({QDPX.key: summary.path}, list(summary.notes))
