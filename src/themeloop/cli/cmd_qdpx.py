"""themeloop export qdpx | import qdpx, and codebook export --qdc | codebook import FILE.qdc."""

from __future__ import annotations

from pathlib import Path

import typer

from themeloop.cli._common import PROJECT_OPTION, load_project
from themeloop.cli.cmd_codebook import codebook_app

ORDER = 95

export_app = typer.Typer(help="Export the project for other tools (REFI-QDA .qdpx).",
                         no_args_is_help=True, rich_markup_mode=None)
import_app = typer.Typer(help="Import coding done in other tools (REFI-QDA .qdpx).",
                         no_args_is_help=True, rich_markup_mode=None)


@export_app.command("qdpx")
def export_qdpx(
    layer: str = typer.Option("all", "--layer", help="agreed | coders | model | all: which "
                              "codes go in (agreed.csv, the coding table, model_coding.csv and assignments.csv)."),
    out: Path = typer.Option(None, "--out", "-o", help="The .qdpx to write "
                             "(default: out/project.qdpx)."),
    project: Path = PROJECT_OPTION,
) -> None:
    """Write the project as a REFI-QDA .qdpx for NVivo, ATLAS.ti, MAXQDA or QualCoder."""
    from themeloop.outputs import check_output_file
    from themeloop.pipeline.artifacts import QDPX
    from themeloop.qdpx.project import export_project_qdpx

    proj = load_project(project)
    if out is not None:
        check_output_file(out, "--out", QDPX.name)
    summary = export_project_qdpx(proj, layer=layer, out=out)
    for note in summary.notes:
        typer.echo(f"Note: {note}", err=True)
    typer.echo(f"Wrote {summary.path}: layers {', '.join(summary.layers)}; {summary.n_sources} "
               f"answers, {summary.n_cases} cases, {summary.n_users} users, {summary.n_codes} "
               f"codes, {summary.n_codings} codings, {summary.n_notes} memos")


@import_app.command("qdpx")
def import_qdpx(
    file: Path = typer.Argument(..., help="The .qdpx another tool wrote."),
    out: Path = typer.Option(None, "--out", "-o", help="Coding table to write (default: "
                             "FILE's name with .coding_table.csv, beside it)."),
    codebook_out: Path = typer.Option(None, "--codebook-out",
                                      help="Also write the file's codebook as this YAML."),
    question: str = typer.Option(None, "--question", "-q", help="The question of answers and "
                                 "codes the file does not place."),
    project: Path = PROJECT_OPTION,
) -> None:
    """Read a .qdpx into a coding table (one coder per User); report every selection."""
    from themeloop.errors import ConfigError
    from themeloop.outputs import check_output_file
    from themeloop.pipeline.artifacts import CODING_TABLE
    from themeloop.qdpx.project import import_project_qdpx

    for option, path, example in (("--out", out, CODING_TABLE.name),
                                  ("--codebook-out", codebook_out, "codebook.yaml")):
        if path is not None:
            check_output_file(path, option, example)
    try:
        proj = load_project(project)
    except ConfigError:
        if project is not None:
            raise
        proj = None  # no project here: units are the file's own sources
    result, written = import_project_qdpx(file, project=proj, out=out, codebook_out=codebook_out,
                                          question=question)
    for note in result.report.notes:
        typer.echo(f"Note: {note}", err=True)
    table = result.table
    coders = sorted(set(table["coder"]))
    typer.echo(f"Read {file}: {len(table)} rows, "
               f"{table[['response_id', 'question']].drop_duplicates().shape[0]} answers, "
               f"{len(coders)} coders ({', '.join(coders)})")
    for line in result.report.lines():
        typer.echo(f"  {line}")
    for path in written:
        typer.echo(f"Wrote {path}")


@codebook_app.command("export")
def codebook_export(
    qdc: bool = typer.Option(False, "--qdc", help="As a REFI-QDA codebook (.qdc)."),
    out: Path = typer.Option(None, "--out", "-o", help="File to write (default: out/codebook.qdc)."),
    project: Path = PROJECT_OPTION,
) -> None:
    """Write the project's codebook for other tools (--qdc: REFI-QDA)."""
    from themeloop.errors import ConfigError
    from themeloop.qdpx.project import export_project_qdc

    if not qdc:
        raise ConfigError("choose the format to export: --qdc (REFI-QDA codebook exchange)")
    if out is not None:
        from themeloop.outputs import check_output_file
        from themeloop.pipeline.artifacts import QDC

        check_output_file(out, "--out", QDC.name)
    typer.echo(f"Wrote {export_project_qdc(load_project(project), out)}")


@codebook_app.command("import")
def codebook_import(
    file: Path = typer.Argument(..., help="The .qdc codebook another tool wrote."),
    out: Path = typer.Option(None, "--out", "-o",
                             help="codebook.yaml to write (default: the project's)."),
    question: str = typer.Option(None, "--question", "-q", help="The question of codes outside "
                                 "a question folder (default: the project's only question)."),
    force: bool = typer.Option(False, "--force", help="Replace an existing codebook.yaml."),
    project: Path = PROJECT_OPTION,
) -> None:
    """Read a REFI-QDA .qdc into codebook.yaml, with its hierarchy and descriptions."""
    from themeloop.errors import ConfigError
    from themeloop.outputs import check_output_file
    from themeloop.qdpx.project import import_qdc

    if out is not None:
        check_output_file(out, "--out", "codebook.yaml")
    try:
        proj = load_project(project)
    except ConfigError:
        if project is not None or out is None:
            raise
        proj = None
    target = out if out is not None else proj.codebook_path
    path, notes = import_qdc(file, target, project=proj, question=question, force=force)
    for note in notes:
        typer.echo(f"Note: {note}", err=True)
    typer.echo(f"Wrote {path}")


def register(app: typer.Typer) -> None:
    app.add_typer(export_app, name="export")
    app.add_typer(import_app, name="import")
