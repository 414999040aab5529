"""The audit ledger: an append-only, hash-chained JSON-lines file.

Every assignment event (a model suggestion, a human code added or removed, an
adjudication decision, a codebook migration) is one line of
``annotations/ledger.jsonl``. Each line holds the event's content
(``response_id, question, code, action, actor, source, timestamp,
codebook_version, manifest_id, detail``) plus

- ``event_id``: sha256 of the canonical JSON of the content alone. Appending an
  event whose ``event_id`` is already in the ledger is a no-op, so rerunning a
  stage from the same inputs appends nothing new.
- ``seq``: 1, 2, 3, ... in file order.
- ``prev_hash``: the ``hash`` of the line before (64 zeros for the first).
- ``hash``: sha256 of the canonical JSON of the whole event without ``hash``
  (so it covers ``seq`` and ``prev_hash``).

:meth:`Ledger.verify` recomputes the chain and names the first line that was
edited, deleted or moved. Rewriting the whole chain after an edit, or cutting
events off its end, can only be caught against a head recorded elsewhere:
:meth:`Ledger.head` gives it and ``verify(expect_head=...)`` checks it.

Crash safety
------------
Writers take an exclusive ``fcntl.flock`` on the ledger file itself. Under the
lock a writer reads what it has not seen yet, and if the file does not end in a
newline (a writer was killed mid-write) it truncates that torn tail. Then it
writes the whole batch of complete lines with ``os.write`` on an ``O_APPEND``
descriptor and ``fsync``\\ s. A process killed at any moment therefore leaves
whole lines plus at most one torn final line; readers and :meth:`verify` ignore
a torn final line (it is never an event) and the next append removes it. An
event is there whole or not at all.
"""

from __future__ import annotations

import fcntl
import json
import os
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from themeloop.audit._values import (
    CHAIN_FIELDS,
    CONTENT_FIELDS,
    GENESIS,
    canonical,
    chained_body,
    event_hash,
    event_id,
    format_timestamp,
    parse_timestamp,
    plain,
    sha256_text,
)
from themeloop.audit.events import (  # re-exported for the other stages
    as_of_timestamp,
    events_from_adjudication,
    events_from_assignments,
    events_from_coding_diff,
    events_from_migration,
    record_coding_diff,
)
from themeloop.audit.verify import VerifyResult, verify_lines
from themeloop.errors import AuditError, did_you_mean

LEDGER_NAME = "ledger.jsonl"
ACTIONS = ("suggested", "added", "removed", "decided", "migrated", "redacted", "kept")
_KNOWN_FIELDS = frozenset(CONTENT_FIELDS + CHAIN_FIELDS)


# --------------------------------------------------------------------------- normalising


def _text(value: Any) -> str | None:
    if type(value) is str:
        return value or None
    value = plain(value)
    if value is None or value == "":
        return None
    return str(value)


def normalise_event(event: Mapping[str, Any], position: int = 0) -> dict[str, Any]:
    """Check one event's content and return it with plain types and its ``event_id``.

    ``position`` (0-based, in the batch) is used in error messages.
    """
    return _normalise(event, position)[0]


def _normalise(event: Mapping[str, Any], position: int) -> tuple[dict[str, Any], str]:
    """The checked content with its ``event_id``, and the content's canonical JSON."""
    unknown = event.keys() - _KNOWN_FIELDS
    if unknown:
        name = min(unknown)
        raise AuditError(
            f"event {position}: unknown field '{name}'{did_you_mean(name, CONTENT_FIELDS)}; "
            f"put extra information in 'detail'"
        )
    content: dict[str, Any] = {k: _text(event.get(k)) for k in CONTENT_FIELDS if k != "detail"}
    for field in ("response_id", "actor", "timestamp"):
        if content[field] is None:
            raise AuditError(f"event {position}: '{field}' is missing or empty")
    if content["action"] not in ACTIONS:
        action = content["action"]
        raise AuditError(
            f"event {position}: action '{action}' is not one of {', '.join(ACTIONS)}"
            f"{did_you_mean(str(action), ACTIONS)}"
        )
    content["timestamp"] = format_timestamp(event["timestamp"])
    detail = event.get("detail") or {}
    if not isinstance(detail, Mapping):
        raise AuditError(f"event {position}: 'detail' must be a mapping, got {type(detail).__name__}")
    content["detail"] = plain(detail)
    content_json = canonical(content)
    content["event_id"] = sha256_text(content_json)[:32]
    return content, content_json


# --------------------------------------------------------------------------- the ledger


@dataclass
class _Tail:
    """What a writer knows about the file: where it has read to and the chain head."""

    inode: int
    offset: int
    seq: int
    head: str
    ids: set[str]


class Ledger:
    """An append-only, hash-chained JSON-lines ledger at ``path``.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> ledger = Ledger(pathlib.Path(tempfile.mkdtemp()) / "ledger.jsonl")
    >>> ev = dict(response_id="ORG01:barriers", question="barriers", code="funding",
    ...           action="suggested", actor="run-1", source="model",
    ...           timestamp="2026-03-01T10:00:00Z", codebook_version="1.0", manifest_id="m1")
    >>> [e["seq"] for e in ledger.append([ev])]
    [1]
    >>> ledger.append([ev])  # the same event again: already there
    []
    >>> ledger.verify().ok
    True
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self._tail: _Tail | None = None

    def __repr__(self) -> str:
        return f"Ledger({str(self.path)!r})"

    # -- locking and reading ------------------------------------------------

    @contextmanager
    def _locked(self, exclusive: bool) -> Iterator[int | None]:
        if exclusive:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o644)
        else:
            try:
                fd = os.open(self.path, os.O_RDONLY)
            except FileNotFoundError:
                yield None
                return
        try:
            fcntl.flock(fd, fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH)
            yield fd
        finally:
            os.close(fd)  # closing releases the lock

    @staticmethod
    def _read_from(fd: int, offset: int) -> bytes:
        size = os.fstat(fd).st_size
        return os.pread(fd, size - offset, offset) if size > offset else b""

    def _raw_lines(self) -> tuple[list[bytes], bool]:
        """Complete lines of the file and whether a torn final line follows them."""
        with self._locked(exclusive=False) as fd:
            if fd is None:
                return [], False
            data = self._read_from(fd, 0)
        end = data.rfind(b"\n") + 1
        return data[:end].split(b"\n")[:-1], end < len(data)

    def _refresh_tail(self, fd: int) -> _Tail:
        """Bring the writer's view up to date with the file (under the lock)."""
        stat = os.fstat(fd)
        tail = self._tail
        if tail is None or tail.inode != stat.st_ino or stat.st_size < tail.offset:
            tail = _Tail(stat.st_ino, 0, 0, GENESIS, set())
        data = self._read_from(fd, tail.offset)
        end = data.rfind(b"\n") + 1
        for raw in data[:end].split(b"\n")[:-1]:
            try:
                record = json.loads(raw)
                tail.ids.add(record["event_id"])
                tail.seq, tail.head = int(record["seq"]), record["hash"]
            except (ValueError, KeyError, TypeError):
                self._tail = None
                raise AuditError(
                    f"{self.path} line {tail.seq + 1} is not a ledger event; "
                    f"run 'themeloop audit verify' and restore the ledger from a backup"
                ) from None
        tail.offset += end
        if end < len(data):  # torn final line from a killed writer: drop it
            os.ftruncate(fd, tail.offset)
        self._tail = tail
        return tail

    # -- public API ---------------------------------------------------------

    def append(self, events: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
        """Append ``events`` whose ``event_id`` is not in the ledger yet.

        Each event is a mapping with the content fields (``response_id``,
        ``question``, ``code``, ``action``, ``actor``, ``source``,
        ``timestamp``, ``codebook_version``, ``manifest_id``, ``detail``). The
        batch is written with one ``os.write`` and ``fsync``\\ ed under an
        exclusive lock.

        Returns
        -------
        The events actually appended, with ``seq``, ``event_id``,
        ``prev_hash`` and ``hash``.

        Raises
        ------
        AuditError
            If an event is malformed (nothing is written then) or the ledger's
            last lines are not ledger events.
        """
        contents = [_normalise(e, i) for i, e in enumerate(events)]
        if not contents:
            return []
        with self._locked(exclusive=True) as fd:
            assert fd is not None
            tail = self._refresh_tail(fd)
            written: list[dict[str, Any]] = []
            lines: list[str] = []
            seq, head, ids = tail.seq, tail.head, set()
            for content, content_json in contents:
                eid = content["event_id"]
                if eid in tail.ids or eid in ids:
                    continue
                seq += 1
                record = {"seq": seq, **content, "prev_hash": head}
                body = chained_body(content_json, eid, head, seq)
                head = sha256_text(body)
                record["hash"] = head
                lines.append(f'{body[:-1]},"hash":"{head}"}}\n')
                ids.add(content["event_id"])
                written.append(record)
            if not lines:
                return []
            data = "".join(lines).encode("utf-8")
            self._write_all(fd, data, tail.offset)
            if tail.offset == 0:  # a new file: make its directory entry durable too
                _fsync_dir(self.path.parent)
            tail.offset += len(data)
            tail.seq, tail.head = seq, head
            tail.ids |= ids
        return written

    def _write_all(self, fd: int, data: bytes, start: int) -> None:
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view):]
            os.fsync(fd)
        except BaseException:
            # Leave no partial batch behind us on a write error (disk full, ...).
            os.ftruncate(fd, start)
            self._tail = None
            raise

    def events(self) -> list[dict[str, Any]]:
        """All events in file order (a torn final line is not an event)."""
        lines, _ = self._raw_lines()
        out = []
        for i, raw in enumerate(lines, 1):
            try:
                out.append(json.loads(raw))
            except ValueError:
                raise AuditError(
                    f"{self.path} line {i} is not valid JSON; run 'themeloop audit verify'"
                ) from None
        return out

    def head(self) -> str:
        """Hash of the last event (64 zeros for an empty ledger): record it to anchor the chain."""
        lines, _ = self._raw_lines()
        if not lines:
            return GENESIS
        try:
            return str(json.loads(lines[-1])["hash"])
        except (ValueError, KeyError, TypeError):
            raise AuditError(f"{self.path} line {len(lines)} is not a ledger event; "
                             f"run 'themeloop audit verify'") from None

    def verify(self, expect_head: str | None = None) -> VerifyResult:
        """Recompute the hash chain and report the first bad event.

        Parameters
        ----------
        expect_head : a head recorded earlier (:meth:`head`); the chain must
            contain it, which catches events cut off the end.
        """
        lines, torn = self._raw_lines()
        return verify_lines(self.path, lines, torn, expect_head)

    def explain(self, response_id: str) -> list[dict[str, Any]]:
        """The history of one answer's codes, oldest first (by timestamp, then seq).

        Raises
        ------
        AuditError
            If no event concerns ``response_id`` (with a did-you-mean).
        """
        # Parse only the lines that can be about this answer: a big ledger stays quick.
        needle = f'"response_id":{canonical(response_id)}'.encode()
        lines, _ = self._raw_lines()
        try:
            mine = [e for e in map(json.loads, (raw for raw in lines if needle in raw))
                    if e.get("response_id") == response_id]
        except ValueError:
            raise AuditError(f"{self.path} has a line that is not valid JSON; "
                             f"run 'themeloop audit verify'") from None
        if not mine:
            events = self.events()
            if not events:
                raise AuditError(f"{self.path} has no events; run a stage that records to it "
                                 f"(themeloop pull, themeloop run)")
            known = sorted({str(e.get("response_id")) for e in events})
            hint = did_you_mean(response_id, known) or f" (ids look like '{known[0]}')"
            raise AuditError(f"response id '{response_id}' is not in {self.path}{hint}")
        return sorted(mine, key=_chronological)


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass  # some filesystems refuse to fsync a directory; the data itself is synced
    finally:
        os.close(fd)


def _chronological(event: Mapping[str, Any]) -> tuple[datetime, int]:
    try:
        moment = parse_timestamp(str(event.get("timestamp")))
    except AuditError:
        moment = datetime.max
    return moment, int(event.get("seq") or 0)


def default_ledger_path(project: Any) -> Path:
    """``project.annotations_dir / "ledger.jsonl"``."""
    return Path(project.annotations_dir) / LEDGER_NAME


__all__ = [
    "ACTIONS", "GENESIS", "LEDGER_NAME", "Ledger", "VerifyResult", "as_of_timestamp", "canonical",
    "default_ledger_path", "event_hash", "event_id", "events_from_adjudication",
    "events_from_assignments", "events_from_coding_diff", "events_from_migration",
    "format_timestamp", "normalise_event", "record_coding_diff",
]
