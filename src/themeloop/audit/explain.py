"""The story of one answer's codes, from the ledger: data only, no rendering."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from themeloop.audit.ledger import Ledger

# Decision values (adjudication tables vary): the code applies, does not, or is still open.
_NEGATIVE = {"absent", "exclude", "excluded", "no", "reject", "rejected", "false", "0", "remove"}
_OPEN = {"undecided", "open", "tie"}


def _applies(event: Mapping[str, Any]) -> bool | None:
    detail = event.get("detail") or {}
    for key in ("applied", "decision", "value"):
        if key in detail:
            value = detail[key]
            if isinstance(value, bool):
                return value
            text = str(value).lower()
            return None if text in _OPEN else text not in _NEGATIVE
    return True


def current_codes(events: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """Where an answer stands after ``events`` (chronological, one response).

    Returns ``{"model": {"run": str, "codes": [...]} | None,
    "assigned": {"model_id", "model_version", "codes": [{"code", "score",
    "threshold"}]} | None, "coders": {coder: [codes]}, "decided": [codes] | None,
    "undecided": [codes], "codebook_versions": [...]}``. ``assigned`` is the
    autocoder's latest model's assignments (an empty list: it applied no
    code), with each code's score against its threshold. Human codes replay
    ``added``/``removed`` and follow ``migrated`` renames; ``decided`` holds the codes whose latest
    decision says they apply, ``undecided`` those left open (a tie).
    """
    coders: dict[str, set[str]] = {}
    runs: dict[str, set[str]] = {}
    last_run: str | None = None
    decided: dict[str, bool | None] = {}
    assigned: dict[str, list[dict[str, Any]]] = {}
    model_versions: dict[str, Any] = {}
    last_model: str | None = None
    for event in events:
        action, code, actor = event.get("action"), event.get("code"), str(event.get("actor"))
        detail = event.get("detail") or {}
        if action == "suggested":
            last_run = actor
            runs.setdefault(actor, set()).update([code] if code else [])
        elif action == "assigned":
            if actor != last_model:
                assigned[actor] = []  # a newer model's assignments replace an older one's
            last_model = actor
            model_versions[actor] = detail.get("model_version") or model_versions.get(actor)
            if code:
                assigned[actor].append({"code": code, "score": detail.get("score"),
                                        "threshold": detail.get("threshold")})
        elif action in ("added", "removed"):
            codes = coders.setdefault(actor, set())
            if code:
                (codes.add if action == "added" else codes.discard)(code)
        elif action == "decided":
            decided[code or ""] = _applies(event)
        elif action == "migrated":
            old, who = detail.get("from_code"), detail.get("coder")
            for coder, codes in coders.items():
                if old in codes and (who is None or who == coder):
                    codes.discard(old)
                    codes.update([code] if code else [])
            if old in decided:
                applied = decided.pop(old)
                if code:
                    decided[code] = applied
    versions = sorted({str(e["codebook_version"]) for e in events if e.get("codebook_version")})
    return {
        "model": {"run": last_run, "codes": sorted(runs[last_run])} if last_run else None,
        "assigned": None if last_model is None else {
            "model_id": last_model, "model_version": model_versions.get(last_model),
            "codes": sorted(assigned[last_model], key=lambda r: str(r["code"]))},
        "coders": {coder: sorted(codes) for coder, codes in sorted(coders.items())},
        "decided": (sorted(c for c, ok in decided.items() if ok and c) if decided else None),
        "undecided": sorted(c or "(no code)" for c, ok in decided.items() if ok is None),
        "codebook_versions": versions,
    }


def explain_response(ledger: Ledger, response_id: str) -> dict[str, Any]:
    """History and current state of one answer's codes.

    Returns
    -------
    ``{"response_id", "question", "ledger", "events": [...], "current": {...}}``
    with events oldest first (see :meth:`Ledger.explain`) and ``current`` from
    :func:`current_codes`.

    Raises
    ------
    AuditError
        If the response id is not in the ledger (with a did-you-mean).
    """
    events = ledger.explain(response_id)
    questions = sorted({str(e["question"]) for e in events if e.get("question")})
    return {
        "response_id": response_id,
        "question": questions[0] if len(questions) == 1 else questions or None,
        "ledger": str(ledger.path),
        "events": events,
        "current": current_codes(events),
    }
