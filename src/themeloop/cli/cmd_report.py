"""themeloop report: one self-contained HTML page of the whole loop."""

from __future__ import annotations

from pathlib import Path

import typer

from themeloop.cli._common import PROJECT_OPTION, STRICT_OPTION, load_project

ORDER = 85

OUT_OPTION = typer.Option(
    None, "--out", "-o", help="Folder with the results to report on and to write report.html "
    "into (default: the project's out/).")
BY_OPTION = typer.Option(
    None, "--by", help="Attribute for the charts of codes (default: [report] by, then the first "
    "[crosstab] by; none: one bar per code).")


def report(
    project: Path = PROJECT_OPTION,
    out: Path = OUT_OPTION,
    by: str = BY_OPTION,
    strict: bool = STRICT_OPTION,
) -> None:
    """Write report.html: themes, codes, agreement, adjudication and provenance, offline."""
    from themeloop.audit.project import check_ledger_to_read
    from themeloop.outputs import check_output_dir
    from themeloop.report import write_report

    proj = load_project(project)
    check_output_dir(out if out is not None else proj.out_dir, "--out" if out else "paths.out")
    check_ledger_to_read(proj)  # the report tells the ledger's story
    path = write_report(proj, out_dir=out, by=by)
    typer.echo(f"wrote {path}")


def register(app: typer.Typer) -> None:
    app.command("report")(report)
