"""Issue 11's probe, through the commands `themeloop run` chains: no CSV gains or loses a row.

The sample survey gets a bare ``\\r`` in two answers and in one ``org_type``,
an id ``@ORG41`` and coder memos that are formulas. Before the shared CSV
writer, ``coded.csv`` read back 43 rows for 41 respondents, a phantom row had
the id ``=2``, and pandas could not parse the crosstabs.
"""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

from themeloop.safe_csv import formula_like, read_csv, write_csv

HYPERLINK = '=HYPERLINK("http://d","z")'
CALC = '@SUM(1+1)*cmd|" /C calc"!A0'
COUNTS = {"coded.csv": 41, "crosstab_org_type.csv": 32,
          "crosstab_org_type__INTERNAL_unsuppressed.csv": 32, "disagreements.csv": 21,
          "agreed.csv": 209, "adjudication_decisions.csv": 242, "undecided.csv": 0}
CODED = {"barriers": 40, "practice": 39, "radical": 39}  # as on the unchanged sample


@pytest.fixture
def probe(tmp_path, repo_root) -> Path:
    project = tmp_path / "examples" / "innovation-survey"
    shutil.copytree(repo_root / "examples" / "innovation-survey", project,
                    ignore=shutil.ignore_patterns("out", "models", ".themeloop"))
    annotations = tmp_path / "annotations" / "innovation-survey"
    shutil.copytree(repo_root / "annotations" / "innovation-survey", annotations,
                    ignore=shutil.ignore_patterns("ledger.jsonl", "raw"))
    survey = pd.read_csv(project / "survey.csv", dtype=str, keep_default_na=False)
    rows = {rid: i for i, rid in enumerate(survey["org_id"])}
    survey.loc[rows["ORG03"], "barriers_text"] = "Funding.\rStaff leave."
    survey.loc[rows["ORG06"], "barriers_text"] += "\r=2"
    survey.loc[rows["ORG05"], "org_type"] = "charity\rX"
    survey.loc[rows["ORG41"], "org_id"] = "@ORG41"
    write_csv(survey, project / "survey.csv", raw=True)
    table = pd.read_csv(annotations / "coding_table.csv", dtype=str, keep_default_na=False)
    table["response_id"] = table["response_id"].str.replace("ORG41:", "@ORG41:", regex=False)
    org06 = table["response_id"] == "ORG06:barriers"
    table.loc[org06 & (table["coder"] == "amira.khan@example.org"), "memo"] = HYPERLINK
    table.loc[org06 & (table["coder"] == "ben.osei@example.org"), "memo"] = CALC
    write_csv(table, annotations / "coding_table.csv", raw=True)
    return project


def _run(cli, project: Path, *flags: str) -> None:
    for args in (("adjudicate", *flags), ("agreement", "--disagreements",
                                          project / "out" / "disagreements.csv", *flags),
                 ("merge", "--json", *flags), ("crosstab", "--by", "org_type", *flags)):
        result = cli(*args, "--project", project)
        assert result.exit_code == 0, (args, result.output)


def _records(path: Path) -> list[list[str]]:
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.reader(fh))


def test_bare_carriage_returns_keep_every_row_and_neutralise_every_formula(cli, probe):
    _run(cli, probe)
    out = probe / "out"
    for name, n in COUNTS.items():
        assert len(_records(out / name)) == n + 1, name  # csv module: header + rows
        assert len(pd.read_csv(out / name, dtype=str)) == n, name  # pandas parses every one
        assert not [c for row in _records(out / name) for c in row if formula_like(c)], name
    coded = read_csv(out / "coded.csv")
    survey = read_csv(probe / "survey.csv", raw=True)
    assert coded["org_id"].tolist() == survey["org_id"].tolist()
    assert "=2" not in coded["org_id"].tolist()
    row = dict(zip(coded["org_id"], coded.index))
    assert coded.at[row["ORG03"], "barriers_text"] == "Funding.\rStaff leave."
    assert coded.at[row["ORG05"], "org_type"] == "charity\rX"
    assert coded.at[row["ORG06"], "barriers_text"].endswith("\r=2")
    assert _records(out / "coded.csv")[row["@ORG41"] + 1][0] == "'@ORG41"
    # merge read the neutralised agreed.csv back: @ORG41's answers are coded, as on the sample
    report = json.loads((out / "merge_report.json").read_text())
    assert {q: s["coded"] for q, s in report["questions"].items()} == CODED
    assert coded.at[row["@ORG41"], "barriers__n_codes"] not in ("", "0")
    agreed = _records(out / "agreed.csv")
    assert sum(r[0].startswith("'@ORG41:") for r in agreed) == 6
    assert any(r[0] == "'@ORG41:barriers" for r in _records(out / "adjudication_decisions.csv"))
    crosstab = read_csv(out / "crosstab_org_type.csv")
    assert "charity\rX: n" in crosstab.columns
    disputed = read_csv(out / "disagreements.csv").set_index("response_id")
    assert disputed.at["ORG06:barriers", "text"].endswith("\r=2")
    memos = disputed.loc["ORG06:barriers", [c for c in disputed.columns if c.endswith(" memo")]]
    assert set(memos) == {HYPERLINK, CALC}
    raw_memos = [c for r in _records(out / "disagreements.csv") for c in r if "HYPERLINK" in c]
    assert raw_memos == ["'" + HYPERLINK]


def test_raw_flag_writes_the_text_as_it_is_and_merge_still_matches_ids(cli, probe):
    _run(cli, probe, "--raw")
    out = probe / "out"
    for name, n in COUNTS.items():
        assert len(_records(out / name)) == n + 1, name
    assert sum(r[0].startswith("@ORG41:") for r in _records(out / "agreed.csv")) == 6
    assert any(CALC in r for r in _records(out / "disagreements.csv"))
    coded = pd.read_csv(out / "coded.csv", dtype=str, keep_default_na=False)
    assert "@ORG41" in coded["org_id"].tolist() and len(coded) == 41
    report = json.loads((out / "merge_report.json").read_text())
    assert {q: s["coded"] for q, s in report["questions"].items()} == CODED


def test_export_raw_in_the_config_does_what_the_flag_does(cli, probe):
    toml = probe / "themeloop.toml"
    toml.write_text(toml.read_text() + "\n[export]\nraw = true\n")
    _run(cli, probe)
    assert sum(r[0].startswith("@ORG41:") for r in _records(probe / "out" / "agreed.csv")) == 6
    coded = pd.read_csv(probe / "out" / "coded.csv", dtype=str, keep_default_na=False)
    assert "@ORG41" in coded["org_id"].tolist()


def test_agreement_reads_neutralised_assignments_back_with_matching_ids(cli, probe):
    from types import SimpleNamespace

    from themeloop.themes.io import assignments_csv

    ids = [f"{o}:barriers" for o in ("@ORG41", "ORG01", "ORG02")]
    result = SimpleNamespace(questions={"barriers": SimpleNamespace(
        response_ids=ids, theme_ids=["funding"] * 3, scores=[0.9, 0.8, None])})
    path = probe / "assignments.csv"
    path.write_text(assignments_csv(result), encoding="utf-8")
    assert _records(path)[1][0] == "'@ORG41:barriers"
    from themeloop.coding import assignments_to_coding

    model = assignments_to_coding(read_csv(path, dtype={"theme_id": str}))
    assert model["response_id"].tolist()[:3] == ids
    json_out = probe / "out" / "agreement.json"
    outcome = cli("agreement", "--assignments", path, "--json", json_out, "--project", probe)
    assert outcome.exit_code == 0, outcome.output
    model_json = json.loads((probe / "out" / "agreement_model.json").read_text())
    assert "barriers" in model_json["questions"]
