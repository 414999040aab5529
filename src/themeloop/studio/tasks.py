"""Label Studio tasks built from the survey: coding tasks (push) and adjudication tasks.

Pure functions of the survey, the coding table and the codebook; nothing here
talks to a server.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from themeloop.adjudicate.disputes import coder_codings
from themeloop.codebook import CODES_NAME, attribute_key
from themeloop.errors import ConfigError, did_you_mean

if TYPE_CHECKING:
    import pandas as pd

SUMMARY_KEY = "coders_summary"


def build_tasks(survey, qid: str, attributes: Sequence[str] = ()) -> list[dict[str, Any]]:
    """One ``{"data": ...}`` task per substantive answer to ``qid``, in survey order."""
    values = attribute_values(survey, attributes)
    responses = survey.responses()
    rows = responses[(responses["question"] == qid) & responses["substantive"]]
    tasks = []
    for rid, respondent, text in zip(rows["response_id"], rows["respondent_id"], rows["text"]):
        data = {"response_id": rid, "question": qid, "text": text}
        for attr in attributes:
            data[attribute_key(attr)] = values[attr].get(respondent, "")
        tasks.append({"data": data})
    return tasks


def attribute_values(survey, attributes: Sequence[str]) -> dict[str, dict[Any, str]]:
    """Each attribute's value per respondent id, as text shown to coders.

    Raises
    ------
    ConfigError
        If an attribute is not a column of the survey.
    """
    frame = survey.frame
    for attr in attributes:
        if attr not in frame.columns:
            raise ConfigError(f"[studio] task_attributes: no column '{attr}' in {survey.path}"
                              f"{did_you_mean(attr, [str(c) for c in frame.columns])}")
    return {attr: dict(zip(survey.ids, frame[attr].map(cell_text))) for attr in attributes}


def cell_text(value: Any) -> str:
    """A survey cell as task text: "" when missing, "3" rather than "3.0"."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def choices_result(codes: list[str]) -> list[dict[str, Any]]:
    """A Label Studio result ticking ``codes`` in the ``codes`` choices."""
    return [{"from_name": CODES_NAME, "to_name": "text", "type": "choices",
             "value": {"choices": list(codes)}}]


def coders_summary(codings: dict[str, dict[str, Any]], codebook, qid: str) -> str:
    """One line per coder: ``email: Label [id], Label [id]; memo: "..." (unclear)``."""
    known = set(codebook.code_ids(qid)) if qid in codebook.questions else set()
    lines = []
    for coder, coding in sorted(codings.items()):
        codes = [f"{codebook.label(qid, c)} [{c}]" if c in known else f"[{c}] (not in codebook)"
                 for c in coding["codes"]]
        line = f"{coder}: {', '.join(codes) if codes else 'no code'}"
        if coding["memo"]:
            line += f'; memo: "{" / ".join(coding["memo"].splitlines())}"'
        if coding["unclear"]:
            line += " (flagged unclear)"
        lines.append(line)
    return "\n".join(lines)


def adjudication_tasks(survey, table: pd.DataFrame, codebook, qid: str, rids: list[str], *,
                       attributes: Sequence[str] = (), exclude: str | None = None,
                       ) -> tuple[list[dict[str, Any]], dict[str, list[dict[str, Any]]]]:
    """Tasks (``response_id, question, text, coders_summary`` and attributes) and predictions.

    Each coder of a unit gives one prediction: ``model_version`` = their
    e-mail, result = the codes they ticked (empty when they applied none).
    """
    responses = survey.responses()
    responses = responses[responses["question"] == qid]
    text = dict(zip(responses["response_id"], responses["text"]))
    respondent = dict(zip(responses["response_id"], responses["respondent_id"]))
    values = attribute_values(survey, attributes)
    codings = coder_codings(table, qid, set(rids), exclude=exclude)
    tasks, predictions = [], {}
    for rid in rids:
        unit = codings.get(rid, {})
        answer = text.get(rid)
        data = {"response_id": rid, "question": qid,
                "text": cell_text(answer),
                SUMMARY_KEY: coders_summary(unit, codebook, qid)}
        for attr in attributes:
            data[attribute_key(attr)] = values[attr].get(respondent.get(rid), "")
        tasks.append({"data": data})
        predictions[rid] = [{"model_version": coder,
                             "result": choices_result(c["codes"]) if c["codes"] else []}
                            for coder, c in sorted(unit.items())]
    return tasks, predictions
