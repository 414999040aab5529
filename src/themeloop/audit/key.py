"""The ledger key: a per-project secret that signs every ledger event.

The key is 32 random bytes from :mod:`secrets`, kept as 64 hex characters in
``<project>/.themeloop/ledger.key`` (mode 0600, in the git-ignored private
state folder, never in ``annotations/`` beside the ledger; the folder gets a
``.gitignore`` of ``*`` so that no repository commits it). Whoever holds it
can write events that verify; whoever lacks it cannot.
"""

from __future__ import annotations

import os
import secrets
import stat
from pathlib import Path

from themeloop.errors import AuditError

KEY_NAME = "ledger.key"
KEY_BYTES = 32


def key_path(project) -> Path:  # project: themeloop.config.Project
    """``<project>/.themeloop/ledger.key``."""
    return Path(project.state_dir) / KEY_NAME


def read_key(path: str | os.PathLike[str]) -> bytes | None:
    """The key in ``path``, or None when there is no such file.

    A key file readable by group or others is made private (0600) first.

    Raises
    ------
    AuditError
        If the file does not hold 64 hex characters.
    """
    path = Path(path)
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
    except FileNotFoundError:
        return None
    if mode & 0o077:
        os.chmod(path, 0o600)
    text = path.read_text(encoding="ascii", errors="replace").strip()
    try:
        key = bytes.fromhex(text)
    except ValueError:
        key = b""
    if len(key) != KEY_BYTES:
        raise AuditError(f"{path} is not a ledger key ({KEY_BYTES * 2} hex characters); "
                         f"restore it from a backup")
    return key


def create_key(path: str | os.PathLike[str]) -> bytes:
    """Create a new key in ``path`` (0600), or return the one another process just made.

    The key is written to a private temporary file and linked into place, so
    ``path`` never holds half a key and two first users agree on one key.
    """
    path = Path(path)
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    if stat.S_IMODE(path.parent.stat().st_mode) & 0o077:
        os.chmod(path.parent, 0o700)  # the private state folder: ours alone
    ignore = path.parent / ".gitignore"
    if not ignore.exists():  # never committed, whatever the project's own .gitignore says
        ignore.write_text("# themeloop's private state (the ledger key, Label Studio's data)\n*\n",
                          encoding="utf-8")
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.write(fd, (secrets.token_bytes(KEY_BYTES).hex() + "\n").encode("ascii"))
        os.fsync(fd)
        os.close(fd)
        fd = -1
        try:
            os.link(tmp, path)
        except FileExistsError:
            pass  # another process made it first: use theirs
    finally:
        if fd >= 0:
            os.close(fd)
        tmp.unlink(missing_ok=True)
    key = read_key(path)
    assert key is not None
    return key
