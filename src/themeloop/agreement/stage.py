"""Agreement on a project, and the agreement stage of ``themeloop run``.

``themeloop agreement`` (on a project) and the run both call
:func:`agreement_project`.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from themeloop.pipeline.artifacts import (
    AGREEMENT_JSON,
    AGREEMENT_MANIFEST,
    AGREEMENT_MODEL,
    AGREEMENT_NOTES,
    ASSIGNMENTS,
    CODING_TABLE,
    DISAGREEMENTS,
)
from themeloop.pipeline.stage import StageResult

if TYPE_CHECKING:
    import pandas as pd

    from themeloop.agreement.project import AgreementRun
    from themeloop.pipeline.context import RunContext

PRODUCES = (AGREEMENT_JSON, AGREEMENT_NOTES, AGREEMENT_MODEL, DISAGREEMENTS, AGREEMENT_MANIFEST)


def with_assignments(table: pd.DataFrame, path: Path) -> pd.DataFrame:
    """``table`` plus the model's themes from ``assignments.csv`` as ``source=model`` rows."""
    import pandas as pd

    from themeloop.coding import assignments_to_coding, validate_coding_table
    from themeloop.errors import CodingTableError
    from themeloop.safe_csv import read_csv

    if not path.is_file():
        raise CodingTableError(f"{path}: no such assignments file")
    model = assignments_to_coding(read_csv(path, dtype={"theme_id": str}))
    return validate_coding_table(pd.concat([table, model], ignore_index=True))


def agreement_project(
    ctx: RunContext, *, codes: Path | None = None, assignments: Path | None = None,
    json_out: Path | None = None, csv_out: Path | None = None,
    disagreements_out: Path | None = None, question: str | None = None,
    level: str | None = None, bootstrap: int | None = None, seed: int | None = None,
    raw: bool | None = None, **options: Any,
) -> AgreementRun:
    """Agreement of the project's coding table (or ``codes``), written into the run's folder.

    ``json_out`` defaults to the run's ``agreement.json`` when ``codes`` is not
    given. With ``assignments`` the model's themes are compared with each coder.
    ``options`` override the ``[agreement]`` coefficient settings
    (``coefficients``, ``weights``, ``complete_cases``, ``population``), and
    ``raw`` (default: ``[export] raw``) writes the CSVs without formula neutralisation.

    Raises
    ------
    CodingTableError
        When there is no coding table, or ``assignments`` does not exist.
    """
    from themeloop.agreement.project import agreement_settings, run_agreement
    from themeloop.safe_csv import resolve_raw

    table_path = codes if codes is not None else ctx.coding_path
    table = ctx.table(codes) if codes is not None else ctx.coding
    if assignments is not None:
        table = with_assignments(table, assignments)
    if json_out is None and codes is None:
        json_out = ctx.path(AGREEMENT_JSON)
    run = run_agreement(
        table, table_path=table_path, json_out=json_out, csv_out=csv_out,
        disagreements_out=disagreements_out,
        responses=ctx.responses if disagreements_out is not None else None,
        settings=agreement_settings(ctx.project, level, bootstrap, seed, **options),
        question=question, root=ctx.project.root, raw=resolve_raw(raw, ctx.project),
    )
    ctx.record_written(run.paths, PRODUCES)
    return run


class AgreementStage:
    """Agreement between coders (with autocode off, also the themes against each coder)."""

    name = "agreement"
    requires = (CODING_TABLE,)
    produces = PRODUCES

    def run(self, ctx: RunContext) -> StageResult:
        before = dict(ctx.outputs)
        assignments = ctx.path(ASSIGNMENTS)
        # With autocode on, agreement_model.json is the autocode stage's (the real model,
        # cross-fitted); the themes' one-theme-per-answer suggestions are compared only without it.
        themes = assignments.is_file() and not ctx.project.config.autocode.enabled
        agreement_project(ctx, assignments=assignments if themes else None,
                          disagreements_out=ctx.path(DISAGREEMENTS))
        return StageResult.since(ctx, before)
