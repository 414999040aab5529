"""Write proposed themes: themes.json, assignments.csv, a draft codebook.yaml and a manifest."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from themeloop._io import write_text_atomic
from themeloop.pipeline.artifacts import ASSIGNMENTS, DRAFT_CODEBOOK, THEMES_JSON, THEMES_MANIFEST
from themeloop.safe_csv import csv_text
from themeloop.themes.model import SeedCode, ThemesResult

ASSIGNMENT_COLUMNS = ["response_id", "question", "theme_id", "primary", "score"]
DRAFT_VERSION = "0.1-draft"


def themes_json(result: ThemesResult) -> str:
    """themes.json's text (stable key order, UTF-8)."""
    return json.dumps(result.to_json(), indent=2, ensure_ascii=False) + "\n"


def assignments_csv(result: ThemesResult, *, raw: bool = False) -> str:
    """assignments.csv's text: one row per (answer, theme), ``score`` empty when there is none.

    An answer's primary theme comes first with ``primary`` 1, then its other
    themes (multi-label), best first, with ``primary`` 0. An answer with no
    theme has one row, ``unassigned``. Neutralised against formula injection
    unless ``raw`` (see :mod:`themeloop.safe_csv`).
    """
    import pandas as pd

    def score_text(score: float | None) -> str:
        return "" if score is None else f"{score:.6f}"

    rows = []
    for qid, q in result.questions.items():
        secondary = getattr(q, "secondary", None) or [[] for _ in q.response_ids]
        for rid, tid, score, extra in zip(q.response_ids, q.theme_ids, q.scores, secondary):
            rows.append([rid, qid, tid, "1", score_text(score)])
            rows += [[rid, qid, other, "0", score_text(s)] for other, s in extra]
    return csv_text(pd.DataFrame(rows, columns=ASSIGNMENT_COLUMNS, dtype=object), raw=raw)


def draft_codebook(result: ThemesResult) -> dict[str, Any]:
    """A draft codebook (codebook.yaml's structure): one code per proposed theme.

    Parent themes (above ~20 themes) come first and their children name them
    as ``parent``; "Other" and "No answer given" come last when they hold answers.
    """
    questions = {}
    for qid, q in result.questions.items():
        codes: list[dict[str, Any]] = []
        firsts = {t.id: t.quotes[0].response_id for t in q.themes if t.quotes}
        for parent in q.parents:
            codes.append({"id": parent.id, "label": parent.label,
                          "description": parent.description,
                          "examples": [firsts[c] for c in parent.children if c in firsts][:5]})
        for theme in [*q.themes, *(t for t in (q.other, q.no_answer) if t is not None)]:
            code: dict[str, Any] = {"id": theme.id, "label": theme.label,
                                    "description": theme.description}
            examples = [quote.response_id for quote in theme.quotes]
            if examples:
                code["examples"] = examples
            if theme.parent:
                code["parent"] = theme.parent
            codes.append(code)
        questions[qid] = {"codes": codes}
    return {"version": DRAFT_VERSION, "questions": questions}


def draft_codebook_yaml(result: ThemesResult) -> str:
    header = (
        "# Draft codebook proposed by 'themeloop themes' (run "
        f"{result.run_id}, seed {result.seed}).\n"
        "# Review every code: rename, merge, split, add include/exclude rules, then\n"
        "# give it a real version before coding.\n"
    )
    body = yaml.safe_dump(
        draft_codebook(result), sort_keys=False, allow_unicode=True, width=100,
        default_flow_style=False,
    )
    return header + body


def write_themes(
    result: ThemesResult,
    out_dir: str | os.PathLike[str],
    *,
    inputs: Mapping[str, str | os.PathLike[str]] | None = None,
    config: Mapping[str, Any] | None = None,
    relative_to: str | os.PathLike[str] | None = None,
    raw: bool = False,
) -> dict[str, Path]:
    """Write themes.json, assignments.csv, the draft codebook and themes.manifest.json.

    Each file is written atomically. Returns the paths by artifact key
    (:mod:`themeloop.pipeline.artifacts`).
    """
    from themeloop.audit.manifest import write_stage_manifest

    out = Path(out_dir)
    paths = {
        THEMES_JSON.key: write_text_atomic(THEMES_JSON.path(out), themes_json(result)),
        ASSIGNMENTS.key: write_text_atomic(ASSIGNMENTS.path(out), assignments_csv(result, raw=raw)),
        DRAFT_CODEBOOK.key: write_text_atomic(DRAFT_CODEBOOK.path(out), draft_codebook_yaml(result)),
    }
    paths[THEMES_MANIFEST.key] = write_stage_manifest(
        THEMES_MANIFEST.path(out),
        "themes",
        inputs={k: Path(v) for k, v in (inputs or {}).items()},
        outputs=list(paths.values()),
        config=dict(config or {}),
        seeds={"seed": result.seed},
        model=dict(result.model),
        relative_to=Path(relative_to) if relative_to else out,
    )
    return paths


def read_seed_codes(path: str | os.PathLike[str]) -> dict[str, list[SeedCode]]:
    """Seed codes per question from a codebook.yaml (via :mod:`themeloop.codebook`)."""
    from themeloop.codebook import load_codebook

    codebook = load_codebook(path)
    return {
        qid: [SeedCode(c.id, c.label, c.description) for c in q.codes]
        for qid, q in codebook.questions.items()
    }
