"""themeloop themes: propose themes per question and write a draft codebook."""

from __future__ import annotations

from pathlib import Path

import typer

from themeloop.cli._common import (
    BACKEND_OPTION,
    ENCODING_OPTION,
    ID_COLUMN_OPTION,
    PROJECT_OPTION,
    RAW_OPTION,
    SCHEDULER_OPTION,
    SHEET_OPTION,
    STRICT_OPTION,
    console,
    progress_bar,
)

ORDER = 30


def themes(
    survey_file: Path | None = typer.Argument(
        None, help="Ad hoc: a survey file to theme without a project (needs --id-column and "
        "--text-column).", show_default=False, metavar="FILE",
    ),
    project: Path = PROJECT_OPTION,
    question: list[str] = typer.Option(
        None, "--question", "-q", help="Only this question id (repeatable; default: all)."
    ),
    out: Path | None = typer.Option(
        None, "--out", "-o", help="Output folder (default: the project's out/; ad hoc: '.')."
    ),
    seed: int | None = typer.Option(None, "--seed", min=0, help="Random seed (default: the project's)."),
    max_themes: int | None = typer.Option(
        None, "--max-themes", min=1, help="Most themes per question (default: [themes] "
        "max_themes, else size-aware: 12 up to 150 answers, one per 25 answers beyond)."
    ),
    seeds_file: Path | None = typer.Option(
        None, "--seeds-file", help="A codebook.yaml whose codes seed deductive themes."
    ),
    id_column: str | None = ID_COLUMN_OPTION,
    text_column: str | None = typer.Option(
        None, "--text-column", help="Ad hoc: the free-text column to theme."
    ),
    cache_dir: Path | None = typer.Option(
        None, "--cache-dir", help="Embedding cache folder (default: the project's models/cache)."
    ),
    encoding: str | None = ENCODING_OPTION,
    sheet: str | None = SHEET_OPTION,
    strict: bool = STRICT_OPTION,
    raw: bool = RAW_OPTION,
    backend: str | None = BACKEND_OPTION,
    scheduler: str | None = SCHEDULER_OPTION,
) -> None:
    """Propose themes: themes.json, assignments.csv and a draft codebook.yaml."""
    from themeloop.survey.adhoc import refuse_adhoc_options
    from themeloop.themes.run import run_themes

    if survey_file is None:
        refuse_adhoc_options(id_column=id_column, text_column=text_column, encoding=encoding,
                             sheet=sheet)

    with progress_bar() as progress:
        run = run_themes(
            project, survey_file=survey_file, id_column=id_column, text_column=text_column,
            out=out, seed=seed, questions=question or None, max_themes=max_themes,
            seeds_file=seeds_file, cache_dir=cache_dir, progress=progress, encoding=encoding,
            sheet=sheet, raw=True if raw else None, compute_backend=backend, scheduler=scheduler,
        )
    _print(run)


def _print(run) -> None:
    from rich.table import Table

    out = console()
    result = run.result
    table = Table("question", "strategy", "answers", "substantive", "themes", "unassigned")
    for qid, q in result.questions.items():
        table.add_row(qid, q.strategy, str(q.n_responses), str(q.n_substantive),
                      str(len(q.themes)), str(q.n_unassigned))
    out.print(table)
    for qid, q in result.questions.items():
        if q.themes:
            out.print(f"[bold]{qid}[/bold]: " + "; ".join(
                f"{t.label} ({t.size}{', seeded' if t.seeded else ''})" for t in q.themes
            ))
    for note in run.notes:
        out.print(f"Note: {note}")
    out.print("Wrote " + ", ".join(str(p) for p in run.paths.values()))


def register(app: typer.Typer) -> None:
    app.command("themes")(themes)
