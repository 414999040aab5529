"""Label Studio exports into coding-table rows: a coder's annotations, an adjudicator's decisions."""

from __future__ import annotations

from typing import Any

from themeloop.adjudicate.disputes import SOURCE

COLUMNS = ["response_id", "question", "coder", "code", "source", "timestamp", "codebook_version",
           "memo", "annotation_id", "lead_time", "status", "unclear", "in_codebook"]


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


def adjudication_rows(export: list[dict[str, Any]], qid: str, code_ids: set[str],
                      codebook_version: str) -> list[dict[str, Any]]:
    """Coding-table rows of the adjudicator's annotations: ``source="adjudication"``.

    The coder is the adjudicator's e-mail; status, timestamp, memo and the
    rest are read as for coders (:func:`coding_rows`).
    """
    return [{**row, "source": SOURCE}
            for row in coding_rows(export, qid, code_ids, codebook_version)]
