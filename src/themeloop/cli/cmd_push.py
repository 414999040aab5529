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
    next_n: int | None = typer.Option(
        None, "--next", metavar="N",
        help="Send only the N uncoded answers per question that people should code next "
        "('themeloop autocode next'), first in the coders' queue, with the model's codes "
        "and scores as pre-annotations."),
    review: bool = typer.Option(
        False, "--review", help="Send only the answers the last run flagged for review "
        "(out/review.csv; computed now if there is no run yet), first in the queue."),
    as_json: bool = typer.Option(False, "--json", help="Print what was done as JSON."),
    project: Path | None = PROJECT_OPTION,
    strict: bool = STRICT_OPTION,
) -> None:
    """Create or update one Label Studio project per question; add only missing answers.

    With --next N or --review, send only those answers, first in the coders' queue.
    """
    from themeloop.errors import ConfigError
    from themeloop.studio.push_queue import check_next

    check_next(next_n, review)
    if (next_n is not None or review) and predictions is False:
        which = "--next" if next_n is not None else "--review"
        raise ConfigError(f"--no-predictions does not go with {which}: it sends the model's "
                          "codes as pre-annotations; leave it out")
    proj = load_project(project)
    if next_n is not None or review:
        _push_queue(proj, next_n, question, recreate, batch_size, as_json)
        return
    from themeloop.studio.push import push as push_project

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


def _push_queue(proj, next_n: int | None, question: str | None, recreate: bool,
                batch_size: int | None, as_json: bool) -> None:
    from themeloop.studio.push_queue import push_next, push_review

    with progress_bar() as progress:
        if next_n is not None:
            result = push_next(proj, next_n, question=question, recreate=recreate,
                               batch_size=batch_size, progress=progress)
        else:
            result = push_review(proj, question=question, recreate=recreate,
                                 batch_size=batch_size, progress=progress)
    if as_json:
        echo_json(result.as_dict())
        return
    for note in result.notes:
        typer.echo(f"Note: {note}", err=True)
    what = "to code next" if result.kind == "next" else "to review"
    for q in result.questions:
        s = q.stats
        typer.echo(f"{q.question}: {len(q.response_ids)} answer(s) {what} are first in the "
                   f"coders' queue of project {q.project_id} at {result.url} (model "
                   f"{q.model_version}); {s.imported} new task(s), {s.moved} task(s) reordered, "
                   f"{s.kept} already in place")


def register(app: typer.Typer) -> None:
    app.command("push")(push)
