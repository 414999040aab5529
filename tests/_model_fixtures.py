"""A coding project whose autocode stage ran: the files of issue 13's contract, built in code.

``make_model_project(root)`` builds the report tests' project
(:func:`test_report_fixtures.make_project`), takes some answers away from the
coders (nobody coded them), adjudicates the rest for real, and writes what the
``autocode`` stage writes: ``model_coding.csv``, ``model_crossfit.csv``,
``agreement_model.json``, ``review.csv``, ``model_bias.json`` and
``autocode.manifest.json``, in exactly the contract's format.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
from test_report_fixtures import coding_table, make_project

MODEL_ID = "autocoder-0123456789ab"
# Answers no human coded; the model codes them (O14 is "don't know": not substantive).
MODEL_UNITS = {"barriers": ["O10", "O11", "O12", "O13", "O14"],
               "practice": ["O11", "O12", "O13"]}
# (response_id, code, score, threshold); an empty code: the model applied none.
MODEL_ROWS = [
    ("O10:barriers", "funding", 0.91, 0.42), ("O11:barriers", "risk", 0.77, 0.5),
    ("O12:barriers", "funding", 0.64, 0.42), ("O12:barriers", "risk", 0.55, 0.5),
    ("O13:barriers", "staff", 0.81, 0.47), ("O14:barriers", "risk", 0.52, 0.5),
    ("O11:practice", "remote", 0.88, 0.4), ("O12:practice", "family", 0.73, 0.45),
    ("O13:practice", "", None, None),
    # a human coded O01: the model's row for it must lose
    ("O01:barriers", "risk", 0.6, 0.5),
]


def human_table() -> pd.DataFrame:
    """The coders' table without the answers the model codes."""
    table = coding_table()
    taken = {f"{o}:{q}" for q, ids in MODEL_UNITS.items() for o in ids}
    return table[~table["response_id"].isin(taken)].reset_index(drop=True)


def model_coding() -> pd.DataFrame:
    return pd.DataFrame([
        {"response_id": rid, "question": rid.split(":")[1], "coder": MODEL_ID, "code": code,
         "source": "model", "codebook_version": "1.1", "score": score, "threshold": threshold,
         "model_id": MODEL_ID}
        for rid, code, score, threshold in MODEL_ROWS])


def agreement_model() -> dict:
    """agreement_model.json as the autocode stage writes it (issue 13's contract)."""
    def per_code(alpha: float, human_only: bool = False, reason: str | None = None) -> dict:
        return {"alpha": alpha, "kappa": alpha + 0.01, "ac1": 0.9, "precision": 0.8,
                "recall": 0.75, "f1": 0.77, "alpha_ci95": [alpha - 0.2, min(1.0, alpha + 0.1)],
                "n_pos": 6, "threshold": 0.45, "human_only": human_only, "reason": reason}

    low = "model-vs-human alpha 0.41 is below the floor 0.667"
    return {"floor": 0.667, "model_id": MODEL_ID, "questions": {
        "barriers": {
            "mode": "supervised", "n_coded": 9, "n_model_coded": 4, "n_review": 2,
            "human_human": {"masi_alpha": 0.81, "per_code": {
                "funding": {"alpha": 1.0, "kappa": 1.0, "ac1": 1.0},
                "staff": {"alpha": 0.78, "kappa": 0.78, "ac1": 0.8},
                "risk": {"alpha": 0.62, "kappa": 0.6, "ac1": 0.7}}},
            "model_human": {
                "masi_alpha": 0.72, "masi_alpha_ci95": [0.55, 0.86], "sample_f1": 0.8,
                "sample_f1_ci95": [0.7, 0.9],
                "by_coder": {"amira@example.org": {"masi_alpha": 0.74, "sample_f1": 0.81},
                             "ben@example.org": {"masi_alpha": 0.7, "sample_f1": 0.79}},
                "per_code": {"funding": per_code(0.9), "staff": per_code(0.7),
                             "risk": per_code(0.41, True, low)}},
            "human_only": ["risk"],
            "learning_curve": [{"n": 3, "masi_alpha": 0.35, "sample_f1": 0.5},
                               {"n": 6, "masi_alpha": 0.6, "sample_f1": 0.7},
                               {"n": 9, "masi_alpha": 0.72, "sample_f1": 0.8}]},
        "practice": {
            "mode": "zero_shot", "n_coded": 0, "n_model_coded": 3, "n_review": 1,
            "human_human": {"masi_alpha": None, "per_code": {}},
            "model_human": {"masi_alpha": None, "masi_alpha_ci95": [None, None],
                            "sample_f1": None, "sample_f1_ci95": [None, None], "by_coder": {},
                            "per_code": {}},
            "human_only": [], "learning_curve": []},
    }}


def review() -> pd.DataFrame:
    return pd.DataFrame([
        {"response_id": "O12:barriers", "question": "barriers", "reason": "uncertain",
         "codes": "funding;risk", "scores": "0.64;0.55"},
        {"response_id": "O11:barriers", "question": "barriers", "reason": "uncertain",
         "codes": "risk", "scores": "0.77"},
        {"response_id": "O13:practice", "question": "practice", "reason": "no_code",
         "codes": "", "scores": ""},
    ])


def model_bias() -> dict:
    return {"method": "two-proportion z-test of human and model rates per group, Holm-adjusted",
            "questions": {"barriers": {
                "tests": [{"attribute": "org_type", "code": "funding", "group": "charity",
                           "n": 6, "human_rate": 0.67, "model_rate": 0.33, "diff": -0.34,
                           "p_value": 0.01, "p_holm": 0.03, "direction": "under"},
                          {"attribute": "org_type", "code": "staff", "group": "charity",
                           "n": 6, "human_rate": 0.33, "model_rate": 0.33, "diff": 0.0,
                           "p_value": 1.0, "p_holm": 1.0, "direction": None}],
                "warnings": ["The model under-codes 'funding' for org_type = charity "
                             "(33% against 67% by people, Holm p = 0.03)."]}}}


def crossfit() -> pd.DataFrame:
    return pd.DataFrame([
        {"response_id": "O01:barriers", "question": "barriers", "code": "funding", "human": 1,
         "model": 1, "score": 0.93},
        {"response_id": "O01:barriers", "question": "barriers", "code": "staff", "human": 0,
         "model": 0, "score": 0.1}])


def write_model_files(out: Path) -> None:
    """The autocode stage's outputs in ``out`` (a run's output folder)."""
    from themeloop.safe_csv import write_csv

    out.mkdir(parents=True, exist_ok=True)
    write_csv(model_coding(), out / "model_coding.csv")
    write_csv(crossfit(), out / "model_crossfit.csv")
    write_csv(review(), out / "review.csv")
    for name, data in (("agreement_model.json", agreement_model()),
                       ("model_bias.json", model_bias())):
        (out / name).write_text(json.dumps(data, indent=2), encoding="utf-8")
    manifest = {"command": "autocode", "manifest_id": "feedc0de00000001", "seeds": {"autocode": 7},
                "codebook_version": "1.1", "versions": {"themeloop": "0.13.0"}, "inputs": {},
                "outputs": {}, "config": {}, "model": None}
    (out / "autocode.manifest.json").write_text(json.dumps(manifest), encoding="utf-8")


def make_model_project(root: Path) -> Path:
    """The report project with a real adjudication of the coded answers and the model's files."""
    from themeloop.adjudicate import adjudicate
    from themeloop.safe_csv import write_csv

    make_project(root)
    table = human_table()
    write_csv(table, root / "annotations" / "coding_table.csv")
    result = adjudicate(table, "majority")
    out = root / "out"
    write_csv(result.agreed, out / "agreed.csv")
    write_csv(result.decisions, out / "adjudication_decisions.csv")
    write_csv(result.undecided, out / "undecided.csv")
    write_model_files(out)
    return root
