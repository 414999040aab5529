"""Write proposed themes: themes.json, assignments.csv, a draft codebook.yaml and a manifest."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from themeloop._io import write_text_atomic
from themeloop.safe_csv import csv_text
from themeloop.themes.model import SeedCode, ThemesResult

THEMES_JSON = "themes.json"
ASSIGNMENTS_CSV = "assignments.csv"
DRAFT_CODEBOOK = "codebook.yaml"
MANIFEST = "themes.manifest.json"
ASSIGNMENT_COLUMNS = ["response_id", "question", "theme_id", "score"]
DRAFT_VERSION = "0.1-draft"


def themes_json(result: ThemesResult) -> str:
    """themes.json's text (stable key order, UTF-8)."""
    return json.dumps(result.to_json(), indent=2, ensure_ascii=False) + "\n"


def assignments_csv(result: ThemesResult, *, raw: bool = False) -> str:
    """assignments.csv's text: one row per answer, ``score`` empty when there is none.

    Neutralised against formula injection unless ``raw`` (see :mod:`themeloop.safe_csv`).
    """
    import pandas as pd

    rows = [[rid, qid, tid, "" if score is None else f"{score:.6f}"]
            for qid, q in result.questions.items()
            for rid, tid, score in zip(q.response_ids, q.theme_ids, q.scores)]
    return csv_text(pd.DataFrame(rows, columns=ASSIGNMENT_COLUMNS, dtype=object), raw=raw)


def draft_codebook(result: ThemesResult) -> dict[str, Any]:
    """A draft codebook (codebook.yaml's structure): one code per proposed theme."""
    questions = {}
    for qid, q in result.questions.items():
        codes = []
        for theme in q.themes:
            code = {"id": theme.id, "label": theme.label, "description": theme.description}
            examples = [quote.response_id for quote in theme.quotes]
            if examples:
                code["examples"] = examples
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
    codebook_name: str = DRAFT_CODEBOOK,
    raw: bool = False,
) -> dict[str, Path]:
    """Write themes.json, assignments.csv, the draft codebook and themes.manifest.json.

    Each file is written atomically. Returns the paths by role.
    """
    from themeloop.audit.manifest import build_manifest, write_manifest

    out = Path(out_dir)
    paths = {
        "themes": write_text_atomic(out / THEMES_JSON, themes_json(result)),
        "assignments": write_text_atomic(out / ASSIGNMENTS_CSV, assignments_csv(result, raw=raw)),
        "codebook": write_text_atomic(out / codebook_name, draft_codebook_yaml(result)),
    }
    manifest = build_manifest(
        "themes",
        inputs={k: Path(v) for k, v in (inputs or {}).items()},
        outputs=list(paths.values()),
        config=dict(config or {}),
        seeds={"seed": result.seed},
        model=dict(result.model),
        relative_to=relative_to or out,
    )
    paths["manifest"] = write_manifest(out / MANIFEST, manifest)
    return paths


def read_seed_codes(path: str | os.PathLike[str]) -> dict[str, list[SeedCode]]:
    """Seed codes per question from a codebook.yaml (via :mod:`themeloop.codebook`)."""
    from themeloop.codebook import load_codebook

    codebook = load_codebook(path)
    return {
        qid: [SeedCode(c.id, c.label, c.description) for c in q.codes]
        for qid, q in codebook.questions.items()
    }
