"""Checking the ledger: the hash chain, each event's MAC, and heads recorded elsewhere."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from themeloop.audit._values import (
    CHAIN_FIELDS,
    CONTENT_FIELDS,
    GENESIS,
    MAC_FIELD,
    event_hash,
    event_id,
    mac_matches,
)


@dataclass(frozen=True)
class Anchor:
    """A ledger head recorded elsewhere: the chain's ``events``-th event has hash ``head``.

    ``source`` says where it was recorded (a manifest); ``keyed`` whether the
    ledger was signed then.
    """

    events: int
    head: str
    source: str
    keyed: bool = False


@dataclass(frozen=True)
class VerifyResult:
    """Outcome of :meth:`Ledger.verify`.

    ``line`` and ``seq`` name the first bad event (``None`` when ``ok``);
    ``problem`` says what is wrong with it. ``torn_tail`` is True when the file
    ends in an incomplete line left by a crashed writer; that line is ignored
    and does not make the ledger invalid. ``signed`` says whether MACs were
    checked; ``anchors`` are the recorded heads the chain was checked against.
    """

    path: Path
    ok: bool
    n_events: int
    head: str
    torn_tail: bool = False
    line: int | None = None
    seq: int | None = None
    problem: str | None = None
    signed: bool = False
    anchors: tuple[Anchor, ...] = ()

    @property
    def message(self) -> str:
        if self.ok:
            signed = ", signed" if self.signed else ", not signed (no ledger key)"
            anchored = ""
            if self.anchors:
                top = max(self.anchors, key=lambda a: a.events)
                anchored = (f"; matches {len(self.anchors)} recorded head(s), the newest "
                            f"at event {top.events} in {top.source}")
            torn = "; a torn final line from an interrupted write is ignored" if self.torn_tail else ""
            return (f"{self.path}: OK, {self.n_events} events, head {self.head[:16]}"
                    f"{signed}{anchored}{torn}")
        seq = f" (seq {self.seq})" if self.seq is not None else ""
        return f"{self.path} line {self.line}{seq}: {self.problem}"

    def to_dict(self) -> dict[str, Any]:
        return {"path": str(self.path), "ok": self.ok, "n_events": self.n_events,
                "head": self.head, "torn_tail": self.torn_tail, "line": self.line,
                "seq": self.seq, "problem": self.problem, "signed": self.signed,
                "anchors": [dict(a.__dict__) for a in self.anchors]}


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


class ChainCheck:
    """Check ledger lines one at a time, as :meth:`Ledger.verify` and a writer read them.

    Each line must be a well-formed event whose ``event_id``, ``seq``,
    ``prev_hash`` and ``hash`` fit the lines before it. With a ``key`` each
    must also carry a valid ``mac``; without one, an event that has a ``mac``
    cannot be checked and fails. Every anchor must match the chain at its
    event count, and no anchor may lie past the chain's end. ``expect_head``,
    when given, must be the chain's last hash (a prefix of 16+ characters).
    """

    def __init__(self, path: Path, key: bytes | None = None, anchors: Iterable[Anchor] = (),
                 expect_head: str | None = None) -> None:
        self.path, self.key, self.expect_head = path, key, expect_head
        self.anchors: dict[int, list[Anchor]] = {}
        for anchor in anchors:
            self.anchors.setdefault(anchor.events, []).append(anchor)
        self.n, self.prev = 0, GENESIS
        self.seen: dict[str, int] = {}  # event_id -> line
        self.head_at: int | None = 0 if _is_head(GENESIS, expect_head) else None
        self.torn = False

    def feed(self, raw: bytes) -> VerifyResult | None:
        """Check the next complete line; None when it is good, else the failure."""
        line_no = self.n + 1
        record, problem = check_line(raw, line_no, self.prev, self.seen)
        if problem is None:
            assert record is not None
            problem = self._mac_problem(record) or self._anchor_problem(line_no, record["hash"])
        if problem is not None:
            seq = record.get("seq") if isinstance(record, dict) else None
            return self._fail(line_no, seq if isinstance(seq, int) else None, problem)
        assert record is not None
        self.add(line_no, record["event_id"], record["hash"])
        return None

    def add(self, seq: int, eid: str, hash_: str) -> None:
        """Take an event as checked (one the caller wrote itself)."""
        self.seen[eid] = seq
        self.n, self.prev = seq, hash_
        if _is_head(hash_, self.expect_head):
            self.head_at = seq

    def finish(self) -> VerifyResult:
        """The outcome once every line was fed: anchors past the end, the expected head."""
        beyond = [a for count, group in self.anchors.items() if count > self.n for a in group]
        if beyond:
            a = max(beyond, key=lambda anchor: anchor.events)
            return self._fail(self.n + 1, self.n + 1,
                              f"the ledger ends after {self.n} events, but {a.source} recorded "
                              f"{a.events} (head {a.head[:16]}): events were cut off its end "
                              f"or the file was emptied")
        if self.expect_head is not None and not _is_head(self.prev, self.expect_head):
            head = self.expect_head[:16]
            if self.head_at is not None:
                extra = self.n - self.head_at
                return self._fail(self.head_at + 1, self.head_at + 1,
                                  f"the chain goes on past the given head {head}: {extra} "
                                  f"event(s) were appended after it")
            return self._fail(self.n + 1, self.n + 1,
                              f"the given head {head} is not in the chain: events were "
                              f"removed from the end or the chain was rewritten")
        return VerifyResult(self.path, True, self.n, self.prev, self.torn, signed=self.key is not None,
                            anchors=tuple(a for group in self.anchors.values() for a in group))

    def _fail(self, line: int, seq: int | None, problem: str) -> VerifyResult:
        return VerifyResult(self.path, False, self.n, self.prev, self.torn, line, seq, problem)

    def _mac_problem(self, record: dict[str, Any]) -> str | None:
        mac = record.get(MAC_FIELD)
        if self.key is None:
            if mac is None:
                return None
            return ("the event is signed (it has a mac) but no ledger key was given: pass the "
                    "project's .themeloop/ledger.key (--key FILE)")
        if mac is None:
            return ("no mac: the event was not written with the ledger key (it was forged, "
                    "or the ledger predates signed ledgers: see 'themeloop audit sign')")
        if not mac_matches(self.key, record["hash"], mac):
            return ("mac does not match: the event was written or rewritten without the "
                    "ledger key (forged), or the key is not this ledger's")
        return None

    def _anchor_problem(self, line_no: int, hash_: str) -> str | None:
        for anchor in self.anchors.get(line_no, ()):
            if anchor.head != hash_:
                return (f"hash {hash_[:16]} differs from the head {anchor.head[:16]} that "
                        f"{anchor.source} recorded after event {line_no}: the ledger was "
                        f"rewritten")
        return None


def _is_head(hash_: str, expect: str | None) -> bool:
    return expect is not None and hash_.startswith(expect.lower())


def verify_lines(path: Path, lines: list[bytes], torn: bool, expect_head: str | None = None,
                 key: bytes | None = None, anchors: Iterable[Anchor] = ()) -> VerifyResult:
    """Check complete ledger ``lines`` in order; see :meth:`Ledger.verify`."""
    check = ChainCheck(path, key, anchors, expect_head)
    check.torn = torn
    for raw in lines:
        failed = check.feed(raw)
        if failed is not None:
            return failed
    return check.finish()
