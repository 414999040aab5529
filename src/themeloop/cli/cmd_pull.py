"""themeloop pull: Label Studio annotations into the coding table."""

from __future__ import annotations

from pathlib import Path

import typer

from themeloop.cli._common import PROJECT_OPTION, echo_json, load_project

ORDER = 52


def pull(
    question: str | None = typer.Option(None, "--question", "-q", help="Pull only this question."),
    as_json: bool = typer.Option(False, "--json", help="Print what was done as JSON."),
    project: Path | None = PROJECT_OPTION,
) -> None:
    """Export each question's project, keep the raw snapshot, rewrite the coding table."""
    from themeloop.studio.pull import pull as pull_project

    result = pull_project(load_project(project), question=question)
    if as_json:
        echo_json(result.as_dict())
    elif not result.changed:
        typer.echo(f"nothing new: {result.table_path} is up to date")
    else:
        typer.echo(f"wrote {result.table_path}: {result.rows} row(s) from "
                   f"{result.annotations} annotation(s); raw snapshot(s) in "
                   f"{result.raw[0].parent if result.raw else '-'}")


def register(app: typer.Typer) -> None:
    app.command("pull")(pull)
