"""Adjudication rules, recorded decisions, undecided units and the CLI."""

from __future__ import annotations

import json
import shutil

import pandas as pd
import pytest

from themeloop.adjudicate import adjudicate, fold_adjudicator_decisions
from themeloop.coding import read_coding_table
from themeloop.errors import AdjudicationError

COLS = ["response_id", "question", "coder", "code"]


def _t(rows) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=COLS)


THREE = _t([
    ("r1", "q", "a", "x"), ("r1", "q", "b", "x"), ("r1", "q", "c", "y"),
    ("r2", "q", "a", ""), ("r2", "q", "b", ""), ("r2", "q", "c", ""),
    ("r3", "q", "a", "x"), ("r3", "q", "a", "y"), ("r3", "q", "b", "x"), ("r3", "q", "c", "x"),
])


def _decision(result, unit: str, code: str) -> str:
    d = result.decisions
    return d[(d["response_id"] == unit) & (d["code"] == code)]["decision"].item()


def test_majority_of_three():
    result = adjudicate(THREE, "majority")
    assert _decision(result, "r1", "x") == "included"
    assert _decision(result, "r1", "y") == "excluded"
    assert result.agreed[COLS].values.tolist() == [
        ["r1", "q", "consensus", "x"], ["r2", "q", "consensus", ""], ["r3", "q", "consensus", "x"]]
    assert set(result.agreed["source"]) == {"adjudication"}
    assert result.undecided.empty
    row = result.decisions.iloc[0]
    assert row.to_dict() == {"response_id": "r1", "question": "q", "code": "x",
                             "decision": "included", "rule": "majority", "votes": "a;b",
                             "coders": "a;b;c"}


def test_unanimous_leaves_split_units_undecided_and_out_of_agreed():
    result = adjudicate(THREE, "unanimous")
    assert _decision(result, "r1", "x") == "undecided"
    assert _decision(result, "r3", "x") == "included"
    assert _decision(result, "r3", "y") == "undecided"
    assert sorted(set(result.agreed["response_id"])) == ["r2"]
    assert result.undecided[["response_id", "code", "reason"]].values.tolist() == [
        ["r1", "x", "not unanimous: 2 of 3 coders applied 'x'"],
        ["r1", "y", "not unanimous: 1 of 3 coders applied 'y'"],
        ["r3", "y", "not unanimous: 1 of 3 coders applied 'y'"]]


def test_majority_tie_is_undecided():
    table = _t([("r1", "q", "a", "x"), ("r1", "q", "b", "")])
    result = adjudicate(table, "majority")
    assert result.agreed.empty
    assert result.undecided["reason"].tolist() == ["tie: 1 of 2 coders applied no code",
                                                   "tie: 1 of 2 coders applied 'x'"]


def test_min_coders_and_ignored_rows():
    table = pd.concat([
        THREE.assign(source="human", status="submitted"),
        _t([("r4", "q", "a", "x")]).assign(source="human", status="submitted"),
        _t([("r1", "q", "m", "y")]).assign(source="model", status=""),
        _t([("r1", "q", "d", "y")]).assign(source="human", status="skipped"),
    ])
    result = adjudicate(table, "majority", min_coders=2)
    assert _decision(result, "r1", "y") == "excluded"  # model and skipped rows do not vote
    assert result.undecided[["response_id", "reason"]].values.tolist() == [
        ["r4", "only 1 coder(s) coded this unit"]]


def test_adjudicator_rule_and_errors():
    table = pd.concat([THREE, _t([("r1", "q", "judge", "y")])])
    result = adjudicate(table, "adjudicator:judge")
    assert _decision(result, "r1", "y") == "included" and _decision(result, "r1", "x") == "excluded"
    assert set(result.decisions.loc[result.decisions["response_id"] == "r1", "rule"]) == {
        "adjudicator:judge"}
    assert _decision(result, "r2", "") == "included"  # coders unanimous: no adjudication needed
    assert _decision(result, "r3", "y") == "undecided"  # not adjudicated, not unanimous
    assert "r3" in set(result.undecided["response_id"])
    with pytest.raises(AdjudicationError, match=r"^adjudicator 'judg' coded nothing in this "
                       r"table \(did you mean 'judge'\?\); coders: a, b, c, judge$"):
        adjudicate(table, "adjudicator:judg")
    with pytest.raises(AdjudicationError, match=r"^unknown rule 'majorty' \(did you mean "
                       r"'majority'\?\); use one of unanimous, majority, adjudicator:EMAIL$"):
        adjudicate(table, "majorty")


def test_fold_adjudicator_decisions_closes_undecided_units():
    result = adjudicate(THREE, "unanimous")
    folded = fold_adjudicator_decisions(result, _t([("r1", "q", "judge@x.org", "y"),
                                                    ("r3", "q", "judge@x.org", "")]))
    assert folded.undecided.empty
    assert folded.agreed[["response_id", "code"]].values.tolist() == [
        ["r1", "y"], ["r2", ""], ["r3", ""]]
    r1 = folded.decisions[folded.decisions["response_id"] == "r1"]
    assert r1[["code", "decision", "votes"]].values.tolist() == [
        ["", "excluded", ""], ["x", "excluded", "a;b"], ["y", "included", "c"]]
    assert set(r1["rule"]) == {"adjudicator:judge@x.org"}


@pytest.fixture
def project(tmp_path, sample_dir, repo_root):
    folder = tmp_path / "proj"
    folder.mkdir()
    shutil.copy(sample_dir / "survey.csv", folder / "survey.csv")
    toml = (sample_dir / "themeloop.toml").read_text().replace(
        'annotations = "../../annotations/innovation-survey"', 'annotations = "annotations"')
    (folder / "themeloop.toml").write_text(toml)
    (folder / "annotations").mkdir()
    shutil.copy(repo_root / "annotations" / "innovation-survey" / "coding_table.csv",
                folder / "annotations" / "coding_table.csv")
    return folder


def test_cli_in_a_project_writes_three_tables_and_a_manifest(cli, project):
    result = cli("adjudicate", "--project", project, "--rule", "majority")
    assert result.exit_code == 0, result.output
    out = project / "out"
    agreed = read_coding_table(out / "agreed.csv")
    assert set(agreed["coder"]) == {"consensus"} and set(agreed["source"]) == {"adjudication"}
    decisions = pd.read_csv(out / "adjudication_decisions.csv", keep_default_na=False)
    assert decisions.columns.tolist() == ["response_id", "question", "code", "decision", "rule",
                                          "votes", "coders"]
    undecided = pd.read_csv(out / "undecided.csv", keep_default_na=False)
    assert len(undecided) == (decisions["decision"] == "undecided").sum() > 0
    first = undecided.iloc[0]
    assert f"undecided {first['response_id']} [{first['question']}]" in result.output
    assert not set(undecided["response_id"]) & set(agreed["response_id"])
    manifest = json.loads((out / "adjudicate.manifest.json").read_text())
    assert manifest["config"]["rule"] == "majority"
    assert set(manifest["outputs"]) == {"out/agreed.csv", "out/adjudication_decisions.csv",
                                        "out/undecided.csv"}


def test_sample_adjudicator_settles_every_disagreement(cli, project):
    """The sample's lead researcher (source "adjudication") decides where the two coders differ."""
    result = cli("adjudicate", "--project", project, "--rule", "adjudicator:chloe.reid@example.org")
    assert result.exit_code == 0, result.output
    out = project / "out"
    undecided = pd.read_csv(out / "undecided.csv", keep_default_na=False)
    assert len(undecided) == 0
    decisions = pd.read_csv(out / "adjudication_decisions.csv", keep_default_na=False)
    by_chloe = decisions[decisions["rule"] == "adjudicator:chloe.reid@example.org"]
    coding = read_coding_table(project / "annotations" / "coding_table.csv")
    chloe_units = set(coding.loc[coding["source"] == "adjudication", "response_id"])
    assert set(by_chloe["response_id"]) == chloe_units
    agreed = read_coding_table(out / "agreed.csv")
    substantive = {rid for rid in coding.loc[coding["code"] != "", "response_id"]}
    assert substantive <= set(agreed["response_id"])


def test_cli_out_file_and_errors(cli, project, tmp_path):
    codes = project / "annotations" / "coding_table.csv"
    result = cli("adjudicate", "--codes", codes, "--out", tmp_path / "x" / "agreed.parquet",
                 "--rule", "unanimous")
    assert result.exit_code == 0, result.output
    assert read_coding_table(tmp_path / "x" / "agreed.parquet")["coder"].eq("consensus").all()
    assert (tmp_path / "x" / "undecided.csv").is_file()
    bad = cli("adjudicate", "--codes", codes, "--out", tmp_path / "y", "--rule", "vote")
    assert bad.exit_code == 2
    assert bad.output.endswith("Error: unknown rule 'vote'; use one of unanimous, majority, "
                               "adjudicator:EMAIL\n")
    assert not (tmp_path / "y").exists()
