"""Keeping a project's labeling config in step with the codebook.

Label Studio silently accepts a config that drops a code coders already used,
leaving stale codes behind. So before any update the new config goes through
``validate_label_config``, which refuses exactly that. Codes that the new
codebook renames or merges (``replaces``, as :func:`themeloop.codebook.diff_codebooks`
maps them) are first migrated in the annotations themselves, then the config
is validated and updated, and each migrated coding is recorded.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from themeloop.errors import StudioError
from themeloop.studio.sync import export_snapshot

if TYPE_CHECKING:
    from themeloop.studio.client import LabelStudioClient


@dataclass
class ConfigChange:
    """What happened to one project's labeling config."""

    updated: bool = False
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    migrated: list[dict[str, Any]] = field(default_factory=list)  # one per coding moved


def code_mapping(old_codebook, new_codebook, qid: str, old_ids: set[str]) -> dict[str, str | None]:
    """``old id -> new id`` (None: removed) for the codes of ``qid`` that the config offered.

    Uses :func:`diff_codebooks` against the codebook last pushed when there is
    one, else the new codebook's ``replaces`` lists.
    """
    from themeloop.codebook import diff_codebooks

    new_ids = set(new_codebook.code_ids(qid))
    mapping: dict[str, str | None] = {}
    if old_codebook is not None and qid in old_codebook.questions:
        diff = diff_codebooks(old_codebook, new_codebook)
        mapping = {old: new for (q, old), new in diff.mapping.items() if q == qid}
    for code in new_codebook.codes(qid):
        for old in code.replaces:
            if old not in new_ids and mapping.get(old) is None:
                mapping[old] = code.id
    return {old: old if old in new_ids else mapping.get(old) for old in old_ids}


def sync_label_config(client: LabelStudioClient, ls_project, qid: str, new_config: str, *, old_codebook,
                      new_codebook, maximum_annotations: int) -> ConfigChange:
    """Bring ``ls_project``'s config to ``new_config``, migrating renamed or merged codes.

    Raises
    ------
    StudioError
        If the new config removes codes that coders used and the codebook does
        not say where their codings go.
    """
    from themeloop.codebook import config_code_ids

    change = ConfigChange()
    current = ls_project.label_config or ""
    if current.strip() == new_config.strip():
        if ls_project.maximum_annotations != maximum_annotations:
            client.projects.update(ls_project.id, maximum_annotations=maximum_annotations)
        return change
    old_ids = config_code_ids(current)
    new_ids = set(new_codebook.code_ids(qid))
    change.added = sorted(new_ids - old_ids)
    change.removed = sorted(old_ids - new_ids)
    mapping = code_mapping(old_codebook, new_codebook, qid, old_ids)
    if change.removed:
        # validate_label_config alone misses codes that came in with imported annotations
        tasks = json.loads(export_snapshot(client, ls_project.id))
        _refuse_lost_codes(tasks, qid, [c for c in change.removed if not mapping.get(c)],
                           new_codebook.version)
        moves = {old: new for old in change.removed if (new := mapping.get(old))}
        change.migrated = _migrate_annotations(client, tasks, qid, moves)
    _validate(client, ls_project.id, qid, new_config, new_codebook.version)
    client.projects.update(ls_project.id, label_config=new_config,
                           maximum_annotations=maximum_annotations)
    change.updated = True
    return change


def _out_of_step(version: str, qid: str, reason: str) -> StudioError:
    return StudioError(
        f"codebook {version} and the Label Studio project for question '{qid}' are out of "
        f"step: {reason}; name the removed code in 'replaces' of the code that takes its "
        "codings (see 'themeloop codebook diff'), or keep the code"
    )


def _refuse_lost_codes(tasks: list[dict], qid: str, lost: list[str], version: str) -> None:
    """Refuse to drop codes that annotations use and the codebook maps nowhere."""
    from collections import Counter

    from themeloop.codebook import CODES_NAME

    if not lost:
        return
    used: Counter[str] = Counter()
    for task in tasks:
        for ann in task.get("annotations") or []:
            for item in ann.get("result") or []:
                if item.get("from_name") == CODES_NAME:
                    used.update(c for c in (item.get("value") or {}).get("choices") or []
                                if c in lost)
    if used:
        listed = ", ".join(f"{code} ({n} annotation{'s' if n != 1 else ''})"
                           for code, n in sorted(used.items()))
        raise _out_of_step(version, qid, f"it removes code(s) that coders used: {listed}")


def _validate(client: LabelStudioClient, project_id: int, qid: str, config: str, version: str) -> None:
    from label_studio_sdk.core.api_error import ApiError

    try:
        client.projects.validate_label_config(project_id, label_config=config)
    except ApiError as exc:
        if exc.status_code != 400:
            raise
        raise _out_of_step(version, qid, _reason(exc.body)) from None


def _reason(body: Any) -> str:
    if isinstance(body, dict):
        errors = body.get("validation_errors", body)
        if isinstance(errors, dict):
            errors = errors.get("label_config", errors)
        if isinstance(errors, list):
            body = " ".join(str(e) for e in errors)
        else:
            body = errors
    text = " ".join(str(body).split())
    return text[:400]


def _migrate_annotations(client: LabelStudioClient, tasks: list[dict], qid: str,
                         moves: dict[str, str]) -> list[dict[str, Any]]:
    """Rewrite the ``codes`` choices of every annotation that used a moved code."""
    from themeloop.codebook import CODES_NAME

    events: list[dict[str, Any]] = []
    if not moves:
        return events
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    for task in tasks:
        rid = str((task.get("data") or {}).get("response_id", ""))
        for ann in task.get("annotations") or []:
            result, moved = _moved_result(ann.get("result") or [], moves, CODES_NAME)
            if not moved:
                continue
            client.annotations.update(ann["id"], result=result)
            coder = ann.get("completed_by")
            coder = coder.get("email") if isinstance(coder, dict) else str(coder)
            events.extend({"response_id": rid, "question": qid, "coder": coder,
                           "old_code": old, "new_code": new, "annotation_id": ann["id"],
                           "timestamp": now} for old, new in moved)
    return events


def _moved_result(result: list[dict], moves: dict[str, str], name: str):
    out, moved = [], []
    for item in result:
        if item.get("from_name") == name and item.get("type") == "choices":
            choices = list((item.get("value") or {}).get("choices") or [])
            new_choices: list[str] = []
            for choice in choices:
                target = moves.get(choice, choice)
                if target != choice:
                    moved.append((choice, target))
                if target not in new_choices:
                    new_choices.append(target)
            item = {**item, "value": {**item["value"], "choices": new_choices}}
        out.append(item)
    return out, moved
