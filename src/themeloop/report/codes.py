"""Per-question content of the report: themes, agreed codes, exemplars, charts by attribute."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from themeloop.report.charts import Cell, bar_chart
from themeloop.report.model import (
    BarChart,
    CodeRow,
    ParentTheme,
    Quote,
    ThemeCheck,
    ThemeRow,
    ThemeSummary,
)

MAX_EXEMPLARS = 3
MAX_KEYWORDS = 6
MAX_QUOTE = 300
MIN_QUOTE = 25  # shorter answers rarely show what a code means


def clip(text: str, limit: int = MAX_QUOTE) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "\u2026"


def codebook_codes(codebook: Any, qid: str) -> list[Any]:
    """The codebook's codes for ``qid`` (empty when there is no codebook or no entry)."""
    if codebook is None or qid not in getattr(codebook, "questions", {}):
        return []
    return list(codebook.questions[qid].codes)


def theme_summary(entry: Mapping[str, Any] | None) -> ThemeSummary | None:
    """One question's entry of ``themes.json`` as report rows."""
    if not entry:
        return None
    from themeloop.themes.stability import reading

    themes = [
        ThemeRow(
            id=str(t.get("id", "")), label=str(t.get("label", "")),
            keywords=[str(k) for k in t.get("keywords") or []][:MAX_KEYWORDS],
            size=int(t.get("size") or 0),
            share=float(t.get("share") or 0.0), seeded=bool(t.get("seeded")),
            quotes=[Quote(str(q.get("response_id", "")), clip(q.get("text", "")))
                    for q in (t.get("quotes") or [])[:MAX_EXEMPLARS]],
            description=clip(str(t.get("description") or ""), 160),
            n_primary=_int_or_none(t.get("n_primary")),
            stability=_float_or_none(t.get("stability")),
            stability_reading=reading(_float_or_none(t.get("stability"))),
            parent=str(t["parent"]) if t.get("parent") else None,
        )
        for t in entry.get("themes") or []
    ]
    return ThemeSummary(
        strategy=str(entry.get("strategy", "")), n_responses=int(entry.get("n_responses") or 0),
        n_substantive=int(entry.get("n_substantive") or 0),
        n_non_substantive=len(entry.get("non_substantive") or []),
        n_unassigned=int(entry.get("n_unassigned") or 0), themes=themes,
        multi_label=bool(entry.get("multi_label")),
        n_segments=_int_or_none(entry.get("n_segments")),
        n_multi_theme=int(entry.get("n_multi_theme") or 0),
        stability_runs=int(entry.get("stability_runs") or 0), note=str(entry.get("note") or ""),
        checks=[ThemeCheck(str(c.get("rule", "")), [str(x) for x in c.get("themes") or []],
                           str(c.get("detail", ""))) for c in entry.get("checks") or []],
        parents=_parents(entry.get("parents") or [], themes),
    )


def _int_or_none(value: Any) -> int | None:
    return None if value is None else int(value)


def _float_or_none(value: Any) -> float | None:
    return None if value is None else float(value)


def _parents(parents: list[Mapping[str, Any]], themes: list[ThemeRow]) -> list[ParentTheme]:
    """The hierarchy as a tree: each parent with its child rows (themes.json ``parents``)."""
    by_id = {t.id: t for t in themes}
    return [ParentTheme(id=str(p.get("id", "")), label=str(p.get("label", "")),
                        description=clip(str(p.get("description") or ""), 160),
                        size=int(p.get("size") or 0),
                        children=[by_id[c] for c in p.get("children") or [] if c in by_id])
            for p in parents]


def code_rows(
    qid: str,
    agreed: pd.DataFrame,
    responses: pd.DataFrame,
    codebook: Any,
) -> tuple[list[CodeRow], int]:
    """Counts, percentages and exemplar quotes of the agreed codes of one question.

    The percentage base is the number of coded answers that are substantive
    or carry a code (an "N/A" read and left uncoded is not in the base, as in
    the merged dataset). Codebook codes come first, in
    codebook order, including those never applied; codes the codebook lacks
    follow, sorted.

    Returns
    -------
    rows, n_coded
    """
    table = agreed[agreed["question"] == qid]
    applied = table[table["code"].fillna("").astype(str) != ""]
    part = responses[responses["question"] == qid]
    substantive = set(part.loc[part["substantive"].astype(bool), "response_id"].astype(str))
    n_coded = len(set(table["response_id"].astype(str)) & substantive
                  | set(applied["response_id"].astype(str)))
    by_code: dict[str, list[str]] = {}
    for rid, code in zip(applied["response_id"].astype(str), applied["code"].astype(str)):
        ids = by_code.setdefault(code, [])
        if rid not in ids:
            ids.append(rid)
    texts = _texts(responses, qid)
    n_codes: dict[str, int] = {}
    for ids in by_code.values():
        for rid in ids:
            n_codes[rid] = n_codes.get(rid, 0) + 1
    rows: list[CodeRow] = []
    known = codebook_codes(codebook, qid)
    for code in known:
        ids = by_code.get(code.id, [])
        rows.append(CodeRow(
            id=code.id, label=code.label or code.id, description=code.description or "",
            parent=code.parent, count=len(ids), percent=_pct(len(ids), n_coded),
            in_codebook=True, exemplars=_exemplars(ids, texts, list(code.examples or []), n_codes),
        ))
    known_ids = {c.id for c in known}
    for code in sorted(set(by_code) - known_ids):
        ids = by_code[code]
        rows.append(CodeRow(code, code, "", None, len(ids), _pct(len(ids), n_coded), False,
                            _exemplars(ids, texts, [], n_codes)))
    return rows, n_coded


def _pct(count: int, base: int) -> float:
    return 100.0 * count / base if base else 0.0


def _texts(responses: pd.DataFrame, qid: str) -> dict[str, tuple[str, bool]]:
    """response id -> (text, usable as an exemplar), in survey order."""
    part = responses[responses["question"] == qid]
    dup = part["duplicate_of"].fillna("").astype(str) if "duplicate_of" in part else None
    out: dict[str, tuple[str, bool]] = {}
    for i, (rid, text, sub) in enumerate(zip(part["response_id"].astype(str),
                                             part["text"].fillna("").astype(str),
                                             part["substantive"])):
        usable = bool(sub) and (dup is None or dup.iloc[i] == "")
        out[rid] = (text, usable)
    return out


def _exemplars(ids: list[str], texts: dict[str, tuple[str, bool]], examples: list[str],
               n_codes: dict[str, int]) -> list[Quote]:
    """Up to three quotes that show the code: codebook examples first, then focused answers.

    Answers that carry fewest other codes come first, then answers of a
    readable length (not too short, shorter before longer), then survey order.
    """
    chosen: list[str] = [e for e in examples if e in ids and e in texts][:MAX_EXEMPLARS]
    order = {rid: i for i, rid in enumerate(texts)}

    def focus(rid: str) -> tuple[int, int, int, int]:
        length = len(texts[rid][0].strip())
        return (n_codes.get(rid, 1), length < MIN_QUOTE, length, order[rid])

    usable = [r for r in ids if r in texts and texts[r][1] and r not in chosen]
    chosen += sorted(usable, key=focus)[: MAX_EXEMPLARS - len(chosen)]
    return [Quote(rid, clip(texts[rid][0])) for rid in chosen]


def overall_chart(qid: str, rows: list[CodeRow], n_coded: int) -> BarChart | None:
    """Share of coded answers with each code, when no attribute is chosen.

    Whole-survey counts are printed in the code table too, so nothing is
    suppressed here; suppression applies to cross-tabulations by attribute.
    """
    if not rows or not n_coded:
        return None
    cells = [[Cell(r.count, n_coded)] for r in rows]
    return bar_chart(f"{qid}: share of coded answers with each code", [r.label for r in rows],
                     ["All"], cells, x_label=f"% of {n_coded} coded answers")


def _group_name(group: str, labels: Mapping[Any, str]) -> str:
    """An SPSS/Stata value label for a group (``1`` -> ``"charity"``) when the survey has one."""
    for value, label in labels.items():
        text = str(int(value)) if isinstance(value, float) and value.is_integer() else str(value)
        if text == group:
            return f"{label} ({group})" if label else group
    return group


def attribute_chart(qid: str, rows: list[CodeRow], result: Any,
                    value_labels: Mapping[Any, str] | None = None) -> BarChart | None:
    """Share of each attribute group's coded answers with each code, from a crosstab.

    ``result`` is a :class:`themeloop.merge.crosstab.CrosstabResult`. Counts
    come from its internal table; a cell is drawn only when its *published*
    table shows it, so the chart hides exactly what the crosstab suppresses
    (small counts and the secondary cells that would reveal them).
    ``value_labels`` names coded groups (the survey file's value labels).
    """
    from themeloop.merge.crosstab import BASE

    internal = result.internal[result.internal["question"] == qid]
    published = result.published().loc[internal.index]
    by_code = {str(code): i for i, code in zip(internal.index, internal["code"])}
    present = [r for r in rows if r.id in by_code]
    if not present or BASE not in by_code or not result.groups:
        return None
    base = internal.loc[by_code[BASE]]
    cells = [
        [Cell(int(internal.at[by_code[r.id], f"{g}: n"]), int(base[f"{g}: n"]),
              suppressed=isinstance(published.at[by_code[r.id], f"{g}: n"], str))
         for g in result.groups]
        for r in present
    ]
    threshold = result.suppress_below
    return bar_chart(f"{qid}: share of coded answers with each code, by {result.by}",
                     [r.label for r in present],
                     [_group_name(str(g), value_labels or {}) for g in result.groups], cells,
                     x_label=f"% of each {result.by} group's coded answers",
                     threshold=threshold, note=_note(threshold, result.n_without_group))


def _note(threshold: int, n_without_group: int) -> str:
    parts = []
    if threshold > 0:
        parts.append(f"Counts below {threshold} are suppressed (shown as <{threshold}), with a "
                     "second cell where needed so they cannot be worked out from the total.")
    if n_without_group:
        parts.append(f"{n_without_group} respondents with no value are left out.")
    return " ".join(parts)
