"""themeloop adjudicate: the agreed coding table from several coders' codes."""

from __future__ import annotations

from pathlib import Path

import typer

from themeloop.cli._common import PROJECT_OPTION, RAW_OPTION, STRICT_OPTION, console, load_project

ORDER = 61
TABLE_SUFFIXES = (".csv", ".parquet")


def adjudicate(
    rule: str = typer.Option(None, "--rule", help="unanimous | majority | adjudicator:EMAIL "
                             "(default: the project's [adjudication] rule, else majority)."),
    codes: Path = typer.Option(None, "--codes", help="Coding table (CSV or Parquet). Default: "
                               "the project's annotations/coding_table.csv."),
    out: Path = typer.Option(None, "--out", help="A folder, or the agreed table's .csv/.parquet "
                             "path (decisions and undecided go beside it). Default: project out/."),
    min_coders: int = typer.Option(None, "--min-coders", min=1,
                                   help="Units coded by fewer coders stay undecided."),
    push: bool = typer.Option(False, "--push", help="Send the undecided units to a Label Studio "
                              "adjudication project per question (each coder's codes as a "
                              "prediction); 'themeloop pull' brings the decisions back."),
    all_disagreements: bool = typer.Option(
        False, "--all-disagreements",
        help="With --push: send every unit where the coders differ, not only undecided ones."),
    question: str = typer.Option(None, "--question", "-q", help="With --push: only this question."),
    recreate: bool = typer.Option(False, "--recreate", help="With --push: make a new adjudication "
                                  "project for a question whose project was deleted."),
    project: Path = PROJECT_OPTION,
    strict: bool = STRICT_OPTION,
    raw: bool = RAW_OPTION,
) -> None:
    """Decide the agreed codes by a rule; list every decision and what stays undecided."""
    from themeloop.adjudicate import adjudicate as run_rule
    from themeloop.adjudicate import write_adjudication
    from themeloop.coding import read_coding_table
    from themeloop.errors import AdjudicationError, CodingTableError
    from themeloop.safe_csv import resolve_raw

    if push:
        if out is not None:
            raise AdjudicationError("--out does not go with --push (push writes nothing locally)")
        _push(load_project(project), rule, min_coders, codes, question, all_disagreements,
              recreate)
        return
    for flag, given in (("--all-disagreements", all_disagreements),
                        ("--question", question is not None), ("--recreate", recreate)):
        if given:
            raise AdjudicationError(f"{flag} only works with --push")
    proj = _project(project, needed=codes is None or project is not None, out=out)
    cfg = proj.config.adjudication if proj is not None else None
    rule = rule or (cfg.rule if cfg else "majority")
    min_coders = min_coders if min_coders is not None else (cfg.min_coders if cfg else 1)
    table_path = codes if codes is not None else proj.coding_table_path
    folder, name = _target(out if out is not None else proj.out_dir,
                           "--out" if out is not None else "paths.out")
    if codes is None and not table_path.is_file():
        raise CodingTableError(f"{table_path}: no coding table yet; run 'themeloop pull' "
                               "or pass --codes")
    table = read_coding_table(table_path)
    result = run_rule(table, rule, min_coders=min_coders)
    written = write_adjudication(
        result, folder, agreed_name=name, inputs={"coding_table": table_path},
        config={"min_coders": min_coders}, relative_to=proj.root if proj else folder,
        raw=resolve_raw(True if raw else None, proj),
    )
    _print(result, written)
    _note_adjudicators(table, result.rule)


def _push(proj, rule, min_coders, codes, question, all_disagreements, recreate) -> None:
    from themeloop.cli._common import progress_bar
    from themeloop.studio.adjudication import NOTHING, push_adjudication

    with progress_bar() as progress:
        result = push_adjudication(proj, rule=rule, min_coders=min_coders, codes=codes,
                                   question=question, all_disagreements=all_disagreements,
                                   recreate=recreate, progress=progress)
    for note in result.notes:
        typer.echo(f"Note: {note}", err=True)
    if not result.questions:
        typer.echo(f"{NOTHING} (rule {result.rule})")
        return
    for q in result.questions:
        typer.echo(f"{q.question}: {q.units} disputed unit(s) sent for adjudication "
                   f"({q.imported} new, {q.existing} already there) to {q.project_url}")
    typer.echo(f"{result.units} unit(s) in all; after adjudicating run 'themeloop pull', then "
               "'themeloop adjudicate --rule adjudicator:EMAIL'")


def _note_adjudicators(table, rule: str) -> None:
    """Say so when the table holds adjudicators' decisions that this rule leaves unused."""
    from themeloop.studio.adjudication import adjudicator_rows

    for email, n in adjudicator_rows(table).items():
        if rule != f"adjudicator:{email}":
            typer.echo(f"Note: {email} decided {n} unit(s) in an adjudication project; this rule "
                       f"leaves them unused (use --rule adjudicator:{email})", err=True)


def _project(project: Path | None, *, needed: bool, out: Path | None):  # -> Project | None
    from themeloop.errors import ConfigError

    if needed:
        return load_project(project)
    if out is not None:
        return None
    try:
        return load_project(None)
    except ConfigError:
        raise ConfigError("--out is needed outside a project (or pass --project DIR)") from None


def _target(out: Path, option: str) -> tuple[Path, str]:
    """The folder and agreed table's name, checked before any work."""
    from themeloop.adjudicate.output import AGREED
    from themeloop.outputs import check_output_dir, check_output_file

    if out.suffix.lower() in TABLE_SUFFIXES:
        check_output_file(out, option, AGREED)
        return out.parent, out.name
    check_output_dir(out, option)
    return out, AGREED


def _print(result, written: list[Path]) -> None:  # result: AdjudicationResult
    from rich.markup import escape

    out = console()
    out.width = max(out.width, 120)
    counts = result.decisions["decision"].value_counts()
    units = result.decisions[["question", "response_id"]].drop_duplicates()
    open_units = result.undecided[["question", "response_id"]].drop_duplicates()
    out.print(f"rule {result.rule}: {len(units)} units, {len(units) - len(open_units)} agreed, "
              f"{len(open_units)} undecided; decisions: "
              + ", ".join(f"{counts.get(k, 0)} {k}" for k in ("included", "excluded", "undecided")))
    for row in result.undecided.itertuples(index=False):
        code = row.code or "(no code)"
        out.print(escape(f"  undecided {row.response_id} [{row.question}] {code}: {row.reason}"))
    for path in written:
        out.print(escape(f"wrote {path}"))


def register(app: typer.Typer) -> None:
    app.command("adjudicate")(adjudicate)
