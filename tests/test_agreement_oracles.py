"""Published agreement values, reproduced through `themeloop agreement FILE --json`."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from tests._coding_fixtures import expected, fleiss_1971, krippendorff_2011, sas_cohen


def _run(cli, tmp_path, table: pd.DataFrame, *args: str) -> dict:
    source = tmp_path / "codes.csv"
    table.to_csv(source, index=False)
    out = tmp_path / "agreement.json"
    result = cli("agreement", source, "--json", out, "--csv", tmp_path / "flat.csv", *args)
    assert result.exit_code == 0, result.output
    return json.loads(out.read_text())


@pytest.mark.parametrize("level", ["nominal", "ordinal", "interval", "ratio"])
def test_krippendorff_2011_all_levels(cli, tmp_path, level):
    data = _run(cli, tmp_path, krippendorff_2011(), "--level", level, "--bootstrap", "0")
    block = data["questions"]["rating"]
    assert block["n_units"] == 11  # unit 12 has a single observer: not pairable
    assert block["coders"] == ["A", "B", "C", "D"]
    want = expected()["krippendorff2011_4obs_12units.csv"]["expected"][f"alpha_{level}"]
    assert round(block["overall"][f"krippendorff_alpha_{level}"], 3) == want


def test_fleiss_1971_diagnoses(cli, tmp_path):
    data = _run(cli, tmp_path, fleiss_1971(), "--bootstrap", "0")
    overall = data["questions"]["diagnosis"]["overall"]
    want = expected()["fleiss1971_diagnoses_30x6_raw.csv"]["expected"]["fleiss_kappa"]
    assert round(overall["fleiss_kappa"], 3) == round(want, 3) == 0.430
    assert overall["krippendorff_alpha_nominal"] == pytest.approx(0.4334, abs=5e-5)
    per_code = data["questions"]["diagnosis"]["per_code"]
    assert all(v["cohen_kappa"] is None for v in per_code.values())  # six coders


def test_sas_cohen_kappa(cli, tmp_path):
    data = _run(cli, tmp_path, sas_cohen(), "--bootstrap", "0")
    assert list(data["questions"]) == ["all"]  # no question column
    notes = json.loads((tmp_path / "agreement_notes.json").read_text())
    want = expected()["cohen_sas_3x3_table.csv"]["expected"]["cohen_kappa"]
    assert round(notes["questions"]["all"]["cohen_kappa"], 3) == round(want, 3) == 0.484
    flat = pd.read_csv(tmp_path / "flat.csv")
    overall = flat[flat["code"] == "(overall)"].iloc[0]
    assert round(overall["cohen_kappa"], 3) == 0.484


def test_sas_per_code_cohen_matches_sklearn(cli, tmp_path):
    from sklearn.metrics import cohen_kappa_score

    table = sas_cohen()
    data = _run(cli, tmp_path, table, "--bootstrap", "0")
    wide = table.pivot(index="response_id", columns="coder", values="code")
    for code, stats in data["questions"]["all"]["per_code"].items():
        want = cohen_kappa_score(wide["r1"] == code, wide["r2"] == code)
        assert stats["cohen_kappa"] == pytest.approx(want, abs=1e-6)


def test_binary_alpha_matches_krippendorff_package(tmp_path):
    import krippendorff

    from themeloop.agreement import compute_agreement

    table = krippendorff_2011()
    result = compute_agreement(table, bootstrap=0)["questions"]["rating"]["per_code"]
    wide = table.pivot(index="coder", columns="response_id", values="code")
    for code, stats in result.items():
        data = np.where(wide.isna(), np.nan, (wide == code).astype(float))
        want = krippendorff.alpha(reliability_data=data, level_of_measurement="nominal")
        assert stats["krippendorff_alpha"] == pytest.approx(want, abs=1e-6)
