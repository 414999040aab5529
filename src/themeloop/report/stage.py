"""The report stage of ``themeloop run``."""

from __future__ import annotations

from typing import TYPE_CHECKING

from themeloop.pipeline.artifacts import REPORT_HTML, REPORT_MANIFEST
from themeloop.pipeline.stage import StageResult

if TYPE_CHECKING:
    from themeloop.pipeline.context import RunContext


class ReportStage:
    """The self-contained HTML report of everything the run wrote."""

    name = "report"
    requires = ()
    produces = (REPORT_HTML, REPORT_MANIFEST)

    def run(self, ctx: RunContext) -> StageResult:
        from themeloop.report.inputs import report_project

        before = dict(ctx.outputs)
        report_project(ctx)
        return StageResult.since(ctx, before)
