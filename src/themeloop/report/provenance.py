"""Provenance for the report: each agreed assignment's trail through the audit ledger.

A trail lists, oldest first, the ledger events for one (answer, code): the
model's suggestion, each coder's coding, adjudication's decision and any
codebook migration, each as one plain sentence.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import pandas as pd

from themeloop.report.model import Decision, Disagreement, Metric, Trail, TrailEvent


def _text(value: Any) -> str:
    """Cell text; ``""`` for None, NaN and pandas' NA."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if type(value).__name__ in ("NAType", "NaTType"):
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
            if isinstance(value, str):
                shown = value
            elif isinstance(value, (list, tuple)) and all(isinstance(v, str) for v in value):
                shown = ", ".join(value)
            else:
                shown = json.dumps(value, sort_keys=True, default=str, ensure_ascii=False)
            parts.append(f"{key}: {shown}")
        return "; ".join(parts)
    return _text(detail)


def sentence(event: Mapping[str, Any]) -> str:
    """One ledger event as a sentence, e.g. ``Coded by a@x.org (human) (run 3f2a...).``

    The time is not repeated here: the report prints it before the sentence.
    """
    action = _text(event.get("action"))
    actor = _text(event.get("actor")) or "unknown"
    source = _text(event.get("source"))
    run = _text(event.get("manifest_id"))
    version = _text(event.get("codebook_version"))
    in_run = f" (run {run})" if run else ""
    by_source = f" ({source})" if source and source not in actor else ""
    if action == "suggested":
        text = f"Suggested by model {actor}{in_run}"
    elif action == "assigned":
        text = f"Assigned by model {actor}{in_run}"
    elif action == "added":
        text = f"Coded by {actor}{by_source}{in_run}"
    elif action == "removed":
        text = f"Removed by {actor}{by_source}{in_run}"
    elif action == "decided":
        if actor in ("majority", "unanimous"):
            who = f"the {actor} rule"
        elif actor.startswith("adjudicator:"):
            who = f"adjudicator {actor.removeprefix('adjudicator:')}"
        else:
            who = actor
        text = f"Decided by {who}{in_run}"
    elif action == "migrated":
        text = f"Migrated by {actor} to codebook version {version or '?'}{in_run}"
    else:
        text = f"{action or 'Event'} by {actor}{in_run}"
    if version and action != "migrated":
        text += f", codebook {version}"
    extra = detail_text(event.get("detail"))
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
    every code of that answer. Privacy events (``redacted``, ``kept``) are about
    the answer's text, not its codes: ``themeloop audit explain`` shows them.
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
               and _text(e.get("question")) in (qid, "")
               and _text(e.get("action")) not in ("redacted", "kept")]
        out.append(Trail(
            response_id=rid, code=code, label=label(code),
            events=[TrailEvent(_text(e.get("timestamp")), _text(e.get("action")), sentence(e))
                    for _, e in _chronological(own)],
        ))
    return out


OUTCOMES = {"included": "code applied", "excluded": "code not applied", "undecided": "undecided"}
SEP = ";"


def _names(value: Any) -> list[str]:
    return [v.strip() for v in _text(value).split(SEP) if v.strip()]


def _votes(row: Mapping[str, Any]) -> str:
    """``"1 of 2: a@x.org"``: who applied the code among the coders of the answer."""
    votes, coders = _names(row.get("votes")), _names(row.get("coders"))
    if not coders:
        return ", ".join(votes)
    return f"{len(votes)} of {len(coders)}" + (f": {', '.join(votes)}" if votes else "")


def _contested(row: Mapping[str, Any]) -> bool:
    """A decision the coders did not all agree on (unanimous ones are not disagreements)."""
    coders = set(_names(row.get("coders")))
    return not coders or set(_names(row.get("votes"))) != coders


def decision_rows(
    table: pd.DataFrame | None,
    qid: str,
    label: Callable[[str], str],
    texts: Mapping[str, str],
    *,
    contested_only: bool = True,
) -> list[Decision]:
    """Adjudication decisions of question ``qid`` (``themeloop.adjudicate`` columns).

    Decisions where every coder of the answer voted alike are left out unless
    ``contested_only`` is false; undecided rows give their ``reason``.
    """
    if table is None or len(table) == 0 or "response_id" not in table.columns:
        return []
    part = table[table["question"].astype(str) == qid] if "question" in table.columns else table
    out = []
    for row in part.to_dict("records"):
        if contested_only and not _contested(row):
            continue
        rid, code = _text(row.get("response_id")), _text(row.get("code"))
        decision = _text(row.get("decision"))
        out.append(Decision(
            response_id=rid, code=code, label=label(code) if code else "(no code)",
            votes=_votes(row), outcome=OUTCOMES.get(decision, decision)
            or _text(row.get("reason")) or "undecided",
            rule=_text(row.get("rule")), text=texts.get(rid, ""),
        ))
    return sorted(out, key=lambda d: (d.response_id, d.code))


def by_answer(decisions: list[Decision], memos: Mapping[str, list[Metric]] | None = None
              ) -> list[Disagreement]:
    """Decisions grouped per answer (response id order), with the coders' memos on it."""
    groups: dict[str, list[Decision]] = {}
    for d in decisions:
        groups.setdefault(d.response_id, []).append(d)
    return [Disagreement(rid, items[0].text, items, list((memos or {}).get(rid, [])))
            for rid, items in sorted(groups.items())]


def coder_memos(coding: pd.DataFrame | None) -> dict[str, list[Metric]]:
    """response id -> the coders' memos on it (coder, memo), sorted, without repeats."""
    if coding is None or "memo" not in coding.columns or "coder" not in coding.columns:
        return {}
    found: dict[str, set[tuple[str, str]]] = {}
    for rid, coder, memo in zip(coding["response_id"], coding["coder"], coding["memo"]):
        text = _text(memo).strip()
        if text:
            found.setdefault(_text(rid), set()).add((_text(coder), text))
    return {rid: [Metric(c, m) for c, m in sorted(pairs)] for rid, pairs in found.items()}
