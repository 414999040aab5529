"""themeloop push: the codebook, answers and suggestions into Label Studio."""

from __future__ import annotations

from pathlib import Path

import typer

from themeloop.cli._common import (
    PROJECT_OPTION,
    STRICT_OPTION,
    echo_json,
    load_project,
    progress_bar,
)

ORDER = 51


def push(
    question: str | None = typer.Option(None, "--question", "-q", help="Push only this question."),
    predictions: bool | None = typer.Option(
        None, "--predictions/--no-predictions",
        help="Send the themes step's suggestions (default: [studio] predictions)."),
    recreate: bool = typer.Option(
        False, "--recreate", help="Make a new project for a question whose project was deleted."),
    batch_size: int | None = typer.Option(None, "--batch-size", min=1,
                                          help="Tasks per import request."),
    as_json: bool = typer.Option(False, "--json", help="Print what was done as JSON."),
    project: Path | None = PROJECT_OPTION,
    strict: bool = STRICT_OPTION,
) -> None:
    """Create or update one Label Studio project per question; add only missing answers."""
    from themeloop.studio.push import push as push_project

    proj = load_project(project)
    with progress_bar() as progress:
        result = push_project(proj, question=question, predictions=predictions,
                              recreate=recreate, batch_size=batch_size, progress=progress)
    if as_json:
        echo_json(result.as_dict())
        return
    for note in result.notes:
        typer.echo(f"Note: {note}", err=True)
    for q in result.questions:
        what = "created" if q.created else "updated"
        line = (f"{q.question}: project {q.project_id} {what} at {result.url}; "
                f"{q.stats.imported} task(s) added, {q.stats.existing} already there")
        if q.stats.predictions_refreshed:
            line += f", suggestions refreshed on {q.stats.predictions_refreshed}"
        if q.config.migrated:
            line += f", {len(q.config.migrated)} coding(s) migrated"
        typer.echo(line)


def register(app: typer.Typer) -> None:
    app.command("push")(push)
