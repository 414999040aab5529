"""themeloop inspect: summarise the survey."""

from __future__ import annotations

from pathlib import Path

import typer

from themeloop.cli._common import PROJECT_OPTION, STRICT_OPTION, console, echo_json, load_project

ORDER = 20


def inspect(
    project: Path = PROJECT_OPTION,
    as_json: bool = typer.Option(False, "--json", help="Print the summary as JSON."),
    strict: bool = STRICT_OPTION,
) -> None:
    """Rows, respondents, answers per question and attribute values."""
    from themeloop.survey import load_project_survey
    from themeloop.survey.summary import summarise

    summary = summarise(load_project_survey(load_project(project)))
    if as_json:
        echo_json(summary)
        return
    _print(summary)


def _print(summary: dict) -> None:
    from rich.table import Table

    out = console()
    out.print(f"[bold]{summary['file']}[/bold]")
    out.print(f"{summary['rows']} rows, {summary['respondents']} respondents")
    table = Table("question", "answers", "non-substantive", "duplicates", "median words")
    for qid, q in summary["questions"].items():
        table.add_row(qid, str(q["answers"]), str(q["non_substantive"]), str(q["duplicates"]),
                      f"{q['median_words']:g}")
    out.print(table)
    for attr, counts in summary["attributes"].items():
        values = ", ".join(f"{k} {v}" for k, v in counts.items())
        out.print(f"[bold]{attr}[/bold]: {values}")


def register(app: typer.Typer) -> None:
    app.command("inspect")(inspect)
