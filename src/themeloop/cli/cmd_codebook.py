"""themeloop codebook check|show|diff: validate, read and compare codebooks."""

from __future__ import annotations

from pathlib import Path

import typer

from themeloop.cli._common import PROJECT_OPTION, console, echo_json, load_project

ORDER = 40

codebook_app = typer.Typer(
    help="Check, show and compare codebook.yaml versions.",
    no_args_is_help=True,
    rich_markup_mode=None,
)

PATH_ARGUMENT = typer.Argument(
    None, help="codebook.yaml to read (default: the project's codebook, paths.codebook)."
)


def _resolve(path: Path | None, project: Path | None) -> tuple[Path, list[str] | None]:
    """The codebook path and, when it comes from a project, the project's question ids."""
    if path is not None and project is None:
        return path, None
    proj = load_project(project)
    questions = [q.id for q in proj.config.questions]
    return (path if path is not None else proj.codebook_path), questions


OLD_ARGUMENT = typer.Argument(..., help="The earlier codebook.yaml.")
NEW_ARGUMENT = typer.Argument(..., help="The later codebook.yaml.")
JSON_OPTION = typer.Option(False, "--json", help="Print the diff and mapping as JSON.")
QUESTION_OPTION = typer.Option(None, "--question", "-q", help="Show only this question.")


@codebook_app.command("check")
def check(
    path: Path | None = PATH_ARGUMENT,
    project: Path | None = PROJECT_OPTION,
    strict: bool = typer.Option(False, "--strict", help="Codes whose ids or labels differ only "
                                "in case or spacing are errors, not warnings."),
) -> None:
    """List every problem of a codebook, one per line; exit 2 if any is an error."""
    from themeloop.codebook import check_codebook, load_codebook

    cb_path, questions = _resolve(path, project)
    problems = check_codebook(cb_path, questions=questions, strict=strict)
    for problem in problems:
        typer.echo(str(problem))
    if any(p.severity == "error" for p in problems):
        raise typer.Exit(2)
    cb = load_codebook(cb_path, strict=False)  # the checks above said it all
    typer.echo(f"OK: {_plural(cb.n_codes, 'code')} in {_plural(len(cb.questions), 'question')} "
               f"(version {cb.version})")


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


@codebook_app.command("show")
def show(
    path: Path | None = PATH_ARGUMENT,
    question: str | None = QUESTION_OPTION,
    project: Path | None = PROJECT_OPTION,
) -> None:
    """Print the codebook as a tree: questions, then codes under their parents."""
    from themeloop.codebook import load_codebook
    from themeloop.codebook.render import codebook_tree

    cb_path, _ = _resolve(path, project)
    console().print(codebook_tree(load_codebook(cb_path, strict=False), question))


@codebook_app.command("diff")
def diff(
    old: Path = OLD_ARGUMENT,
    new: Path = NEW_ARGUMENT,
    as_json: bool = JSON_OPTION,
) -> None:
    """What changed between two codebook versions (added, removed, renamed, merged)."""
    from themeloop.codebook import diff_codebooks, load_codebook
    from themeloop.codebook.render import diff_lines

    result = diff_codebooks(load_codebook(old), load_codebook(new))
    if as_json:
        echo_json(result.to_dict())
        return
    for line in diff_lines(result):
        typer.echo(line)


def register(app: typer.Typer) -> None:
    app.add_typer(codebook_app, name="codebook")
