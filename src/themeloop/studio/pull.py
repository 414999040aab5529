"""``themeloop pull``: Label Studio annotations into the coding table, with raw snapshots kept.

Each pull exports every project whole (annotator e-mails, full predictions) and
keeps that export byte for byte in ``annotations/raw/`` (timestamped, read-only,
never overwritten) before rewriting ``annotations/coding_table.csv`` from it.
When the new table is identical to the one on disk nothing at all is written.
"""

from __future__ import annotations

import io
import json
import os
import warnings
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from themeloop._io import write_bytes_atomic, write_text_atomic
from themeloop.errors import StudioError
from themeloop.pipeline.artifacts import RAW_DIR
from themeloop.studio.annotations import COLUMNS, adjudication_rows, coding_rows, table_csv

__all__ = ["COLUMNS", "PullResult", "coding_rows", "pull", "table_csv"]

@dataclass
class PullResult:
    """What a pull did: ``changed`` False means nothing new and nothing written."""

    table_path: Path
    changed: bool
    rows: int
    annotations: int
    raw: list[Path] = field(default_factory=list)
    unknown_codes: dict[str, list[str]] = field(default_factory=dict)
    ledger_events: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {"table": str(self.table_path), "changed": self.changed, "rows": self.rows,
                "annotations": self.annotations, "raw": [str(p) for p in self.raw],
                "unknown_codes": self.unknown_codes, "ledger_events": self.ledger_events}


def _old_rows(path: Path, keep_questions: set[str]) -> list[dict[str, Any]]:
    """Rows of the existing table for questions this pull does not touch."""
    from themeloop.safe_csv import read_csv

    if not path.is_file() or not keep_questions:
        return []
    old = read_csv(path)
    if "question" not in old.columns:
        return []
    old = old[old["question"].isin(keep_questions)].reindex(columns=COLUMNS, fill_value="")
    return old.to_dict("records")


def _write_raw(raw_dir: Path, qid: str, data: bytes, stamp: str) -> Path:
    """Write a snapshot read-only (0444) under a new name; never replace an existing one."""
    target = raw_dir / f"{qid}-{stamp}.json"
    n = 1
    while target.exists():
        n += 1
        target = raw_dir / f"{qid}-{stamp}-{n}.json"
    write_bytes_atomic(target, data)
    os.chmod(target, 0o444)
    return target


def pull(project, *, question: str | None = None, url: str | None = None) -> PullResult:
    """Export every pushed question's project and rewrite the coding table.

    Raises
    ------
    StudioError
        If nothing was pushed yet, the server is unreachable or refuses the
        token, or a project was deleted; nothing local is written then.
    """
    from themeloop.codebook import load_codebook
    from themeloop.studio.client import session
    from themeloop.studio.projects import Registry, get_project
    from themeloop.studio.server import StudioPaths
    from themeloop.studio.sync import export_snapshot

    codebook = load_codebook(project.codebook_path)
    question_ids = [q.id for q in project.config.questions]
    if question is not None:
        project.config.question(question)
    paths = StudioPaths.for_project(project)
    table_path = project.coding_table_path
    with session(project, url=url) as (client, conn):
        registry = Registry.load(paths.projects)
        entries = {k: v for k, v in registry.entries(conn.url).items()
                   if k in question_ids and (question is None or k == question)}
        if not entries:
            what = f"question '{question}'" if question else "this project"
            raise StudioError(f"nothing of {what} was pushed to {conn.url} yet; "
                              "run 'themeloop push' first")
        exports: dict[str, bytes] = {}
        for qid, entry in entries.items():
            get_project(client, int(entry["id"]), qid)
            exports[qid] = export_snapshot(client, int(entry["id"]))
        # the adjudicator's decisions (themeloop adjudicate --push), as source="adjudication"
        from themeloop.studio.adjudication import export_adjudication

        decided = export_adjudication(client, registry, conn.url, list(entries))
    return _write_pull(project, codebook, exports, table_path, set(question_ids) - set(entries),
                       decided)


def _write_pull(project, codebook, exports: dict[str, bytes], table_path: Path,
                keep: set[str], decided: dict[str, bytes] | None = None) -> PullResult:
    rows: list[dict[str, Any]] = _old_rows(table_path, keep)
    result = PullResult(table_path, False, 0, 0)
    sources = [(qid, data, coding_rows) for qid, data in exports.items()]
    sources += [(qid, data, adjudication_rows) for qid, data in (decided or {}).items()]
    for qid, data, to_rows in sources:
        tasks = json.loads(data)
        ids = set(codebook.code_ids(qid)) if qid in codebook.questions else set()
        new = to_rows(tasks, qid, ids, codebook.version)
        result.annotations += sum(len(t.get("annotations") or []) for t in tasks)
        unknown = sorted({r["code"] for r in new if not r["in_codebook"]})
        if unknown:
            result.unknown_codes[qid] = sorted({*result.unknown_codes.get(qid, ()), *unknown})
            warnings.warn(f"{qid}: code(s) not in codebook {codebook.version}: "
                          f"{', '.join(unknown)}; kept with in_codebook=False", stacklevel=2)
        rows.extend(new)
    from themeloop.safe_csv import resolve_raw

    text = table_csv(rows, raw=resolve_raw(None, project))
    result.rows = len(rows)
    old_text = table_path.read_text(encoding="utf-8") if table_path.is_file() else None
    if old_text == text:
        return result
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    raw_dir = project.annotations_dir / RAW_DIR
    result.raw = [_write_raw(raw_dir, qid, data, stamp) for qid, data in exports.items()]
    result.raw += [_write_raw(raw_dir, raw_name(qid), data, stamp)
                   for qid, data in (decided or {}).items()]
    write_text_atomic(table_path, text)
    result.changed = True
    result.ledger_events = _record(project, codebook, table_path, old_text, text, result.raw)
    return result


def _record(project, codebook, table_path: Path, old_text: str | None, text: str,
            raw: list[Path]) -> int:
    """Write the pull manifest and record added/removed human codes in the ledger."""

    from themeloop.audit.ledger import record_coding_diff
    from themeloop.audit.manifest import write_stage_manifest
    from themeloop.audit.project import project_ledger
    from themeloop.pipeline.artifacts import PULL_MANIFEST
    from themeloop.safe_csv import read_csv

    old = read_csv(io.StringIO(old_text)) if old_text else None
    new = read_csv(io.StringIO(text))
    ledger = project_ledger(project)
    events: list[dict[str, Any]] = []

    def record(manifest_id: str) -> None:
        events.extend(record_coding_diff(ledger, old, new, manifest_id, codebook.version))

    # The events carry the manifest's id; the manifest then records the ledger's new head.
    write_stage_manifest(
        PULL_MANIFEST.path(project.annotations_dir), "pull",
        inputs={"codebook": project.codebook_path} if project.codebook_path.is_file() else {},
        outputs=[table_path, *raw], codebook_version=codebook.version,
        relative_to=project.root, ledger=ledger, record=record)
    return len(events)


def raw_name(qid: str) -> str:
    """The snapshot name stem of ``qid``'s adjudication project in ``annotations/raw``."""
    return f"{qid}.adjudication"
