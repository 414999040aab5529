"""The summary ``themeloop inspect`` prints: rows, questions, attributes."""

from __future__ import annotations

from statistics import median
from typing import Any

from themeloop.survey.model import Survey


def summarise(survey: Survey) -> dict[str, Any]:
    """Return a JSON-ready summary of a survey.

    Keys: ``file``, ``rows``, ``respondents``, ``questions`` (per question:
    ``answers``, ``non_substantive``, ``duplicates``, ``median_words``) and
    ``attributes`` (value counts, most common first).
    """
    responses = survey.responses()
    questions = {}
    for q in survey.questions:
        part = responses[responses["question"] == q.id]
        sub = part[part["substantive"]]
        words = [len(t.split()) for t in sub["text"]]
        questions[q.id] = {
            "column": q.column,
            "prompt": q.prompt,
            "answers": len(sub),
            "non_substantive": int((~part["substantive"]).sum()),
            "duplicates": int((part["duplicate_of"] != "").sum()),
            "median_words": float(median(words)) if words else 0.0,
        }
    attributes = {}
    for attr in survey.attributes:
        counts = survey.frame[attr].astype("string").fillna("(missing)").value_counts(sort=True)
        attributes[attr] = {str(k): int(v) for k, v in counts.items()}
    return {
        "file": str(survey.path),
        "rows": len(survey.frame),
        "respondents": len(set(survey.ids)),
        "questions": questions,
        "attributes": attributes,
    }
