"""themeloop init SURVEY: write a themeloop.toml by inspecting a survey file."""

from __future__ import annotations

from pathlib import Path

import typer

from themeloop.cli._common import STRICT_OPTION

ORDER = 10


def init(
    survey: Path = typer.Argument(..., help="Survey file (CSV, XLSX, SAV, DTA or Parquet)."),
    out: Path = typer.Option(None, "--out", help="Where to write (default: themeloop.toml beside the survey)."),
    force: bool = typer.Option(False, "--force", help="Overwrite an existing themeloop.toml."),
    sheet: str = typer.Option(None, "--sheet", help="XLSX sheet to read."),
    encoding: str = typer.Option(None, "--encoding", help="The CSV's encoding, also written to "
                                 "themeloop.toml (default: detected)."),
    strict: bool = STRICT_OPTION,
) -> None:
    """Guess the id, free-text and attribute columns and write themeloop.toml."""
    from themeloop.outputs import check_output_file
    from themeloop.project_init import init_project

    if out is not None:
        check_output_file(out, "--out", "themeloop.toml")
    result = init_project(survey, out=out, force=force, sheet=sheet, encoding=encoding)
    g = result.guess
    typer.echo(f"Wrote {result.path}")
    typer.echo(f"  id column:  {g.id_column}  ({g.reasons.get(g.id_column, '')})")
    for c in g.questions:
        typer.echo(f"  question:   {c}  ({g.reasons[c]})")
    for c in g.attributes:
        typer.echo(f"  attribute:  {c}  ({g.reasons[c]})")
    typer.echo("Check these guesses and edit the file; then run 'themeloop inspect'.")


def register(app: typer.Typer) -> None:
    app.command("init")(init)
