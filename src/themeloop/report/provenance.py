"""Provenance for the report: each agreed assignment's trail through the audit ledger.

A trail lists, oldest first, the ledger events for one (answer, code): the
model's suggestion, each coder's coding, adjudication's decision and any
codebook migration, each as one plain sentence.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import pandas as pd

from themeloop.report.model import Decision, Trail, TrailEvent


def _text(value: Any) -> str:
    if value is None or (isinstance(value, float) and value != value):
        return ""
    return str(value)


def detail_text(detail: Any) -> str:
    """A ledger event's ``detail`` as short readable text (stable key order)."""
    if detail is None or detail == "" or detail == {}:
        return ""
    if isinstance(detail, Mapping):
        parts = []
        for key in sorted(detail):
            value = detail[key]
            shown = value if isinstance(value, str) else json.dumps(value, sort_keys=True,
                                                                    default=str)
            parts.append(f"{key}: {shown}")
        return "; ".join(parts)
    return _text(detail)


def sentence(event: Mapping[str, Any]) -> str:
    """One ledger event as a sentence, e.g. ``Coded by a@x.org (human) at 2024-...``."""
    action = _text(event.get("action"))
    actor = _text(event.get("actor")) or "unknown"
    source = _text(event.get("source"))
    when = _text(event.get("timestamp"))
    run = _text(event.get("manifest_id"))
    version = _text(event.get("codebook_version"))
    at = f" at {when}" if when else ""
    in_run = f" (run {run})" if run else ""
    by_source = f" ({source})" if source and source not in actor else ""
    if action == "suggested":
        text = f"Suggested by model {actor}{in_run}{at}"
    elif action == "added":
        text = f"Coded by {actor}{by_source}{at}{in_run}"
    elif action == "removed":
        text = f"Removed by {actor}{by_source}{at}{in_run}"
    elif action == "decided":
        text = f"Decided by {actor}{at}{in_run}"
    elif action == "migrated":
        text = f"Migrated by {actor} to codebook version {version or '?'}{at}{in_run}"
    else:
        text = f"{action or 'Event'} by {actor}{at}{in_run}"
    extra = detail_text(event.get("detail"))
    if version and action != "migrated":
        text += f"; codebook {version}"
    return f"{text}. {extra}".rstrip() if extra else f"{text}."


def _chronological(events: list[tuple[int, Mapping[str, Any]]]
                   ) -> list[tuple[int, Mapping[str, Any]]]:
    """Oldest first (ISO 8601 UTC sorts as text), then ledger order; untimed events last."""
    def key(pair: tuple[int, Mapping[str, Any]]) -> tuple[str, int]:
        seq = pair[1].get("seq")
        return (_text(pair[1].get("timestamp")) or "~", seq if isinstance(seq, int) else pair[0])
    return sorted(events, key=key)


def trails(
    agreed: pd.DataFrame,
    qid: str,
    events: Iterable[Mapping[str, Any]],
    label: Callable[[str], str],
) -> list[Trail]:
    """One trail per agreed assignment of question ``qid``, in response-id then code order.

    Events match an assignment on ``response_id`` and ``code``; events of the
    same answer with an empty code (e.g. "read, applied nothing") belong to
    every code of that answer.
    """
    table = agreed[(agreed["question"] == qid) & (agreed["code"].fillna("").astype(str) != "")]
    pairs = sorted({(str(r), str(c)) for r, c in zip(table["response_id"], table["code"])})
    index: dict[str, list[tuple[int, Mapping[str, Any]]]] = {}
    for seq, event in enumerate(events):
        index.setdefault(_text(event.get("response_id")), []).append((seq, event))
    out: list[Trail] = []
    for rid, code in pairs:
        own = [(s, e) for s, e in index.get(rid, [])
               if _text(e.get("code")) in (code, "")
               and _text(e.get("question")) in (qid, "")]
        out.append(Trail(
            response_id=rid, code=code, label=label(code),
            events=[TrailEvent(_text(e.get("timestamp")), _text(e.get("action")), sentence(e))
                    for _, e in _chronological(own)],
        ))
    return out


def _outcome(row: Mapping[str, Any]) -> str:
    for key in ("outcome", "decision", "resolution"):
        if _text(row.get(key)):
            return _text(row.get(key))
    for key in ("applied", "kept", "agreed"):
        value = row.get(key)
        if isinstance(value, (bool, int)) and not isinstance(value, float):
            return "code applied" if value else "code not applied"
    return "undecided"


def _votes(row: Mapping[str, Any]) -> str:
    if _text(row.get("votes")):
        return detail_text(row.get("votes"))
    applied, total = row.get("n_applied"), row.get("n_coders")
    if applied is not None and total is not None and _text(applied) and _text(total):
        return f"{int(applied)} of {int(total)} coders"
    for key in ("applied_by", "coders"):
        if _text(row.get(key)):
            return detail_text(row.get(key))
    return ""


def decision_rows(
    table: pd.DataFrame | None,
    qid: str,
    label: Callable[[str], str],
    texts: Mapping[str, str],
) -> list[Decision]:
    """Adjudication decisions (or undecided units) of question ``qid``, by response then code."""
    if table is None or len(table) == 0:
        return []
    part = table[table["question"].astype(str) == qid] if "question" in table else table
    out = []
    for row in part.to_dict("records"):
        rid, code = _text(row.get("response_id")), _text(row.get("code"))
        out.append(Decision(
            response_id=rid, code=code, label=label(code) if code else "(no code)",
            votes=_votes(row), outcome=_outcome(row), rule=_text(row.get("rule")),
            text=texts.get(rid, ""),
        ))
    return sorted(out, key=lambda d: (d.response_id, d.code))
