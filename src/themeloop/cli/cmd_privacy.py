"""themeloop privacy: find personal data in answers and pseudonymise it."""

from __future__ import annotations

from pathlib import Path

import typer

from themeloop.cli._common import PROJECT_OPTION, load_project

ORDER = 25

privacy_app = typer.Typer(
    help="Find personal data (names, schools, phones, e-mails, postcodes, NHS and NI numbers) "
    "and pseudonymise it; the key stays in .themeloop/privacy/ (0600).",
    no_args_is_help=True,
)

FILE_ARG = typer.Argument(None, help="Ad hoc: a file to read (needs --id-column and --text-column).",
                          show_default=False, metavar="FILE")
ID_OPTION = typer.Option(None, "--id-column", help="Ad hoc: the id column.")
TEXT_OPTION = typer.Option(None, "--text-column", help="Ad hoc: the free-text column.")


def _adhoc(file: Path | None, id_column: str | None, text_column: str | None,
           out: Path | None) -> bool:
    """True for ad hoc mode; checks the flags go together."""
    from themeloop.errors import ConfigError

    if file is None:
        if id_column or text_column:
            raise ConfigError("--id-column and --text-column need a FILE; without one the "
                              "project's survey is used")
        return False
    if not id_column or not text_column:
        raise ConfigError(f"{file}: give both --id-column and --text-column")
    if out is None:
        raise ConfigError(f"{file}: give --out for the output file")
    return True


@privacy_app.command("scan")
def scan(
    file: Path | None = FILE_ARG,
    id_column: str | None = ID_OPTION,
    text_column: str | None = TEXT_OPTION,
    out: Path | None = typer.Option(None, "--out", "-o", help="FINDINGS.csv to write (project "
                                    "default: out/privacy_findings.csv)."),
    project: Path = PROJECT_OPTION,
) -> None:
    """List detections as FINDINGS.csv: response_id, start, end, entity, score, recogniser."""
    from themeloop.privacy.adhoc import scan_file, scan_project

    if _adhoc(file, id_column, text_column, out):
        assert file is not None and id_column and text_column and out is not None  # _adhoc checked
        scanned, target = scan_file(file, id_column, text_column, out), out
    else:
        scanned, target = scan_project(load_project(project), out)
    typer.echo(f"{scanned.n_detections} detections in {len(scanned.texts)} answers; wrote {target}")


@privacy_app.command("redact")
def redact(
    file: Path | None = FILE_ARG,
    id_column: str | None = ID_OPTION,
    text_column: str | None = TEXT_OPTION,
    out: Path | None = typer.Option(None, "--out", "-o", help="REDACTED.csv to write (project "
                                    "default: out/survey_pseudonymised.csv)."),
    key: Path | None = typer.Option(None, "--key", help="Ad hoc: the key file (default: "
                                    ".themeloop/privacy/key.json here)."),
    project: Path = PROJECT_OPTION,
) -> None:
    """Write the file with every answer pseudonymised; the original is never changed."""
    from themeloop.privacy.adhoc import DEFAULT_KEY, redact_file, redact_project

    if _adhoc(file, id_column, text_column, out):
        assert file is not None and id_column and text_column and out is not None  # _adhoc checked
        scanned = redact_file(file, id_column, text_column, out, key or DEFAULT_KEY)
        target = out
    else:
        if key is not None:
            from themeloop.errors import ConfigError

            raise ConfigError("--key is for ad hoc use; a project keeps its key in "
                              ".themeloop/privacy/key.json")
        scanned, target = redact_project(load_project(project), out)
    typer.echo(f"pseudonymised {scanned.n_detections} spans in {len(scanned.texts)} answers; "
               f"wrote {target}")


@privacy_app.command("review")
def review(project: Path = PROJECT_OPTION) -> None:
    """Write .themeloop/privacy/review.csv: every detection with its context, to confirm or correct."""
    from themeloop.privacy.adhoc import review_project

    path, n, decided = review_project(load_project(project))
    typer.echo(f"wrote {path} ({n} detections, {decided} decisions kept). It holds original text: "
               "it stays private (0600). Mark false positives 'keep', add missed spans as 'add' "
               "rows; the next run honours them.")


@privacy_app.command("reveal")
def reveal(
    token: str = typer.Argument(..., help="A pseudonym, e.g. [PERSON_3]."),
    key: Path | None = typer.Option(None, "--key", help="The key file (default: the project's)."),
    project: Path = PROJECT_OPTION,
) -> None:
    """Print the original behind one pseudonym (the only command that shows it)."""
    from themeloop.privacy.adhoc import reveal as reveal_token

    entry = reveal_token(token, project=None if key else load_project(project), key_path=key)
    typer.echo(f"{token.strip()}\t{entry['entity']}\t{entry['original']}")


def register(app: typer.Typer) -> None:
    app.add_typer(privacy_app, name="privacy")
