"""Output arguments checked before any work starts, and leftovers of killed runs removed.

A command that would write into ``--out FILE`` or onto ``--json FOLDER`` used
to fail only after its work was done, with an internal error. These checks
run first and fail with one line naming the option.
"""

from __future__ import annotations

import os
from pathlib import Path

from themeloop._io import remove_stale_tmp
from themeloop.config import Project
from themeloop.errors import ConfigError


def check_output_dir(path: str | os.PathLike[str], option: str = "--out") -> Path:
    """Refuse a folder argument that names a file, or that cannot be created or written.

    Raises
    ------
    ConfigError
        ``--out out.csv: is a file, not a folder; ...``.
    """
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise ConfigError(f"{option} {path}: is a file, not a folder; give a folder (it is "
                          "created if missing)")
    _check_creatable(path, option)
    return path


def check_output_file(
    path: str | os.PathLike[str], option: str, example: str = "results.json"
) -> Path:
    """Refuse a file argument that names a folder, or whose folder cannot be made or written.

    Raises
    ------
    ConfigError
        ``--json out: is a folder, not a file; give a file name such as out/agreement.json``.
    """
    path = Path(path)
    if path.is_dir():
        raise ConfigError(f"{option} {path}: is a folder, not a file; give a file name such as "
                          f"{path / example}")
    _check_creatable(path.parent, option, shown=path)
    return path


def _check_creatable(folder: Path, option: str, shown: Path | None = None) -> None:
    """The first existing folder at or above ``folder`` must be a writable folder."""
    shown = shown if shown is not None else folder
    existing = folder
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        raise ConfigError(f"{option} {shown}: {existing} is a file, so no folder can be made "
                          "there; give another path")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise ConfigError(f"{option} {shown}: cannot write in {existing} (permission denied); "
                          "give another path")


def remove_stale_outputs(project: Project, out_dir: str | os.PathLike[str]) -> list[Path]:
    """Remove what killed runs left half-written in the folders a run writes into.

    See :func:`themeloop._io.remove_stale_tmp`; the run keeps its shared lock
    on ``.themeloop/run.lock`` until it exits, so a concurrent run's files stay.
    """
    return remove_stale_tmp(
        [project.root, project.codebook_path.parent],
        trees=[Path(out_dir), project.annotations_dir, project.models_dir],
        lock_file=project.state_dir / "run.lock",
    )
