"""Small file helpers shared by every stage: atomic writes and hashing."""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def atomic_path(target: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path beside ``target``; move it into place on success.

    Nothing is half-written: if the body raises, the temporary file is removed
    and ``target`` is left exactly as it was.
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        with open(tmp_path, "rb+") as fh:
            os.fsync(fh.fileno())
        # mkstemp makes the file private (0600); outputs get the usual mode instead.
        os.chmod(tmp_path, 0o666 & ~_umask())
        os.replace(tmp_path, target)
    finally:
        if tmp_path.exists():
            tmp_path.unlink()


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_text_atomic(target: str | os.PathLike[str], text: str) -> Path:
    """Write ``text`` (UTF-8) to ``target`` atomically and return the path."""
    with atomic_path(target) as tmp:
        tmp.write_text(text, encoding="utf-8", newline="")
    return Path(target)


def write_bytes_atomic(target: str | os.PathLike[str], data: bytes) -> Path:
    """Write ``data`` to ``target`` atomically and return the path."""
    with atomic_path(target) as tmp:
        tmp.write_bytes(data)
    return Path(target)


def write_with(target: str | os.PathLike[str], writer: Callable[[Path], object]) -> Path:
    """Call ``writer(tmp_path)`` and move the result onto ``target`` atomically."""
    with atomic_path(target) as tmp:
        writer(tmp)
    return Path(target)


def sha256_file(path: str | os.PathLike[str]) -> str:
    """Hex sha256 of a file's bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


# mkstemp's names in atomic_path: ".<target name>.<8 random characters>.tmp".
_ATOMIC_TMP = r"\..+\.[A-Za-z0-9_]{8}\.tmp"
STALE_AFTER = 2.0  # seconds: older leftovers are from a dead run when no other run is alive
BUSY_STALE_AFTER = 3600.0  # seconds: while another run is alive, only this old counts as stale
_held_locks: dict[str, int] = {}  # lock file -> descriptor holding a shared lock until exit


def remove_stale_tmp(
    folders: list[str | os.PathLike[str]],
    *,
    lock_file: str | os.PathLike[str],
    trees: list[str | os.PathLike[str]] | None = None,
    stale_after: float = STALE_AFTER,
    busy_after: float = BUSY_STALE_AFTER,
) -> list[Path]:
    """Remove the temporary files of :func:`atomic_path` that a killed process left behind.

    Only files named like ``atomic_path``'s (``.<name>.<random>.tmp``) are
    touched, directly in ``folders`` and anywhere under ``trees``. Whether
    another process may still be writing them is told by ``lock_file``: every
    caller holds a shared ``flock`` on it for the rest of its life (the kernel
    drops it when the process dies, even by SIGKILL).

    - No other live process holds it: a file untouched for ``stale_after``
      seconds is a leftover. Younger ones (a run killed a moment ago) are
      waited for, once, and removed unless they were touched meanwhile.
    - Another process holds it: its writes may be in progress, and only files
      untouched for ``busy_after`` seconds are removed.

    Returns the files removed.
    """
    import fcntl
    import time

    lock = Path(lock_file)
    key = str(lock.resolve())
    fd = _held_locks.get(key)
    if fd is None:
        lock.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o600)
        _held_locks[key] = fd
    candidates = [p for f in folders for p in _entries(Path(f))]
    candidates += [p for t in trees or [] for p in _tree(Path(t))]
    try:
        alone = _exclusive(fd)
        removed, young = _remove_older(candidates, stale_after if alone else busy_after)
        if alone and young:
            fcntl.flock(fd, fcntl.LOCK_SH)  # others may see us alive while we wait
            newest = max(mtime for _, mtime in young)
            time.sleep(max(0.0, newest + stale_after - time.time()) + 0.05)
            if _exclusive(fd):
                removed += _remove_older([p for p, _ in young], stale_after)[0]
        return removed
    finally:
        fcntl.flock(fd, fcntl.LOCK_SH)  # we are alive: our own writes are ours


def _exclusive(fd: int) -> bool:
    """Take the lock exclusively if no other process holds it."""
    import fcntl

    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def _remove_older(paths: list[Path], age: float) -> tuple[list[Path], list[tuple[Path, float]]]:
    """Remove files untouched for ``age`` seconds; return them and the younger ones."""
    import time

    cutoff = time.time() - age
    removed, young = [], []
    for path in paths:
        try:
            mtime = path.stat().st_mtime
            if mtime < cutoff:
                path.unlink()
                removed.append(path)
            else:
                young.append((path, mtime))
        except FileNotFoundError:  # its writer finished, or another sweep got there first
            continue
    return removed, young


def _is_atomic_tmp(name: str) -> bool:
    import re

    return re.fullmatch(_ATOMIC_TMP, name) is not None


def _entries(folder: Path) -> list[Path]:
    try:
        return [Path(e.path) for e in os.scandir(folder)
                if _is_atomic_tmp(e.name) and e.is_file(follow_symlinks=False)]
    except (FileNotFoundError, NotADirectoryError):
        return []


def _tree(root: Path) -> list[Path]:
    found = []
    for folder, _, files in os.walk(root):
        found += [Path(folder, name) for name in files if _is_atomic_tmp(name)]
    return found
