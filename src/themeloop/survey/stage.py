"""The load stage of ``themeloop run``: the survey, the codebook, the responses table."""

from __future__ import annotations

from typing import TYPE_CHECKING

from themeloop.errors import CodingTableError
from themeloop.pipeline.artifacts import RESPONSES
from themeloop.pipeline.stage import StageResult

if TYPE_CHECKING:
    from themeloop.pipeline.context import RunContext


class LoadStage:
    """Read and validate the survey and the codebook; materialise the responses table."""

    name = "load"
    requires = ()
    produces = (RESPONSES,)

    def run(self, ctx: RunContext) -> StageResult:
        from themeloop.studio.server import studio_reachable

        ctx.survey  # noqa: B018 - read and validated here, before any long stage
        notes = []
        if ctx.codebook is None:
            notes.append(f"no codebook at {ctx.project.codebook_path}: themes are inductive only")
        # Fail before the long themes stage when there is nothing to code against.
        if not ctx.has_coding and not studio_reachable(ctx.project):
            raise CodingTableError.missing(ctx.coding_path)
        ctx.record(RESPONSES, ctx.write_responses())
        return StageResult({RESPONSES.key: ctx.path(RESPONSES)}, notes)
