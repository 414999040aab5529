"""Coders on the local Label Studio: an account each, with a password they can log in with.

Label Studio's API creates users without a usable password, so the password is
set with ``label-studio reset_password`` run against the server's data dir. The
password goes to that command on its standard input, never on its command line.
"""

from __future__ import annotations

import os
import re
import secrets
import subprocess
from dataclasses import dataclass
from pathlib import Path

from themeloop.errors import StudioError
from themeloop.studio.server import SERVER_UMASK, StudioPaths, find_label_studio, server_env

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


@dataclass(frozen=True)
class CoderAccount:
    """A coder's account: ``password_file`` is set when themeloop generated the password."""

    email: str
    user_id: int
    created: bool
    password_file: Path | None


def add_user(client, paths: StudioPaths, email: str, password: str | None = None, *,
             executable: Path | None = None) -> CoderAccount:
    """Create (or update) coder ``email`` on the local server and give them ``password``.

    With ``password`` None a password is generated and written to
    ``<state>/studio/passwords/<email>`` with mode 0600.
    """
    from themeloop.studio.client import studio_errors

    if not _EMAIL.match(email):
        raise StudioError(f"'{email}' is not an e-mail address; coders log in with their e-mail")
    with studio_errors():
        existing = [u for u in client.users.list() if (u.email or "").lower() == email.lower()]
        if existing:
            user, created = existing[0], False
        else:
            user, created = client.users.create(username=email, email=email), True
    password_file = None
    if password is None:
        password = secrets.token_urlsafe(12)
        password_file = _write_password(paths, email, password)
    _set_password(paths, email, password, executable or find_label_studio())
    return CoderAccount(email, int(user.id), created, password_file)


def _write_password(paths: StudioPaths, email: str, password: str) -> Path:
    paths.passwords.mkdir(parents=True, exist_ok=True)
    os.chmod(paths.passwords, 0o700)
    target = paths.passwords / email
    tmp = target.with_name(f".{email}.tmp")
    tmp.unlink(missing_ok=True)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(password + "\n")
    os.replace(tmp, target)
    return target


def _set_password(paths: StudioPaths, email: str, password: str, exe: Path) -> None:
    proc = subprocess.run(
        [str(exe), "reset_password", "--username", email],
        input=password + "\n", env=server_env(paths), cwd=paths.root, capture_output=True,
        text=True, start_new_session=True, timeout=300, check=False,  # no tty: getpass reads stdin
        umask=SERVER_UMASK,  # it opens the database: whatever it creates stays private
    )
    said = proc.stdout + proc.stderr
    if proc.returncode != 0 or not ("successfully changed" in said or "same as current" in said):
        last = next((line for line in reversed(said.splitlines()) if line.strip()), "no output")
        raise StudioError(f"could not set the password of {email}: label-studio reset_password "
                          f"said '{last.strip()}'")
