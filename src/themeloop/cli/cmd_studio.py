"""themeloop studio up|down|status|token, studio users add: the local Label Studio."""

from __future__ import annotations

import os
from pathlib import Path

import typer

from themeloop.cli._common import PROJECT_OPTION, echo_json, load_project

ORDER = 50

studio_app = typer.Typer(
    help="Run the local Label Studio server and manage its coders.",
    no_args_is_help=True,
    rich_markup_mode=None,
)
users_app = typer.Typer(help="Coders' accounts on the local Label Studio.", no_args_is_help=True,
                        rich_markup_mode=None)
studio_app.add_typer(users_app, name="users")


def _local(project: Path | None):
    """The project and its local server paths; refuses when [studio] url names a remote server."""
    from themeloop.errors import StudioError
    from themeloop.studio.server import StudioPaths

    proj = load_project(project)
    if proj.config.studio.url:
        raise StudioError(f"[studio] url is set to {proj.config.studio.url} in themeloop.toml; "
                          "themeloop manages only a local server (remove url to use one)")
    return proj, StudioPaths.for_project(proj)


@studio_app.command("up")
def up(
    port: int | None = typer.Option(None, "--port", min=1, max=65535, help="Port on 127.0.0.1 (default: [studio] port)."),
    project: Path | None = PROJECT_OPTION,
) -> None:
    """Start the local Label Studio (bound to 127.0.0.1) and wait until it answers."""
    from themeloop.studio.server import start_server

    proj, paths = _local(project)
    status = start_server(paths, port or proj.config.studio.port, on_first_start=lambda: typer.echo(
        "Starting Label Studio for the first time: creating its database takes 30 s to a few "
        "minutes...", err=True), on_made_private=lambda fixed: typer.echo(
        f"note: {paths.root} was readable by others: made {len(fixed)} files and folders in "
        f"it private (folders 0700, files 0600)", err=True))
    typer.echo(f"Label Studio is running at {status.url} (data in {status.data_dir}, "
               f"log {status.log})")


@studio_app.command("down")
def down(project: Path | None = PROJECT_OPTION) -> None:
    """Stop the local Label Studio."""
    from themeloop.studio.server import stop_server

    _, paths = _local(project)
    typer.echo("Label Studio stopped" if stop_server(paths) else "Label Studio was not running")


@studio_app.command("status")
def status(
    as_json: bool = typer.Option(False, "--json", help="Print the status as JSON."),
    project: Path | None = PROJECT_OPTION,
) -> None:
    """Say whether the local Label Studio runs, and where."""
    from themeloop.studio.server import server_status

    _, paths = _local(project)
    info = server_status(paths)
    if as_json:
        echo_json(info.as_dict())
    elif info.running:
        typer.echo(f"running at {info.url} (pid {info.pid}, data in {info.data_dir})")
    else:
        typer.echo(f"not running (data in {info.data_dir})")


@studio_app.command("token")
def token(project: Path | None = PROJECT_OPTION) -> None:
    """Print the local server's admin API token (for scripts; keep it secret)."""
    from themeloop.studio.server import admin_token

    _, paths = _local(project)
    typer.echo(admin_token(paths))


@users_app.command("add")
def users_add(
    email: str = typer.Argument(..., help="The coder's e-mail; they log in with it."),
    password_env: str | None = typer.Option(
        None, "--password-env", metavar="VAR",
        help="Take the password from this environment variable (default: generate one and "
             "write it to a file readable only by you)."),
    project: Path | None = PROJECT_OPTION,
) -> None:
    """Create a coder who can log in to the local Label Studio."""
    from themeloop.errors import ConfigError
    from themeloop.studio.client import session
    from themeloop.studio.users import add_user

    proj, paths = _local(project)
    password = None
    if password_env is not None:
        password = os.environ.get(password_env)
        if not password:
            raise ConfigError(f"--password-env {password_env}: the environment variable "
                              f"{password_env} is not set or empty")
    with session(proj) as (client, conn):
        account = add_user(client, paths, email, password)
    where = (f"password in {account.password_file}" if account.password_file
             else f"password from ${password_env}")
    verb = "added" if account.created else "updated"
    typer.echo(f"coder {email} {verb}; log in at {conn.url} ({where})")


def register(app: typer.Typer) -> None:
    app.add_typer(studio_app, name="studio")
