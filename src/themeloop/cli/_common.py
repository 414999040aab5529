"""Options and helpers shared by CLI commands."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import typer

from themeloop.progress import Progress, no_progress

PROJECT_OPTION = typer.Option(
    None, "--project", "-p", help="Project folder or themeloop.toml (default: search upwards from here)."
)
RAW_OPTION = typer.Option(
    False, "--raw", help="Write CSVs with the text exactly as it is, without the leading ' that "
    "keeps a spreadsheet from running =, +, -, @ cells as formulas; for a program, not a "
    "spreadsheet (default: [export] raw). See docs/exports.md."
)

# Where the heavy work runs (over [compute]); see docs/scale-out.md.
BACKEND_OPTION = typer.Option(
    None, "--backend", metavar="local|dask",
    help="Where embedding and assignment run: 'local' (this process) or 'dask' (default: "
    "[compute] backend).")
SCHEDULER_OPTION = typer.Option(
    None, "--scheduler", metavar="ADDRESS|local:N",
    help="The Dask scheduler: 'local:N' starts N worker processes on 127.0.0.1, or an address "
    "such as tcp://host:8786 (default: [compute] scheduler; implies --backend dask).")


# Ad hoc mode (a FILE instead of a project): the options every such command shares.
ID_COLUMN_OPTION = typer.Option(None, "--id-column", help="Ad hoc: the respondent id column.")
ATTRIBUTE_OPTION = typer.Option(
    None, "--attribute", help="Ad hoc: a respondent attribute column (repeatable).")
ENCODING_OPTION = typer.Option(
    None, "--encoding", help="Ad hoc: the CSV's encoding (default: a byte-order mark, else UTF-8, "
    "else cp1252 with a warning).")
SHEET_OPTION = typer.Option(None, "--sheet", help="Ad hoc: the XLSX sheet (default: the first).")


def _strict(ctx: typer.Context, value: bool) -> bool:
    """Under --strict, input warnings become errors until the command ends."""
    if value:
        import warnings

        from themeloop.errors import InputWarning

        ctx.with_resource(warnings.catch_warnings())
        warnings.simplefilter("error", InputWarning)
    return value


STRICT_OPTION = typer.Option(
    False, "--strict", callback=_strict,
    help="Stop with an error where the input would only warn: codes that differ only in case "
    "or spacing, merged or uncalculated XLSX cells, a guessed encoding.")


def load_project(project: Path | None):  # -> themeloop.config.Project
    from themeloop.config import find_project

    return find_project(project)


def echo_json(data: Any) -> None:
    typer.echo(json.dumps(data, indent=2, ensure_ascii=False, default=str))


def console():  # -> rich.console.Console
    from rich.console import Console

    return Console(highlight=False, soft_wrap=False)


@contextmanager
def progress_bar() -> Iterator[Progress]:
    """A rich progress bar on a terminal; silent (no output at all) in a pipe."""
    if not sys.stderr.isatty():
        yield no_progress
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeElapsedColumn
    from rich.progress import Progress as RichProgress

    bars: dict[str, Any] = {}
    with RichProgress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
        console=Console(stderr=True), transient=True,
    ) as rich_progress:

        def update(task: str, done: int, total: int | None) -> None:
            if task not in bars:
                bars[task] = rich_progress.add_task(task, total=total)
            rich_progress.update(bars[task], completed=done, total=total)

        yield update
