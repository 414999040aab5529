"""The coefficient family through `themeloop agreement`: published values, options, errors.

Sources are named per test; the data live in tests/data/irr_oracles (see SOURCE.txt and
irrcac_expected.json there).
"""

from __future__ import annotations

import inspect
import json

import numpy as np
import pandas as pd
import pytest
from tests._coding_fixtures import ORACLES, expected, fleiss_1971, krippendorff_2011, sas_cohen

from themeloop.agreement import cac
from themeloop.agreement.benchmarks import benchmark, membership, reading
from themeloop.agreement.weights import weight_matrix


def _raw_table(name: str, question: str = "q") -> pd.DataFrame:
    """An irrCAC raw-ratings file (units x raters, empty = missing) as a coding table."""
    wide = pd.read_csv(ORACLES / name, dtype=str, keep_default_na=False)
    wide = wide.drop(columns=[c for c in ("group",) if c in wide.columns])
    long = wide.melt(id_vars="unit", var_name="coder", value_name="code")
    long = long[long["code"] != ""]
    return pd.DataFrame({"response_id": "u" + long["unit"], "question": question,
                         "coder": long["coder"], "code": long["code"]})


def _run(cli, tmp_path, table: pd.DataFrame, *args: str) -> dict:
    source = tmp_path / "codes.csv"
    table.to_csv(source, index=False)
    out = tmp_path / "agreement.json"
    result = cli("agreement", source, "--json", out, "--bootstrap", "0", *args)
    assert result.exit_code == 0, result.output
    return json.loads(out.read_text())


# The issue's four mismatches: Fleiss' kappa where raters skipped units. irrCAC (Gwet 2014)
# publishes 0.761 (raw_4raters), 0.458 (raw_5observers) and 0.657 (raw_g1g2); the old
# complete-case rule gave 0.641, null (one unit rated by all five) and 0.507.
@pytest.mark.parametrize(("name", "gwet", "complete"), [
    ("irrcac_raw_4raters.csv", 0.761, 0.641),
    ("irrcac_raw_5observers.csv", 0.458, None),
    ("irrcac_raw_g1g2.csv", 0.657, 0.507),
])
def test_fleiss_with_missing_ratings_is_irrcacs(cli, tmp_path, name, gwet, complete):
    data = _run(cli, tmp_path, _raw_table(name))
    block = data["questions"]["q"]
    assert round(block["overall"]["fleiss_kappa"], 3) == gwet
    assert round(block["coefficients"]["fleiss_kappa"]["estimate"], 3) == gwet
    old = _run(cli, tmp_path, _raw_table(name), "--complete-cases")["questions"]["q"]
    value = old["overall"]["fleiss_kappa"]
    assert (None if value is None else round(value, 3)) == complete
    assert old["coefficients"]["missing"] == "complete_cases"
    notes = json.loads((tmp_path / "agreement_notes.json").read_text())["questions"]["q"]
    assert any("--complete-cases" in w for w in notes["warnings"])


def test_missing_ratings_note_explains_the_difference(tmp_path):
    from themeloop.agreement import agreement_report

    notes = agreement_report(_raw_table("irrcac_raw_4raters.csv"), bootstrap=0).notes
    note = next(w for w in notes["questions"]["q"]["warnings"] if "Gwet" in w)
    assert note.startswith("3 of the 11 units coded by two or more coders were not coded by "
                           "every coder; every coefficient uses all 11 (Gwet's formulas")
    assert "--complete-cases keeps only the 8 units every coder coded" in note


def test_raw_4raters_family_through_the_cli(cli, tmp_path):
    """irrCAC's documented raw_4raters values (Gwet 2014): pa .818, AC1 .775 (SE .143),
    Fleiss .761, Conger .763, Brennan-Prediger .773, Krippendorff .743.

    Krippendorff's alpha is 0.743 (Krippendorff 2011; irrCAC's own tests agree), not the 0.7664
    quoted in the brief for this issue: the published value wins.
    """
    fam = _run(cli, tmp_path, _raw_table("irrcac_raw_4raters.csv"))["questions"]["q"][
        "coefficients"]
    got = {k: round(v["estimate"], 3) for k, v in fam.items() if isinstance(v, dict)}
    assert got == {"percent_agreement": 0.818, "fleiss_kappa": 0.761, "conger_kappa": 0.763,
                   "gwet_ac1": 0.775, "gwet_ac2": 0.775, "brennan_prediger": 0.773,
                   "krippendorff_alpha": 0.743}
    assert round(fam["gwet_ac1"]["se"], 3) == 0.143
    assert [round(v, 3) for v in fam["gwet_ac1"]["ci95"]] == [0.461, 1.0]
    assert fam["categories"] == ["1", "2", "3", "4", "5"]  # no "(no code)": everyone coded


@pytest.mark.parametrize(("weights", "ac2", "fleiss"), [
    ("quadratic", 0.914, 0.865), ("linear", 0.859, 0.818), ("ordinal", 0.899, 0.850),
    ("radical", 0.820, 0.790), ("ratio", 0.857, 0.821), ("circular", 0.830, 0.807),
    ("bipolar", 0.900, 0.853),
])
def test_weights_option_gives_irrcacs_weighted_values(cli, tmp_path, weights, ac2, fleiss):
    """irrCAC raw_4raters, weighted (irrCAC test suite, see irrcac_expected.json)."""
    fam = _run(cli, tmp_path, _raw_table("irrcac_raw_4raters.csv"),
               "--weights", weights)["questions"]["q"]["coefficients"]
    assert fam["weights"] == weights
    assert round(fam["gwet_ac2"]["estimate"], 3) == ac2
    assert round(fam["fleiss_kappa"]["estimate"], 3) == fleiss
    assert round(fam["gwet_ac1"]["estimate"], 3) == 0.775  # AC1 stays unweighted


def test_custom_weight_matrix_file(cli, tmp_path):
    """irrCAC test suite, raw_4raters with a custom (asymmetric) matrix: Conger .763, BP .773."""
    fam = _run(cli, tmp_path, _raw_table("irrcac_raw_4raters.csv"), "--weights",
               str(ORACLES / "irrcac_custom_weights_5x5.csv"))["questions"]["q"]["coefficients"]
    assert fam["weights"] == "custom"
    assert round(fam["conger_kappa"]["estimate"], 3) == 0.763
    assert round(fam["brennan_prediger"]["pe"], 3) == 0.500


def test_coefficients_option_selects(cli, tmp_path):
    data = _run(cli, tmp_path, _raw_table("irrcac_raw_4raters.csv"),
                "--coefficients", "ac1,conger")
    fam = data["questions"]["q"]["coefficients"]
    assert [k for k, v in fam.items() if isinstance(v, dict)] == ["conger_kappa", "gwet_ac1"]
    per_code = data["questions"]["q"]["per_code"]["1"]["coefficients"]
    assert [k for k, v in per_code.items() if isinstance(v, dict)] == ["conger_kappa",
                                                                       "gwet_ac1"]


@pytest.mark.parametrize(("args", "message"), [
    (("--coefficients", "ac3"), "Error: unknown coefficient 'ac3' (did you mean 'ac2'?); "
                                "choose from percent_agreement, cohen_kappa, scott_pi, "),
    (("--weights", "quadratc"), "Error: weights must be one of identity, quadratic, linear, "
                                "ordinal, radical, ratio, circular, bipolar or a CSV file of a q "
                                "x q matrix; got 'quadratc' (did you mean 'quadratic'?)\n"),
    (("--weights", "missing.csv"), "Error: missing.csv: no such weights file; give a CSV of a "
                                   "q x q matrix or one of identity, quadratic, linear, ordinal, "
                                   "radical, ratio, circular, bipolar\n"),
])
def test_option_errors_are_one_line_exit_2(cli, tmp_path, args, message):
    source = tmp_path / "codes.csv"
    _raw_table("irrcac_raw_4raters.csv").to_csv(source, index=False)
    result = cli("agreement", source, *args)
    assert result.exit_code == 2
    assert message in result.output and result.output.count("\n") == 1


def test_wrong_size_custom_matrix(cli, tmp_path):
    weights = tmp_path / "w.csv"
    weights.write_text("1,0\n0,1\n")
    source = tmp_path / "codes.csv"
    _raw_table("irrcac_raw_4raters.csv").to_csv(source, index=False)
    result = cli("agreement", source, "--weights", str(weights))
    assert result.exit_code == 2
    assert result.output.endswith("Error: --weights: the weight matrix must be 5 x 5 (one row and "
                                  "column per category); got 2 x 2\n")


def test_ratings_table_reproduces_wikipedia_fleiss(cli, tmp_path):
    """Wikipedia's Fleiss' kappa example (10 subjects x 14 raters, as counts): 0.210."""
    out = tmp_path / "agreement.json"
    result = cli("agreement", "--ratings-table", ORACLES / "wikipedia_fleiss_10subjects_counts.csv",
                 "--json", out)
    assert result.exit_code == 0, result.output
    block = json.loads(out.read_text())["questions"]["all"]
    want = expected()["wikipedia_fleiss_10subjects_counts.csv"]["expected"]["fleiss_kappa"]
    assert round(block["overall"]["fleiss_kappa"], 3) == round(want, 3) == 0.210
    assert round(block["coefficients"]["fleiss_kappa"]["estimate"], 3) == 0.210
    assert "conger_kappa" not in block["coefficients"]  # needs who rated what
    assert "fleiss_kappa" in result.output and "Landis-Koch" in result.output


def test_ratings_table_errors(cli, tmp_path):
    bad = tmp_path / "counts.csv"
    bad.write_text("a,b\n1,2\n1,x\n")
    result = cli("agreement", "--ratings-table", bad)
    assert result.exit_code == 2
    assert result.output.endswith(f"Error: {bad}, row 3, column 'b': 'x' is not a count of coders "
                                  "(a whole number >= 0)\n")


def test_fleiss_1971_through_the_family():
    """Fleiss (1971) diagnoses, R irr::kappam.fleiss 0.4302 (statsmodels' tests)."""
    from themeloop.agreement import compute_agreement

    fam = compute_agreement(fleiss_1971(), bootstrap=0)["questions"]["diagnosis"]["coefficients"]
    assert round(fam["fleiss_kappa"]["estimate"], 4) == 0.4302


def test_krippendorff_2011_through_gwets_formula():
    """Krippendorff (2011): nominal .743, interval .849, ratio .797 are Gwet's alpha with
    identity, quadratic and ratio weights. Krippendorff's ordinal metric gives .815 (the
    ``--level ordinal`` path, test_agreement_oracles.py); irrCAC's ordinal *weights* define
    a different distance and give .834 (irrCAC's tests) -- both published, for different things.
    """
    from themeloop.agreement import compute_agreement

    want = expected()["krippendorff2011_4obs_12units.csv"]["expected"]
    for weights, key in [("identity", "alpha_nominal"), ("quadratic", "alpha_interval"),
                         ("ratio", "alpha_ratio")]:
        fam = compute_agreement(krippendorff_2011(), bootstrap=0, weights=weights)
        got = fam["questions"]["rating"]["coefficients"]["krippendorff_alpha"]["estimate"]
        assert round(got, 3) == want[key]
    fam = compute_agreement(krippendorff_2011(), bootstrap=0, weights="ordinal")
    assert round(fam["questions"]["rating"]["coefficients"]["krippendorff_alpha"]["estimate"],
                 3) == 0.834


def test_sas_cohen_kappa_se_and_weighted():
    """SAS PROC FREQ (statsmodels' tests): kappa .4842, ASE .1380, 95% CI .2137-.7547;
    linear-weighted .4701, ASE .1457, CI .1845-.7558.

    Gwet's variance (irrCAC, used here) divides by n - 1; SAS's asymptotic SE by n, and SAS's
    interval is normal (z), irrCAC's Student t. Rescaled by sqrt((n - 1) / n) Gwet's SE is
    SAS's to four decimals, so the published numbers are reproduced exactly.
    """
    x = sas_cohen().pivot(index="response_id", columns="coder", values="code")
    ratings = np.stack([x["r1"].str[1].astype(int) - 1, x["r2"].str[1].astype(int) - 1], axis=1)
    want = expected()["cohen_sas_3x3_table.csv"]["expected"]
    n = len(ratings)
    for weights, key, se_key, ci_key in [("identity", "cohen_kappa", "ase", "ci95"),
                                         ("linear", "weighted_kappa_linear_weights_0_1_2",
                                          "weighted_ase", "weighted_ci95")]:
        est = cac.cohen_kappa(ratings, 3, weight_matrix(weights, [1, 2, 3]))
        ase = est.se * np.sqrt((n - 1) / n)
        assert round(est.value, 4) == want[key]
        assert round(ase, 4) == want[se_key]
        assert [round(est.value - 1.959964 * ase, 4), round(est.value + 1.959964 * ase, 4)] == (
            want[ci_key])


def test_bangdiwala_b_vcd_sexualfun():
    """vcd (Friendly & Meyer): agreementplot(SexualFun) gives Bangdiwala's B = 0.1465."""
    table = pd.read_csv(ORACLES / "vcd_sexualfun_4x4.csv", index_col=0).to_numpy()
    x = np.array([(i, j) for i in range(4) for j in range(4) for _ in range(table[i, j])])
    est = cac.bangdiwala_b(x, 4)
    assert round(est.value, 4) == 0.1465
    assert 0 < est.se < 0.1 and est.ci95[0] < est.value < est.ci95[1]
    perfect = cac.bangdiwala_b(np.array([[0, 0], [1, 1], [2, 2]]), 3)
    assert perfect.value == 1.0


def test_benchmark_probabilities_irrcac_example():
    """irrCAC's Benchmark docs (Gwet 2014, ch. 6): kappa 0.67, SE 0.15 on Altman's scale has
    cumulative probabilities .18168, .67511, .96356, .99912, 1 and is retained as moderate."""
    cumulative = [round(c, 5) for _, _, c in membership(0.67, 0.15, "altman")]
    assert cumulative == [0.18168, 0.67511, 0.96356, 0.99912, 1.0]
    found = benchmark(0.67, 0.15, "altman")
    assert (found["band"], found["band_95"]) == ("good", "moderate")
    assert sum(found["probabilities"].values()) == pytest.approx(1.0, abs=1e-3)
    assert reading(0.82, 0.02, "landis_koch") == (
        "almost perfect (p = 0.84) on Landis-Koch; at 95% certainty at least substantial")
    assert reading(0.95, 0.02, "landis_koch") == "almost perfect (p = 1.00) on Landis-Koch"


def test_finite_population_correction():
    x, _ = np.array([[0, 0], [1, 1], [0, 1], [1, 1], [0, 0], [1, 0], [1, 1], [0, 0]]), None
    infinite = cac.fleiss_kappa(cac.counts_from_ratings(x, 2), np.eye(2))
    finite = cac.fleiss_kappa(cac.counts_from_ratings(x, 2), np.eye(2), population=16)
    assert finite.value == infinite.value
    assert finite.se == pytest.approx(infinite.se * np.sqrt(1 - 8 / 16))


def test_complete_case_option_keeps_old_numbers_on_complete_data():
    """On data without missing ratings both rules agree (Fleiss 1971 is complete)."""
    from themeloop.agreement import compute_agreement

    gwet = compute_agreement(fleiss_1971(), bootstrap=0)["questions"]["diagnosis"]
    old = compute_agreement(fleiss_1971(), bootstrap=0, complete_cases=True)["questions"][
        "diagnosis"]
    assert gwet["overall"] == old["overall"]
    assert {c: s["fleiss_kappa"] for c, s in gwet["per_code"].items()} == pytest.approx(
        {c: s["fleiss_kappa"] for c, s in old["per_code"].items()}, abs=1e-6)


def test_csv_export_has_every_coefficient_with_se(cli, tmp_path):
    source = tmp_path / "codes.csv"
    _raw_table("irrcac_raw_4raters.csv").to_csv(source, index=False)
    result = cli("agreement", source, "--csv", tmp_path / "flat.csv", "--bootstrap", "0")
    assert result.exit_code == 0, result.output
    flat = pd.read_csv(tmp_path / "flat.csv")
    overall = flat[flat["code"] == "(overall)"].iloc[0]
    assert round(overall["fleiss_kappa_est"], 3) == 0.761
    assert round(overall["gwet_ac1_se"], 3) == 0.143
    assert overall["krippendorff_alpha_landis_koch"] == "substantial"
    code_row = flat[flat["code"] == "3"].iloc[0]
    assert {"conger_kappa_est", "conger_kappa_se", "conger_kappa_ci_low", "conger_kappa_p",
            "gwet_ac1_pa", "gwet_ac1_pe"} <= set(flat.columns)
    assert 0 <= code_row["gwet_ac1_est"] <= 1


def test_defaults_live_only_in_the_config():
    """Issue 12: no 1000 / 42 / 30 / 0.05 in the agreement signatures; the config has them."""
    from themeloop.agreement import agreement_report, compute_agreement, model_vs_human
    from themeloop.agreement.compute import defaults
    from themeloop.agreement.project import agreement_settings
    from themeloop.config import AgreementSection

    for func in (agreement_report, compute_agreement, model_vs_human, agreement_settings):
        for p in inspect.signature(func).parameters.values():
            assert p.default in (inspect.Parameter.empty, None, ("human",)), (func, p)
    cfg = AgreementSection()
    assert (cfg.bootstrap, cfg.min_units, cfg.min_prevalence) == (1000, 30, 0.05)
    assert defaults()["seed"] == 42 and agreement_settings(None)["bootstrap"] == 1000
