"""A project's ledger: signed with the project's key, anchored by the heads its manifests recorded.

Every stage that appends (``run``, ``pull``, ``push``) opens the ledger with
:func:`project_ledger`, so its events are signed and the append is refused
when the ledger fails verification. ``audit verify`` opens it the same way.
A ledger written before themeloop signed its ledgers is refused with a clear
error until it is signed on purpose (:func:`sign_project_ledger`).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from themeloop.audit._values import MAC_FIELD
from themeloop.audit.key import create_key, key_path, read_key
from themeloop.audit.ledger import Ledger, default_ledger_path
from themeloop.audit.manifest import read_manifest
from themeloop.audit.verify import Anchor
from themeloop.errors import AuditError
from themeloop.pipeline.artifacts import PULL_MANIFEST, RUN_MANIFEST


def manifest_paths(project) -> list[Path]:  # project: themeloop.config.Project
    """Where the stages that append to the ledger write their manifests."""
    return [RUN_MANIFEST.path(project.out_dir), PULL_MANIFEST.path(project.annotations_dir)]


def recorded_anchors(ledger_path: str | os.PathLike[str], manifests: Iterable[str | Path],
                     root: str | Path) -> list[Anchor]:
    """The ledger heads that ``manifests`` recorded for ``ledger_path``.

    A manifest that does not exist, or records no head, or a head for another
    ledger, gives nothing. Recorded paths are relative to ``root``.

    Raises
    ------
    AuditError
        If a manifest is not JSON or its ``ledger`` record is malformed.
    """
    target = Path(ledger_path).resolve()
    anchors = []
    for path in manifests:
        path = Path(path)
        if not path.is_file():
            continue
        try:
            record: Any = read_manifest(path).get("ledger")
        except (ValueError, AttributeError):
            raise AuditError(f"{path} is not a run manifest (not a JSON object); restore it "
                             f"or delete it") from None
        if record is None:
            continue
        try:
            recorded = (Path(root) / record["path"]).resolve()
            anchor = Anchor(int(record["events"]), str(record["head"]), str(path),
                            bool(record.get("keyed")))
        except (KeyError, TypeError, ValueError):
            raise AuditError(f"{path}: its 'ledger' record is not {{path, events, head, keyed}}; "
                             f"restore the manifest from a backup") from None
        if recorded == target:
            anchors.append(anchor)
    return anchors


def _first_event(path: Path) -> dict[str, Any] | None:
    """The ledger's first complete line, parsed ({} when it is not JSON), or None."""
    try:
        with open(path, "rb") as fh:
            first = fh.readline()
    except FileNotFoundError:
        return None
    if not first.endswith(b"\n"):
        return None
    try:
        record = json.loads(first)
    except ValueError:
        return {}
    return record if isinstance(record, dict) else {}


def project_ledger(
    project,
    *,
    path: str | os.PathLike[str] | None = None,
    key_file: str | os.PathLike[str] | None = None,
    manifests: Iterable[str | Path] = (),
    create: bool = True,
    allow_unsigned: bool = False,
) -> Ledger:
    """The project's ledger, with its key and the heads its manifests recorded.

    Parameters
    ----------
    project : the project (:class:`themeloop.config.Project`).
    path : the ledger (default: ``annotations/ledger.jsonl``).
    key_file : the key (default: ``.themeloop/ledger.key``).
    manifests : more manifests to take heads from (e.g. of ``run --out``).
    create : make a key on first use (an empty or missing ledger, no signed
        head recorded); ``audit verify`` passes False.
    allow_unsigned : give a ledger written before themeloop signed its ledgers
        (and no signed head recorded) without a key, to be checked by its hash
        chain and recorded heads alone: for commands that only read it.

    Raises
    ------
    AuditError
        If the ledger was written before themeloop signed its ledgers, or the
        key is missing although the ledger (or a recorded head) is signed.
    """
    path = Path(path) if path is not None else default_ledger_path(project)
    key_file = Path(key_file) if key_file is not None else key_path(project)
    anchors = recorded_anchors(path, [*manifest_paths(project), *manifests], project.root)
    first = _first_event(path)  # None: no events; {}: a first line that is not an event
    signed_anchor = next((a for a in anchors if a.keyed), None)
    if first and MAC_FIELD not in first and signed_anchor is None:
        if allow_unsigned:
            return Ledger(path, None, anchors)
        raise AuditError(f"{path} was written before themeloop signed its ledgers (its events "
                         f"have no mac); if you trust its history, sign it with 'themeloop "
                         f"audit sign', or move it aside to start a new ledger")
    key = read_key(key_file)
    if key is None:
        if first is not None or signed_anchor is not None:
            why = (f"{path} is signed" if first and MAC_FIELD in first else
                   f"{signed_anchor.source} recorded a signed ledger" if signed_anchor else
                   f"{path} has events")
            raise AuditError(f"{key_file}: the ledger key is missing, but {why}; restore the key "
                             f"from a backup (without it the ledger can be neither checked nor "
                             f"appended to)")
        if create:
            key = create_key(key_file)
    return Ledger(path, key, anchors)


def sign_project_ledger(project) -> tuple[Ledger, int]:
    """Sign a ledger written before themeloop signed its ledgers; return it and the event count.

    The key is created if there is none. Signing vouches for the history as it
    stands: check it first (the hash chain must verify, and it does).

    Raises
    ------
    AuditError
        If there is no ledger, a manifest recorded a signed head (the ledger
        lost its MACs: restore it instead), or the chain fails verification.
    """
    path = default_ledger_path(project)
    if not path.is_file():
        raise AuditError(f"{path}: no such ledger; nothing to sign")
    anchors = recorded_anchors(path, manifest_paths(project), project.root)
    signed = next((a for a in anchors if a.keyed), None)
    if signed is not None:
        raise AuditError(f"{signed.source} recorded a signed ledger, so {path} has lost its "
                         f"macs: restore it from a backup instead of signing it again")
    key_file = key_path(project)
    key = read_key(key_file) or create_key(key_file)
    ledger = Ledger(path, None, anchors)
    count = ledger.sign(key)
    return Ledger(path, key, anchors), count


def check_project_ledger(project) -> Ledger:
    """The project's ledger (:func:`project_ledger`), verified before any stage runs.

    ``themeloop run`` calls this first, so a tampered ledger stops the run
    before it writes anything, with the same one-line error an append gives.

    Raises
    ------
    AuditError
        If the ledger fails verification, or its key is missing.
    """
    return _verified(project_ledger(project), "append to")


def check_ledger_to_read(project) -> None:
    """Verify the project's ledger before a command shows its story (``themeloop report``).

    As :func:`check_project_ledger`, but nothing is created, and a ledger
    written before themeloop signed its ledgers is checked by its hash chain
    and the recorded heads alone, as it was then.

    Raises
    ------
    AuditError
        If the ledger fails verification, or its key is missing although it is signed.
    """
    _verified(project_ledger(project, create=False, allow_unsigned=True), "report from")


def _verified(ledger: Ledger, doing: str) -> Ledger:
    from themeloop.audit.ledger import refusal

    result = ledger.verify()
    if not result.ok:
        raise refusal(result, doing)
    return ledger
