"""Adjudication on a project: the rule and inputs from themeloop.toml, outputs in the run's folder.

``themeloop adjudicate`` and ``themeloop run`` both call :func:`adjudicate_project`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from themeloop.adjudicate.output import write_adjudication
from themeloop.adjudicate.rules import AdjudicationResult, adjudicate
from themeloop.pipeline.artifacts import ADJUDICATE_MANIFEST, AGREED, DECISIONS, UNDECIDED

if TYPE_CHECKING:
    import pandas as pd

    from themeloop.config import AdjudicationSection
    from themeloop.pipeline.context import RunContext

TABLE_SUFFIXES = (".csv", ".parquet")


@dataclass
class AdjudicationRun:
    """What an adjudication decided, the table it read, and the files it wrote (manifest last)."""

    result: AdjudicationResult
    table: pd.DataFrame
    paths: list[Path]


def agreed_target(out: Path, option: str = "--out") -> tuple[Path, str]:
    """``--out``: a folder (the agreed table gets its usual name) or the agreed table's path.

    Checked before any work (:mod:`themeloop.outputs`): ``option`` names it in the error.
    """
    from themeloop.outputs import check_output_dir, check_output_file

    if out.suffix.lower() in TABLE_SUFFIXES:
        check_output_file(out, option, AGREED.name)
        return out.parent, out.name
    check_output_dir(out, option)
    return out, AGREED.name


def adjudicate_project(
    ctx: RunContext, *, rule: str | None = None, min_coders: int | None = None,
    codes: Path | None = None, out: Path | None = None, raw: bool | None = None,
) -> AdjudicationRun:
    """Decide the agreed codes by ``rule`` (default: ``[adjudication] rule``) and write them.

    ``codes`` defaults to the project's coding table, ``out`` to the run's
    folder. The result is kept in ``ctx.adjudication`` for the ledger stage.
    ``raw`` (default: ``[export] raw``) writes the CSVs without formula neutralisation.

    Raises
    ------
    CodingTableError
        When there is no coding table.
    AdjudicationError
        For an unknown rule.
    """
    from themeloop.safe_csv import resolve_raw

    target = out if out is not None else ctx.out_dir
    agreed_target(target, "--out" if out is not None else "paths.out")
    table_path = codes if codes is not None else ctx.coding_path
    table = ctx.table(table_path) if codes is not None else ctx.coding
    run = adjudicate_table(
        table, table_path, settings=ctx.project.config.adjudication, rule=rule,
        min_coders=min_coders, out=target, root=ctx.project.root,
        raw=resolve_raw(raw, ctx.project),
    )
    ctx.record_written(run.paths, (AGREED, DECISIONS, UNDECIDED, ADJUDICATE_MANIFEST))
    if AGREED.key in ctx.outputs:
        ctx.adjudication = run.result
    return run


def adjudicate_table(
    table: pd.DataFrame, table_path: Path, *, settings: AdjudicationSection,
    rule: str | None = None, min_coders: int | None = None, out: Path, root: Path | None = None,
    raw: bool = False,
) -> AdjudicationRun:
    """Adjudicate ``table`` (read from ``table_path``) and write the three tables and a manifest.

    ``rule`` and ``min_coders`` default to ``settings`` (``[adjudication]``); ``raw``
    writes the CSVs without formula neutralisation.
    """
    rule = rule or settings.rule
    min_coders = min_coders if min_coders is not None else settings.min_coders
    folder, name = agreed_target(out)
    result = adjudicate(table, rule, min_coders=min_coders)
    written = write_adjudication(
        result, folder, agreed_name=name, inputs={"coding_table": table_path},
        config={"min_coders": min_coders}, relative_to=root or folder, raw=raw,
    )
    return AdjudicationRun(result, table, written)
