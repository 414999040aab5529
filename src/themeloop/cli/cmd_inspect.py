"""themeloop inspect: summarise the survey."""

from __future__ import annotations

from pathlib import Path

import typer

from themeloop.cli._common import (
    ATTRIBUTE_OPTION,
    ENCODING_OPTION,
    ID_COLUMN_OPTION,
    PROJECT_OPTION,
    SHEET_OPTION,
    STRICT_OPTION,
    console,
    echo_json,
    load_project,
)

ORDER = 20


def inspect(
    survey_file: Path | None = typer.Argument(
        None, help="Ad hoc: a survey file to summarise without a project (needs --id-column and "
        "--text-column).", show_default=False, metavar="FILE",
    ),
    project: Path = PROJECT_OPTION,
    as_json: bool = typer.Option(False, "--json", help="Print the summary as JSON."),
    id_column: str | None = ID_COLUMN_OPTION,
    text_column: list[str] = typer.Option(
        None, "--text-column", help="Ad hoc: a free-text question column (repeatable)."),
    attribute: list[str] = ATTRIBUTE_OPTION,
    encoding: str | None = ENCODING_OPTION,
    sheet: str | None = SHEET_OPTION,
    strict: bool = STRICT_OPTION,
) -> None:
    """Rows, respondents, answers per question and attribute values."""
    from themeloop.survey import load_project_survey
    from themeloop.survey.adhoc import load_adhoc_survey, refuse_adhoc_options
    from themeloop.survey.summary import summarise

    if survey_file is not None:
        survey = load_adhoc_survey(survey_file, id_column=id_column, text_columns=text_column,
                                   attributes=attribute, encoding=encoding, sheet=sheet)
    else:
        refuse_adhoc_options(id_column=id_column, text_column=text_column, attribute=attribute,
                             encoding=encoding, sheet=sheet)
        survey = load_project_survey(load_project(project))
    summary = summarise(survey)
    if as_json:
        echo_json(summary)
        return
    _print(summary)


def _print(summary: dict) -> None:
    from rich.markup import escape
    from rich.table import Table

    out = console()
    out.print(f"[bold]{escape(summary['file'])}[/bold]")
    out.print(f"{summary['rows']} rows, {summary['respondents']} respondents")
    table = Table("question", "answers", "non-substantive", "duplicates", "median words")
    for qid, q in summary["questions"].items():
        table.add_row(qid, str(q["answers"]), str(q["non_substantive"]), str(q["duplicates"]),
                      f"{q['median_words']:g}")
    out.print(table)
    for attr, counts in summary["attributes"].items():
        values = ", ".join(f"{k} {v}" for k, v in counts.items())
        out.print(f"[bold]{escape(attr)}[/bold]: {escape(values)}")


def register(app: typer.Typer) -> None:
    app.command("inspect")(inspect)
