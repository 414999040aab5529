"""`themeloop agreement`: DESIGN.md's JSON key for key, project mode, errors, model vs human."""

from __future__ import annotations

import json
import shutil

import pandas as pd
import pytest

from themeloop.agreement import agreement_report, disagreements, model_vs_human
from themeloop.errors import AgreementError

# DESIGN.md "Agreement JSON", as a skeleton: the keys, in order, at every level.
DESIGN_QUESTION_KEYS = ["n_units", "coders", "overall", "per_code"]
DESIGN_OVERALL_KEYS = ["percent_agreement", "krippendorff_alpha_masi", "mean_krippendorff_alpha",
                       "krippendorff_alpha_nominal", "fleiss_kappa"]
DESIGN_CODE_KEYS = ["n_units", "prevalence", "percent_agreement", "cohen_kappa", "fleiss_kappa",
                    "krippendorff_alpha", "gwet_ac1", "brennan_prediger", "alpha_ci95"]
# Issue 15 adds keys after DESIGN.md's (docs/agreement.md): the coefficient family with SEs
# and benchmark bands, and the per-coder diagnostics. DESIGN's keys stay first, in order.
ADDED_QUESTION_KEYS = ["coefficients", "diagnostics"]
ADDED_CODE_KEYS = ["coefficients"]


def _table() -> pd.DataFrame:
    rows = []
    for u in range(40):
        for coder in ("a@x.org", "b@x.org"):
            codes = ["cost"] if u % 3 == 0 else ["staff", "cost"] if u % 3 == 1 else [""]
            if coder == "b@x.org" and u % 7 == 0:
                codes = ["staff"]
            rows += [(f"R{u}:q1", "q1", coder, c, "human", "note" if u == 0 else "") for c in codes]
    return pd.DataFrame(rows, columns=["response_id", "question", "coder", "code", "source", "memo"])


def _keys_match(data: dict, level: str = "nominal") -> None:
    assert list(data) == ["questions"]
    overall_keys = [k.replace("nominal", level) for k in DESIGN_OVERALL_KEYS]
    for block in data["questions"].values():
        assert list(block) == DESIGN_QUESTION_KEYS + ADDED_QUESTION_KEYS
        assert list(block["overall"]) == overall_keys
        for stats in block["per_code"].values():
            assert list(stats) == DESIGN_CODE_KEYS + ADDED_CODE_KEYS
            assert stats["alpha_ci95"] is None or len(stats["alpha_ci95"]) == 2


def test_json_matches_design_key_for_key(cli, tmp_path):
    source = tmp_path / "codes.csv"
    _table().to_csv(source, index=False)
    result = cli("agreement", source, "--json", tmp_path / "agreement.json", "--bootstrap", "50")
    assert result.exit_code == 0, result.output
    data = json.loads((tmp_path / "agreement.json").read_text())
    _keys_match(data)
    block = data["questions"]["q1"]
    assert block["coders"] == ["a@x.org", "b@x.org"] and block["n_units"] == 40
    assert block["overall"]["krippendorff_alpha_nominal"] is None  # multi-label data
    assert block["per_code"]["cost"]["cohen_kappa"] is not None  # exactly two coders
    low, high = block["per_code"]["cost"]["alpha_ci95"]
    assert low <= block["per_code"]["cost"]["krippendorff_alpha"] <= high
    notes = json.loads((tmp_path / "agreement_notes.json").read_text())
    assert set(notes["questions"]["q1"]["per_code"]) == {"cost", "staff"}
    assert "Reading (Krippendorff)" in result.output


def test_level_renames_the_overall_key(tmp_path):
    table = pd.DataFrame({"response_id": ["u1", "u1", "u2", "u2", "u3", "u3"], "coder": list("ababab"),
                          "code": ["1", "2", "3", "3", "5", "4"]})
    result = agreement_report(table, level="interval", bootstrap=0).result
    _keys_match(result, "interval")
    assert result["questions"]["all"]["overall"]["krippendorff_alpha_interval"] > 0.5


def test_bootstrap_is_seeded(tmp_path):
    first = agreement_report(_table(), bootstrap=200, seed=1).result
    again = agreement_report(_table(), bootstrap=200, seed=1).result
    other = agreement_report(_table(), bootstrap=200, seed=2).result
    assert first == again
    assert first != other


def test_small_sample_and_rare_code_warnings():
    table = _table()
    table = table[table["response_id"].isin([f"R{u}:q1" for u in range(10)])]
    notes = agreement_report(table, bootstrap=0).notes["questions"]["q1"]
    assert notes["warnings"][0].startswith("only 10 units were coded by two or more coders")
    assert any("only 10 units (< 30)" in w for w in notes["per_code"]["cost"]["warnings"])


def test_kappa_paradox_warning_shows_ac1():
    rows = [(f"u{u}", c, "rare" if (u == 0 or (u == 1 and c == "a")) else "")
            for u in range(60) for c in ("a", "b")]
    table = pd.DataFrame(rows, columns=["response_id", "coder", "code"])
    report = agreement_report(table, bootstrap=0)
    warning = report.notes["questions"]["all"]["per_code"]["rare"]["warnings"][0]
    ac1 = report.result["questions"]["all"]["per_code"]["rare"]["gwet_ac1"]
    assert warning.startswith("code 'rare': prevalence 2.5% is extreme (kappa paradox")
    assert f"Gwet's AC1 is {ac1:.3f}" in warning


@pytest.mark.parametrize(("args", "message"), [
    (("--level", "ordinl"), ("Error: level must be one of nominal, ordinal, interval, ratio; "
                             "got 'ordinl' (did you mean 'ordinal'?)\n")),
    (("--bootstrap", "-1"), "Error: bootstrap must be a whole number >= 0; got -1\n"),
    (("--question", "q11"), ("Error: question 'q11' has no coded units (did you mean 'q1'?); "
                             "questions in the table: q1\n")),
])
def test_cli_errors_are_one_line_exit_2(cli, tmp_path, args, message):
    source = tmp_path / "codes.csv"
    _table().to_csv(source, index=False)
    result = cli("agreement", source, *args)
    assert result.exit_code == 2
    assert result.output.endswith(message)


def test_one_coder_is_an_agreement_error(cli, tmp_path):
    source = tmp_path / "codes.csv"
    _table().query("coder == 'a@x.org'").to_csv(source, index=False)
    result = cli("agreement", source)
    assert result.exit_code == 2
    assert result.output.endswith(
        "Error: no agreement to compute: q1: only one coder (a@x.org); agreement needs two or "
        "more\n")


def test_ordinal_needs_numeric_codes():
    table = pd.DataFrame({"response_id": ["u1", "u1", "u2", "u2"], "coder": list("abab"),
                          "code": ["low", "high", "low", "low"]})
    with pytest.raises(AgreementError, match="code 'high' is not a number"):
        agreement_report(table, level="ordinal")


def test_model_vs_human():
    table = _table()
    model = table[table["coder"] == "a@x.org"].assign(coder="model", source="model")
    model.loc[model.index[:5], "code"] = "staff"
    data = model_vs_human(pd.concat([table, model]), bootstrap=0)
    q = data["questions"]["q1"]
    assert q["model_coders"] == ["model"] and q["human_coders"] == ["a@x.org", "b@x.org"]
    assert [p["coders"] for p in q["model_pairs"]] == [["model", "a@x.org"], ["model", "b@x.org"]]
    assert [p["coders"] for p in q["human_pairs"]] == [["a@x.org", "b@x.org"]]
    assert list(q["model_pairs"][0]) == DESIGN_QUESTION_KEYS
    assert q["summary"]["model_human"]["n_pairs"] == 2
    with pytest.raises(AgreementError, match="no model suggestions"):
        model_vs_human(table)


def test_cli_writes_agreement_model_json_from_assignments(cli, tmp_path):
    source = tmp_path / "codes.csv"
    _table().to_csv(source, index=False)
    assignments = tmp_path / "assignments.csv"
    pd.DataFrame({"response_id": [f"R{u}:q1" for u in range(40)], "question": "q1",
                  "theme_id": ["cost" if u % 2 else "unassigned" for u in range(40)],
                  "score": 0.5}).to_csv(assignments, index=False)
    out = tmp_path / "agreement.json"
    result = cli("agreement", source, "--json", out, "--assignments", assignments,
                 "--bootstrap", "0")
    assert result.exit_code == 0, result.output
    model = json.loads((tmp_path / "agreement_model.json").read_text())
    assert model["questions"]["q1"]["model_coders"] == ["model"]
    assert "model vs human, q1" in result.output
    assert list(json.loads(out.read_text())["questions"]["q1"]["coders"]) == ["a@x.org", "b@x.org"]


def test_disagreements_table():
    frame = disagreements(_table())
    assert frame.columns.tolist() == ["response_id", "question", "text", "disputed",
                                      "a@x.org codes", "a@x.org memo", "b@x.org codes",
                                      "b@x.org memo"]
    first = frame.iloc[0]
    assert first["response_id"] == "R0:q1"
    assert (first["a@x.org codes"], first["b@x.org codes"]) == ("cost", "staff")
    assert first["disputed"] == "cost; staff" and first["a@x.org memo"] == "note"


@pytest.fixture
def project(tmp_path, sample_dir, repo_root):
    folder = tmp_path / "proj"
    folder.mkdir()
    shutil.copy(sample_dir / "survey.csv", folder / "survey.csv")
    toml = (sample_dir / "themeloop.toml").read_text()
    toml = toml.replace('annotations = "../../annotations/innovation-survey"',
                        'annotations = "annotations"')
    (folder / "themeloop.toml").write_text(toml + "\n[agreement]\nbootstrap = 100\n")
    (folder / "annotations").mkdir()
    shutil.copy(repo_root / "annotations" / "innovation-survey" / "coding_table.csv",
                folder / "annotations" / "coding_table.csv")
    return folder


def test_project_mode_on_the_sample_coding_table(cli, project):
    result = cli("agreement", "--project", project, "--disagreements", project / "out" / "dis.csv")
    assert result.exit_code == 0, result.output
    out = project / "out"
    data = json.loads((out / "agreement.json").read_text())
    _keys_match(data)
    assert sorted(data["questions"]) == ["barriers", "practice", "radical"]
    for block in data["questions"].values():
        assert block["n_units"] == 41
        assert 0.6 < block["overall"]["krippendorff_alpha_masi"] <= 1.0
    manifest = json.loads((out / "agreement.manifest.json").read_text())
    assert set(manifest["outputs"]) == {"out/agreement.json", "out/agreement_notes.json",
                                        "out/dis.csv"}
    assert manifest["seeds"] == {"bootstrap": 42} and manifest["config"]["bootstrap"] == 100
    dis = pd.read_csv(out / "dis.csv", keep_default_na=False)
    assert len(dis) > 0 and (dis["text"] != "").all()


def test_project_without_coding_table(cli, project):
    (project / "annotations" / "coding_table.csv").unlink()
    result = cli("agreement", "--project", project)
    assert result.exit_code == 2
    assert result.output.endswith("coding_table.csv: no coding table; code the answers in "
                                  "Label Studio and run 'themeloop pull'\n")
