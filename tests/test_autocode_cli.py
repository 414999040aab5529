"""themeloop autocode fit | predict | evaluate on one file: the contract and bad input."""

from __future__ import annotations

import json

import pandas as pd
import pytest

ANSWERS = {
    "cost": ["The fees are too high for us", "Money is short and prices rise",
             "We cannot afford the budget cuts", "Funding ran out this year",
             "It costs too much money"],
    "staff": ["Not enough staff to cover shifts", "Our team is overworked and tired",
              "We lost experienced workers", "Recruiting people is hard",
              "Staff turnover is very high"],
}

CODEBOOK = """version: "2"
questions:
  barriers:
    codes:
      - id: cost
        label: Cost
        description: Money, funding, fees, budgets and prices.
      - id: staff
        label: Staffing
        description: Not enough staff, workforce, recruitment and turnover.
"""


@pytest.fixture
def files(tmp_path):
    rows, coding = [], []
    n = 0
    for code, texts in ANSWERS.items():
        for text in texts:
            n += 1
            rows.append((f"R{n}", text))
            for coder in ("ann", "bob"):
                coding.append((f"R{n}", "barriers", coder, code))
    rows.append(("R99", "The weather was lovely on the day of the picnic"))
    for coder in ("ann", "bob"):
        coding.append(("R99", "barriers", coder, ""))
    pd.DataFrame(rows, columns=["id", "answer"]).to_csv(tmp_path / "survey.csv", index=False)
    pd.DataFrame(coding, columns=["response_id", "question", "coder", "code"]).to_csv(
        tmp_path / "coding.csv", index=False)
    (tmp_path / "codebook.yaml").write_text(CODEBOOK, encoding="utf-8")
    return tmp_path


def _base(d):
    return ["autocode", "fit", d / "survey.csv", "--id-column", "id", "--text-column", "answer"]


def _error(result) -> str:
    assert result.exit_code == 2, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1, result.output
    return lines[0]


def test_unknown_code_in_the_coding_table(cli, files):
    coding = pd.read_csv(files / "coding.csv", keep_default_na=False)
    coding.loc[3, "code"] = "staf"
    coding.to_csv(files / "coding.csv", index=False)
    result = cli(*_base(files), "--codebook", files / "codebook.yaml", "--coding",
                 files / "coding.csv", "--model-dir", files / "m")
    assert _error(result) == (
        f"Error: {files / 'coding.csv'}: row 5: code 'staf' is not a code of question "
        f"'barriers' in {files / 'codebook.yaml'} (did you mean 'staff'?); add it to the "
        "codebook or fix the coding table")


def test_coding_ids_matching_no_answer(cli, files):
    coding = pd.read_csv(files / "coding.csv", keep_default_na=False)
    coding["response_id"] = "X" + coding["response_id"]
    coding.to_csv(files / "coding.csv", index=False)
    result = cli(*_base(files), "--coding", files / "coding.csv", "--model-dir", files / "m")
    assert _error(result) == (
        f"Error: {files / 'coding.csv'}: none of its 11 response ids is a value of the id "
        f"column in {files / 'survey.csv'} (first: 'XR1'); in ad hoc mode response_id is the "
        "id column's value")


def test_one_class_only(cli, files):
    coding = pd.read_csv(files / "coding.csv", keep_default_na=False)
    coding["code"] = "cost"
    coding.to_csv(files / "coding.csv", index=False)
    result = cli(*_base(files), "--coding", files / "coding.csv", "--model-dir", files / "m")
    assert _error(result) == (
        f"Error: {files / 'coding.csv'}: all 11 coded answers have the same codes (cost): one "
        "class only; fitting needs answers with and without a code, so code more answers")


def test_empty_file(cli, files):
    (files / "survey.csv").write_text("id,answer\n", encoding="utf-8")
    result = cli(*_base(files), "--codebook", files / "codebook.yaml", "--model-dir", files / "m")
    assert _error(result) == (f"Error: {files / 'survey.csv'}: file has no data rows; a survey "
                              "needs a header row and answers")


def test_file_with_only_blank_answers(cli, files):
    (files / "survey.csv").write_text("id,answer\nR1,\nR2,n/a\n", encoding="utf-8")
    result = cli(*_base(files), "--codebook", files / "codebook.yaml", "--model-dir", files / "m")
    assert _error(result) == (
        f"Error: {files / 'survey.csv'}: no answers to code in column 'answer' (the file is "
        "empty or every answer is blank); give a file with answers")


def test_neither_codebook_nor_coding(cli, files):
    result = cli(*_base(files), "--model-dir", files / "m")
    assert _error(result) == ("Error: autocode needs --codebook (zero-shot), --coding "
                              "(supervised) or both")


def test_predict_without_a_model(cli, files):
    result = cli("autocode", "predict", files / "survey.csv", "--id-column", "id",
                 "--text-column", "answer", "--model-dir", files / "none", "--out",
                 files / "p.csv")
    assert _error(result) == (
        f"Error: {files / 'none'}: no fitted model here (no manifest.json); run "
        "'themeloop autocode fit ... --model-dir' first")


def test_fit_predict_evaluate_end_to_end(cli, files):
    model = files / "model"
    result = cli(*_base(files), "--codebook", files / "codebook.yaml", "--model-dir", model)
    assert result.exit_code == 0, result.output
    manifest = json.loads((model / "manifest.json").read_text())
    assert manifest["kind"] == "zero_shot" and manifest["codebook_version"] == "2"
    assert manifest["question"] == "barriers" and manifest["seed"] == 42
    assert manifest["embedding"]["id"]
    result = cli("autocode", "predict", files / "survey.csv", "--id-column", "id",
                 "--text-column", "answer", "--model-dir", model, "--out", files / "pred.csv",
                 "--scores", files / "scores.csv")
    assert result.exit_code == 0, result.output
    pred = pd.read_csv(files / "pred.csv", keep_default_na=False, dtype=str)
    assert list(pred.columns[:6]) == ["response_id", "question", "coder", "code", "source", "score"]
    assert set(pred["coder"]) == {manifest["model_id"]} and set(pred["source"]) == {"model"}
    assert set(pred["response_id"]) == {f"R{i}" for i in range(1, 11)} | {"R99"}
    by = pred.groupby("response_id")["code"].apply(set)
    assert sum(by[f"R{i}"] == {"cost"} for i in range(1, 6)) >= 4
    assert sum(by[f"R{i}"] == {"staff"} for i in range(6, 11)) >= 4
    assert by["R99"] == {""}                               # none fits: one empty row
    scores = pd.read_csv(files / "scores.csv")
    assert list(scores.columns) == ["response_id", "cost", "staff"] and len(scores) == 11

    supervised = files / "sup"
    result = cli(*_base(files), "--codebook", files / "codebook.yaml", "--coding",
                 files / "coding.csv", "--model-dir", supervised, "--seed", "7")
    assert result.exit_code == 0, result.output
    sup = json.loads((supervised / "manifest.json").read_text())
    assert sup["kind"] == "supervised" and sup["seed"] == 7 and len(sup["training_codes_sha256"]) == 64
    again = files / "sup2"
    assert cli(*_base(files), "--codebook", files / "codebook.yaml", "--coding",
               files / "coding.csv", "--model-dir", again, "--seed", "7").exit_code == 0
    assert json.loads((again / "manifest.json").read_text()) == sup

    out = files / "agreement_model.json"
    result = cli("autocode", "evaluate", files / "survey.csv", "--id-column", "id",
                 "--text-column", "answer", "--codebook", files / "codebook.yaml", "--coding",
                 files / "coding.csv", "--folds", "3", "--json", out, "--bootstrap", "50")
    assert result.exit_code == 0, result.output
    report = json.loads(out.read_text())
    assert report["n_coded"] == 11 and report["folds"] == 3
    assert set(report["per_code"]) == {"cost", "staff"}
    assert report["agreement"]["human_coders"] == ["ann", "bob"]
    assert report["zero_shot"]["sample_f1"] is not None
    assert pred["needs_review"].isin(["True", "False"]).all()
    assert pred.loc[pred["response_id"] == "R99", "needs_review"].tolist() == ["True"]


def test_next_picks_uncoded_answers(cli, files):
    coding = pd.read_csv(files / "coding.csv", keep_default_na=False)
    coding = coding[coding["response_id"].isin(["R1", "R6"])]
    coding.to_csv(files / "coding.csv", index=False)
    out = files / "next.csv"
    result = cli("autocode", "next", files / "survey.csv", "--id-column", "id", "--text-column",
                 "answer", "--coding", files / "coding.csv", "--n", "3", "--out", out)
    assert result.exit_code == 0, result.output
    chosen = pd.read_csv(out, keep_default_na=False, dtype=str)
    assert chosen["rank"].tolist() == ["1", "2", "3"]
    assert not set(chosen["response_id"]) & {"R1", "R6"} and chosen["response_id"].is_unique


def test_human_only_codes_from_evaluate_are_never_predicted(cli, files):
    (files / "eval.json").write_text(json.dumps({"human_only": ["staff"]}), encoding="utf-8")
    model = files / "m"
    result = cli(*_base(files), "--codebook", files / "codebook.yaml", "--coding",
                 files / "coding.csv", "--model-dir", model, "--human-only-from",
                 files / "eval.json")
    assert result.exit_code == 0, result.output
    assert "human-only: staff;" in result.output
    manifest = json.loads((model / "manifest.json").read_text())
    assert [c["human_only"] for c in manifest["codes"]] == [False, True]
    result = cli("autocode", "predict", files / "survey.csv", "--id-column", "id",
                 "--text-column", "answer", "--model-dir", model, "--out", files / "p.csv",
                 "--scores", files / "s.csv")
    assert result.exit_code == 0, result.output
    pred = pd.read_csv(files / "p.csv", keep_default_na=False, dtype=str)
    assert "staff" not in set(pred["code"])                       # never applied...
    scores = pd.read_csv(files / "s.csv")
    assert scores.loc[5:9, "staff"].mean() > 0.5                   # ...though it scores high


def test_human_only_file_naming_an_unknown_code(cli, files):
    (files / "eval.json").write_text(json.dumps({"human_only": ["stafff"]}), encoding="utf-8")
    result = cli(*_base(files), "--codebook", files / "codebook.yaml", "--coding",
                 files / "coding.csv", "--model-dir", files / "m", "--human-only-from",
                 files / "eval.json")
    assert _error(result) == (f"Error: {files / 'eval.json'}: human-only code 'stafff' is not a "
                              "code of this model; evaluate again with the same codebook and "
                              "coding")
