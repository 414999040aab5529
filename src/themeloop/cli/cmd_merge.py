"""themeloop merge: agreed codes back into the survey, exported to every format."""

from __future__ import annotations

from pathlib import Path

import typer

from themeloop.cli._common import (
    PROJECT_OPTION,
    RAW_OPTION,
    STRICT_OPTION,
    console,
    echo_json,
    load_project,
)

ORDER = 70


def merge(
    project: Path = PROJECT_OPTION,
    strict: bool = STRICT_OPTION,
    codes: Path = typer.Option(
        None, "--codes", help="Agreed coding table (default: <out>/agreed.csv from 'themeloop adjudicate')."
    ),
    out: Path = typer.Option(None, "--out", help="Output folder (default: the project's out/)."),
    allow_unknown_codes: bool = typer.Option(
        None, "--allow-unknown-codes/--no-allow-unknown-codes",
        help="Keep codes that are not in the codebook as extra columns instead of stopping.",
    ),
    formats: str = typer.Option(
        None, "--format", help="Comma-separated export formats: csv,xlsx,sav,dta,parquet (default: all)."
    ),
    coder: str = typer.Option(None, "--coder", help="Merge only this coder's rows of the table."),
    model_codes: bool = typer.Option(
        True, "--model-codes/--no-model-codes",
        help="Fill the answers no person coded with the run's model_coding.csv (if there is one).",
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the merge report as JSON."),
    raw: bool = RAW_OPTION,
) -> None:
    """Write the merged dataset: every survey row and column plus 0/1 code columns."""
    from themeloop.merge.project import merge_project
    from themeloop.outputs import check_output_dir
    from themeloop.pipeline.context import RunContext

    chosen = [f.strip() for f in formats.split(",") if f.strip()] if formats else None
    proj = load_project(project)
    check_output_dir(out if out is not None else proj.out_dir, "--out" if out else "paths.out")
    ctx = RunContext.for_project(proj, out)
    run = merge_project(ctx, codes=codes, allow_unknown_codes=allow_unknown_codes,
                        formats=chosen, coder=coder, raw=True if raw else None,
                        model=model_codes)
    if as_json:
        echo_json({**run.report, "outputs": {k: str(v) for k, v in run.outputs.items()},
                   "manifest": str(run.manifest)})
        return
    out_console = console()
    report = run.report
    out_console.print(f"merged {report['rows']} rows, {report['code_columns']} code columns "
                      f"(codebook {report['codebook_version']})")
    for qid, q in report["questions"].items():
        by_model = f", {q['model_coded']} coded by the model" if q.get("model_coded") else ""
        out_console.print(f"  {qid}: {q['coded']} coded{by_model}, {q['not_coded']} not coded, "
                          f"{q['nonsubstantive']} non-substantive")
    renamed = {**report["renamed"], **report["spss_stata_renamed"]}
    if renamed:
        out_console.print(f"  {len(renamed)} column names shortened or renamed: see {run.outputs['report'].name}")
    for path in run.outputs.values():
        out_console.print(f"wrote {path}")


def register(app: typer.Typer) -> None:
    app.command("merge")(merge)
