"""Checking the ledger's hash chain: the first edited, deleted or moved event."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from themeloop.audit._values import CHAIN_FIELDS, CONTENT_FIELDS, GENESIS, event_hash, event_id


@dataclass(frozen=True)
class VerifyResult:
    """Outcome of :meth:`Ledger.verify`.

    ``line`` and ``seq`` name the first bad event (``None`` when ``ok``);
    ``problem`` says what is wrong with it. ``torn_tail`` is True when the file
    ends in an incomplete line left by a crashed writer; that line is ignored
    and does not make the ledger invalid.
    """

    path: Path
    ok: bool
    n_events: int
    head: str
    torn_tail: bool = False
    line: int | None = None
    seq: int | None = None
    problem: str | None = None

    @property
    def message(self) -> str:
        if self.ok:
            torn = "; a torn final line from an interrupted write is ignored" if self.torn_tail else ""
            return f"{self.path}: OK, {self.n_events} events, head {self.head[:16]}{torn}"
        seq = f" (seq {self.seq})" if self.seq is not None else ""
        return f"{self.path} line {self.line}{seq}: {self.problem}"

    def to_dict(self) -> dict[str, Any]:
        return {"path": str(self.path), "ok": self.ok, "n_events": self.n_events,
                "head": self.head, "torn_tail": self.torn_tail, "line": self.line,
                "seq": self.seq, "problem": self.problem}


def check_line(raw: bytes, line_no: int, prev_hash: str, seen: dict[str, int]) -> tuple[dict | None, str | None]:
    """Parse and check one complete ledger line; return (record, problem)."""
    try:
        record = json.loads(raw)
    except (UnicodeDecodeError, ValueError):
        return None, "not valid JSON (the line was edited or corrupted)"
    if not isinstance(record, dict):
        return None, "not a JSON object (the line was edited or corrupted)"
    missing = [k for k in (*CONTENT_FIELDS, *CHAIN_FIELDS) if k not in record]
    if missing:
        return record, f"missing field(s) {', '.join(missing)} (the event was edited)"
    if event_hash(record) != record["hash"]:
        return record, "hash does not match the event's content: the event was edited after it was written"
    if record["seq"] != line_no:
        if isinstance(record["seq"], int) and record["seq"] > line_no:
            gap = f"{line_no}" if record["seq"] == line_no + 1 else f"{line_no}-{record['seq'] - 1}"
            return record, f"seq {record['seq']} where {line_no} was expected: event(s) {gap} were deleted or moved"
        return record, f"seq {record['seq']} where {line_no} was expected: events were reordered or duplicated"
    if record["prev_hash"] != prev_hash:
        return record, "prev_hash does not match the hash of the event before it: an earlier event was deleted, edited or moved"
    if event_id(record) != record["event_id"]:
        return record, "event_id does not match the event's content: the event was edited"
    if record["event_id"] in seen:
        return record, f"duplicate event_id {record['event_id']} (first at line {seen[record['event_id']]})"
    return record, None


def verify_lines(path: Path, lines: list[bytes], torn: bool,
                 expect_head: str | None = None) -> VerifyResult:
    """Check complete ledger ``lines`` in order; see :meth:`Ledger.verify`."""
    prev, seen = GENESIS, dict[str, int]()
    hashes = {GENESIS}
    for line_no, raw in enumerate(lines, 1):
        record, problem = check_line(raw, line_no, prev, seen)
        if problem is not None:
            seq = record.get("seq") if isinstance(record, dict) else None
            return VerifyResult(path, False, line_no - 1, prev, torn, line_no,
                                seq if isinstance(seq, int) else None, problem)
        assert record is not None
        seen[record["event_id"]] = line_no
        prev = record["hash"]
        hashes.add(prev)
    if expect_head is not None and expect_head not in hashes:
        return VerifyResult(
            path, False, len(lines), prev, torn, len(lines) + 1, len(lines) + 1,
            f"the recorded head {expect_head[:16]} is not in the chain: events were "
            f"removed from the end or the chain was rewritten",
        )
    return VerifyResult(path, True, len(lines), prev, torn)
