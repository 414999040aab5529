"""The review file: each detection with its context, for a person to confirm or correct.

``themeloop privacy review`` writes ``.themeloop/privacy/review.csv`` (mode
0600: it necessarily holds original text, so it stays in the private folder).
One row per detection, with ``before``, ``span`` and ``after`` around it and an
empty ``decision``. A reviewer

- writes ``keep`` in ``decision`` for a false positive (the span stays as it is);
- adds a row with ``decision`` = ``add``, the missed text in ``span``, its
  ``entity``, and the ``response_id`` it occurs in (empty: every answer where
  it occurs).

The next run honours both, and writing the file again keeps the decisions.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from themeloop.errors import PrivacyError
from themeloop.privacy.model import ENTITIES, REVIEWER, Detection
from themeloop.privacy.store import text_hash, write_private

COLUMNS = ["response_id", "text_hash", "start", "end", "entity", "recogniser", "score",
           "pseudonym", "before", "span", "after", "decision", "note"]
DECISIONS = ("", "redact", "keep", "add")
_CONTEXT = 40


@dataclass
class Decisions:
    """What reviewers decided: spans to keep, spans to add."""

    keep: set[tuple[str, int, int]] = field(default_factory=set)  # (text_hash, start, end)
    add: list[tuple[str, str, str]] = field(default_factory=list)  # (response_id, span, entity)

    def __bool__(self) -> bool:
        return bool(self.keep or self.add)

    def apply(self, response_id: str, text: str, found: Sequence[Detection]) -> list[Detection]:
        """``found`` without the kept spans and with the added ones (added spans win)."""
        h = text_hash(text)
        out = [d for d in found if (h, d.start, d.end) not in self.keep]
        for rid, span, entity in self.add:
            if rid and rid != response_id:
                continue
            start = text.find(span)
            while start >= 0:
                end = start + len(span)
                out = [d for d in out if d.end <= start or end <= d.start]
                out.append(Detection(start, end, entity, 1.0, REVIEWER))
                start = text.find(span, end)
        return sorted(out)


def read_decisions(path: Path) -> Decisions:
    """The decisions in a review file (none when there is no file)."""
    decisions = Decisions()
    if not Path(path).is_file():
        return decisions
    rows = _read_rows(path)
    if rows is not None:
        header, records = rows
        missing = [c for c in ("response_id", "span", "entity", "decision") if c not in header]
        if missing:
            raise PrivacyError(f"{path}: no column '{missing[0]}'; rewrite it with 'themeloop privacy review'")
        for line, row in enumerate(records, start=2):
            decision = (row.get("decision") or "").strip().lower()
            if decision not in DECISIONS:
                raise PrivacyError(f"{path}: row {line}: decision '{decision}' is not one of "
                                   "keep, add, redact (or empty)")
            if decision == "keep":
                try:
                    decisions.keep.add((row["text_hash"], int(row["start"]), int(row["end"])))
                except (KeyError, ValueError):
                    raise PrivacyError(f"{path}: row {line}: 'keep' needs the row's text_hash, "
                                       "start and end as written by 'themeloop privacy review'") from None
            elif decision == "add":
                entity = (row.get("entity") or "").strip().upper()
                span = row.get("span") or ""
                if entity not in ENTITIES:
                    raise PrivacyError(f"{path}: row {line}: entity '{entity}' is not one of "
                                       f"{', '.join(ENTITIES)}")
                if not span.strip():
                    raise PrivacyError(f"{path}: row {line}: 'add' needs the missed text in 'span'")
                decisions.add.append(((row.get("response_id") or "").strip(), span, entity))
    return decisions


def _read_rows(path: Path) -> tuple[list[str], list[dict[str, str]]] | None:
    """Header and rows of a review file (neutralised cells read back), or None if empty."""
    from themeloop.safe_csv import read_csv

    if not Path(path).read_text(encoding="utf-8").strip():
        return None
    frame = read_csv(path)
    return [str(c) for c in frame.columns], frame.to_dict("records")


def render_review(texts: Mapping[str, str], found: Mapping[str, Sequence[Detection]],
                  pseudonyms: Mapping[tuple[str, int, int], str], previous: Path | None) -> str:
    """The review CSV: one row per detection, then the reviewer's own ``add`` rows.

    ``texts`` and ``found`` are keyed by response id; the decisions and notes of
    ``previous`` (an earlier review file) are carried over.
    """
    carried: dict[tuple[str, str, str], tuple[str, str]] = {}
    added: list[dict[str, str]] = []
    read = _read_rows(previous) if previous is not None and Path(previous).is_file() else None
    for row in (read[1] if read else []):
        if (row.get("decision") or "").strip().lower() == "add":
            added.append({c: row.get(c, "") or "" for c in COLUMNS})
        else:
            carried[(row.get("text_hash", ""), row.get("start", ""), row.get("end", ""))] = (
                row.get("decision", "") or "", row.get("note", "") or "")
    out: list[dict[str, object]] = []
    for rid, text in texts.items():
        h = text_hash(text)
        for d in found.get(rid, []):
            decision, note = carried.get((h, str(d.start), str(d.end)), ("", ""))
            out.append({
                "response_id": rid, "text_hash": h, "start": d.start, "end": d.end,
                "entity": d.entity, "recogniser": d.recogniser, "score": round(d.score, 3),
                "pseudonym": pseudonyms.get((h, d.start, d.end), ""),
                "before": _flat(text[max(0, d.start - _CONTEXT):d.start]),
                "span": text[d.start:d.end], "after": _flat(text[d.end:d.end + _CONTEXT]),
                "decision": decision, "note": note,
            })
    out.extend(added)  # type: ignore[arg-type]  # rows of str are rows of object
    from themeloop.safe_csv import csv_text

    return csv_text(pd.DataFrame(out, columns=COLUMNS).astype(str))


def _flat(text: str) -> str:
    return " ".join(text.split())


def write_review(path: Path, content: str) -> Path:
    """Write the review file privately (0600)."""
    return write_private(path, content)
