"""The audit ledger: an append-only, hash-chained JSON-lines file.

Every assignment event (a model suggestion, an autocoder's assignment, a human
code added or removed, an
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
  and ``mac`` (so it covers ``seq`` and ``prev_hash``).
- ``mac``: HMAC-SHA256 of ``hash`` under the project's ledger key
  (:mod:`themeloop.audit.key`), when the ledger is keyed. It is outside the
  hash, so the chain and its heads do not depend on the key.

:meth:`Ledger.verify` recomputes the chain and the MACs and names the first
line that was edited, deleted, moved or forged. Cutting events off the end is
caught against heads recorded elsewhere (anchors, from the run
manifests; :meth:`Ledger.tip` gives the current one), and ``expect_head``
checks that the chain ends exactly at a given head. :meth:`Ledger.append`
checks every line it has not seen before it writes, and refuses to extend a
ledger that fails.

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
import re
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from themeloop._io import write_bytes_atomic
from themeloop.audit._values import (
    CHAIN_FIELDS,
    CONTENT_FIELDS,
    GENESIS,
    MAC_FIELD,
    canonical,
    chained_body,
    event_hash,
    event_id,
    event_mac,
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
    events_from_model_coding,
)
from themeloop.audit.verify import Anchor, ChainCheck, VerifyResult, verify_lines
from themeloop.errors import AuditError, did_you_mean
from themeloop.pipeline.artifacts import LEDGER

if TYPE_CHECKING:
    import pandas as pd

LEDGER_NAME = LEDGER.name
ACTIONS = ("suggested", "assigned", "added", "removed", "decided", "migrated", "redacted", "kept")
_KNOWN_FIELDS = frozenset((*CONTENT_FIELDS, *CHAIN_FIELDS, MAC_FIELD))


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
    """What a writer knows about the file: where it has read to, and the checked chain."""

    inode: int
    offset: int
    check: ChainCheck


class Ledger:
    """An append-only, hash-chained JSON-lines ledger at ``path``.

    With ``key`` (the project's ledger key) every event is signed and must
    verify under it; ``anchors`` are heads recorded elsewhere that the chain
    must still contain. Projects get theirs from
    :func:`themeloop.audit.project.project_ledger`.

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

    def __init__(self, path: str | os.PathLike[str], key: bytes | None = None,
                 anchors: Iterable[Anchor] = ()) -> None:
        self.path = Path(path)
        self.key = key
        self.anchors = tuple(anchors)
        self._tail: _Tail | None = None

    def __repr__(self) -> str:
        return f"Ledger({str(self.path)!r})"

    # -- locking and reading ------------------------------------------------

    @contextmanager
    def _locked(self, exclusive: bool) -> Iterator[int | None]:
        while True:
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
                # :meth:`sign` replaces the file: lock the one that is there now.
                current = os.stat(self.path).st_ino == os.fstat(fd).st_ino
            except FileNotFoundError:
                current = False
            except BaseException:
                os.close(fd)
                raise
            if current:
                break
            os.close(fd)
        try:
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
        """Bring the writer's view up to date with the file, checking each new line (under the lock)."""
        stat = os.fstat(fd)
        tail = self._tail
        if tail is None or tail.inode != stat.st_ino or stat.st_size < tail.offset:
            tail = _Tail(stat.st_ino, 0, ChainCheck(self.path, self.key, self.anchors))
        data = self._read_from(fd, tail.offset)
        end = data.rfind(b"\n") + 1
        for raw in data[:end].split(b"\n")[:-1]:
            failed = tail.check.feed(raw)
            if failed is None:
                continue
            self._tail = None
            raise refusal(failed)
        outcome = tail.check.finish()
        if not outcome.ok:
            self._tail = None
            raise refusal(outcome)
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
        if not contents:  # nothing to write, but say so if the ledger is bad all the same
            result = self.verify()
            if not result.ok:
                raise refusal(result)
            return []
        with self._locked(exclusive=True) as fd:
            assert fd is not None
            tail = self._refresh_tail(fd)
            written: list[dict[str, Any]] = []
            lines: list[str] = []
            seq, head, ids = tail.check.n, tail.check.prev, set()
            for content, content_json in contents:
                eid = content["event_id"]
                if eid in tail.check.seen or eid in ids:
                    continue
                seq += 1
                record = {"seq": seq, **content, "prev_hash": head}
                body = chained_body(content_json, eid, head, seq)
                head = sha256_text(body)
                record["hash"] = head
                if self.key is None:
                    lines.append(f'{body[:-1]},"hash":"{head}"}}\n')
                else:
                    record[MAC_FIELD] = event_mac(self.key, head)
                    lines.append(f'{body[:-1]},"hash":"{head}","mac":"{record[MAC_FIELD]}"}}\n')
                ids.add(content["event_id"])
                written.append(record)
            if not lines:
                return []
            data = "".join(lines).encode("utf-8")
            self._write_all(fd, data, tail.offset)
            if tail.offset == 0:  # a new file: make its directory entry durable too
                _fsync_dir(self.path.parent)
            tail.offset += len(data)
            for record in written:
                tail.check.add(record["seq"], record["event_id"], record["hash"])
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
        return self.tip()[1]

    def tip(self) -> tuple[int, str]:
        """The number of events and the last one's hash (``(0, GENESIS)`` when empty)."""
        lines, _ = self._raw_lines()
        if not lines:
            return 0, GENESIS
        try:
            return len(lines), str(json.loads(lines[-1])["hash"])
        except (ValueError, KeyError, TypeError):
            raise AuditError(f"{self.path} line {len(lines)} is not a ledger event; "
                             f"run 'themeloop audit verify'") from None

    def verify(self, expect_head: str | None = None) -> VerifyResult:
        """Recompute the hash chain and the MACs, and check the anchors; report the first bad event.

        Parameters
        ----------
        expect_head : a head recorded earlier (:meth:`head`), in full or its
            first 16+ hex characters; the chain must end exactly there.

        Raises
        ------
        AuditError
            If ``expect_head`` is not 16 to 64 hex characters.
        """
        if expect_head is not None and not _HEAD.fullmatch(expect_head):
            raise AuditError(f"--head {expect_head!r} is not a head hash: give 16 to 64 hex "
                             f"characters, as 'themeloop audit verify' prints them")
        lines, torn = self._raw_lines()
        return verify_lines(self.path, lines, torn, expect_head, self.key, self.anchors)

    def sign(self, key: bytes) -> int:
        """Add a ``mac`` under ``key`` to every event of an unsigned ledger; return how many.

        For a ledger written before themeloop signed its ledgers. The chain is
        checked first (against the anchors too) and no event may be signed
        already. Hashes do not change, so heads recorded earlier still hold. The
        file is replaced atomically under the writers' lock; a torn final line
        is dropped.

        Raises
        ------
        AuditError
            If an event is signed already or the chain fails verification.
        """
        with self._locked(exclusive=True) as fd:
            assert fd is not None
            data = self._read_from(fd, 0)
            lines = data[:data.rfind(b"\n") + 1].split(b"\n")[:-1]
            signed = []
            for line_no, raw in enumerate(lines, 1):
                try:
                    record = json.loads(raw)
                    hash_, has_mac = str(record["hash"]), MAC_FIELD in record
                except (ValueError, KeyError, TypeError):
                    break  # verify_lines below names the problem
                if has_mac:
                    raise AuditError(f"{self.path} line {line_no} is signed already; only a "
                                     f"ledger written before themeloop signed its ledgers can "
                                     f"be signed")
                signed.append(raw[:-1] + f',"{MAC_FIELD}":"{event_mac(key, hash_)}"}}\n'.encode())
            result = verify_lines(self.path, lines, False, None, None, self.anchors)
            if not result.ok:
                raise AuditError(f"{result.message}; not signing a ledger that fails verification")
            write_bytes_atomic(self.path, b"".join(signed))
            _fsync_dir(self.path.parent)
        self._tail = None
        return len(signed)

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


_HEAD = re.compile(r"[0-9a-fA-F]{16,64}")


def refusal(failed: VerifyResult, doing: str = "append to") -> AuditError:
    """The one error for a ledger that fails verification before an append (or a report)."""
    return AuditError(f"{failed.message}; refusing to {doing} a ledger that fails "
                      f"verification: restore it from a backup, then check it with "
                      f"'themeloop audit verify'")


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


def record_coding_diff(
    ledger: Ledger,
    old_table: pd.DataFrame | None,
    new_table: pd.DataFrame,
    manifest_id: str | None,
    codebook_version: str | None,
    *,
    timestamp: str | None = None,
) -> list[dict[str, Any]]:
    """Append :func:`events_from_coding_diff` to ``ledger``; return what was appended."""
    return ledger.append(
        events_from_coding_diff(old_table, new_table, manifest_id, codebook_version,
                                timestamp=timestamp)
    )


def default_ledger_path(project: Any) -> Path:
    """The project's ledger (:data:`~themeloop.pipeline.artifacts.LEDGER`, in annotations/)."""
    return LEDGER.path(Path(project.annotations_dir))


__all__ = [
    "ACTIONS", "GENESIS", "LEDGER_NAME", "Anchor", "Ledger", "VerifyResult", "as_of_timestamp", "canonical",
    "default_ledger_path", "event_hash", "event_id", "events_from_adjudication",
    "events_from_assignments", "events_from_coding_diff", "events_from_migration",
    "events_from_model_coding", "format_timestamp", "normalise_event", "record_coding_diff",
]
