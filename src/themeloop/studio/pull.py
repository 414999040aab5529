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

COLUMNS = ["response_id", "question", "coder", "code", "source", "timestamp", "codebook_version",
           "memo", "annotation_id", "lead_time", "status", "unclear", "in_codebook"]


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


def _coder(completed_by: Any) -> str:
    if isinstance(completed_by, dict):
        return str(completed_by.get("email") or completed_by.get("id") or "")
    return str(completed_by)


def _read_result(result: list[dict[str, Any]]) -> tuple[list[str], str, bool]:
    """``(codes, memo, unclear)`` from an annotation's result items."""
    from themeloop.codebook import CODES_NAME, FLAGS_NAME, MEMO_NAME, UNCLEAR

    codes: list[str] = []
    memo: list[str] = []
    unclear = False
    for item in result or []:
        value = item.get("value") or {}
        name = item.get("from_name")
        if name == CODES_NAME:
            codes.extend(str(c) for c in value.get("choices") or [] if str(c) not in codes)
        elif name == FLAGS_NAME:
            unclear = unclear or UNCLEAR in (value.get("choices") or [])
        elif name == MEMO_NAME:
            text = value.get("text") or []
            memo.extend([text] if isinstance(text, str) else [str(t) for t in text])
    return codes, "\n".join(memo), unclear


def coding_rows(export: list[dict[str, Any]], qid: str, code_ids: set[str],
                codebook_version: str) -> list[dict[str, Any]]:
    """Coding-table rows (one per code applied) from a Label Studio JSON export of ``qid``.

    A skipped annotation (no result) is ``status="skipped"``; one skipped after
    ticking codes is ``"cancelled"``; either gives one row with an empty code.
    A submitted annotation with no code gives one row with an empty code too.
    """
    rows = []
    for task in export:
        rid = (task.get("data") or {}).get("response_id")
        if rid is None:
            continue
        for ann in task.get("annotations") or []:
            codes, memo, unclear = _read_result(ann.get("result") or [])
            if ann.get("was_cancelled"):
                status = "cancelled" if codes else "skipped"
                codes = []
            else:
                status = "submitted"
            base = {"response_id": str(rid), "question": qid,
                    "coder": _coder(ann.get("completed_by")), "source": "human",
                    "timestamp": ann.get("updated_at") or ann.get("created_at") or "",
                    "codebook_version": codebook_version, "memo": memo,
                    "annotation_id": str(ann.get("id", "")),
                    "lead_time": ann.get("lead_time"), "status": status, "unclear": unclear}
            for code in codes or [""]:
                rows.append({**base, "code": code, "in_codebook": code == "" or code in code_ids})
    return rows


def table_csv(rows: list[dict[str, Any]], *, raw: bool = False) -> str:
    """The coding table as CSV text, rows in a stable order (so equal content, equal bytes).

    Neutralised against formula injection unless ``raw`` (see :mod:`themeloop.safe_csv`).
    """
    import pandas as pd

    from themeloop.safe_csv import csv_text

    frame = pd.DataFrame(rows, columns=COLUMNS)
    if len(frame):
        frame["_aid"] = pd.to_numeric(frame["annotation_id"], errors="coerce")
        frame = frame.sort_values(["question", "response_id", "coder", "_aid"], kind="stable")
        frame = frame.drop(columns="_aid")
    return csv_text(frame, raw=raw)


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
    from themeloop.studio.adjudication import adjudication_rows, raw_name

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
    raw_dir = project.annotations_dir / "raw"
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

    from themeloop.audit.manifest import build_manifest, write_manifest

    manifest = build_manifest(
        "pull", inputs={"codebook": project.codebook_path} if project.codebook_path.is_file()
        else {}, outputs=[table_path, *raw], codebook_version=codebook.version,
        relative_to=project.root)
    from themeloop.audit.ledger import record_coding_diff
    from themeloop.audit.manifest import with_ledger
    from themeloop.audit.project import PULL_MANIFEST, project_ledger
    from themeloop.safe_csv import read_csv

    old = read_csv(io.StringIO(old_text)) if old_text else None
    new = read_csv(io.StringIO(text))
    ledger = project_ledger(project)
    events = record_coding_diff(ledger, old, new, manifest["manifest_id"], codebook.version)
    # After the append, so the manifest records the ledger's new head.
    write_manifest(project.annotations_dir / PULL_MANIFEST,
                   with_ledger(manifest, ledger, relative_to=project.root))
    return len(events)
