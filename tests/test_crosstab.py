"""Crosstabs: counts and % match pandas, the right test per code, Wilson CIs, disclosure control."""

from __future__ import annotations

import itertools
import math
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from scipy.special import comb

from themeloop.errors import MergeError
from themeloop.merge import build_merged, load_project_codebook
from themeloop.merge.crosstab import crosstab, suppress
from themeloop.merge.significance import freeman_halton_exact, independence_test

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO / "examples" / "innovation-survey"
TABLE = REPO / "annotations" / "innovation-survey" / "coding_table.csv"
CODER = "amira.khan@example.org"


@pytest.fixture(scope="module")
def dataset():
    from themeloop.coding import read_coding_table
    from themeloop.config import find_project
    from themeloop.survey import load_project_survey

    project = find_project(SAMPLE)
    table = read_coding_table(TABLE)
    agreed = table[table["coder"] == CODER]
    return build_merged(load_project_survey(project), agreed, load_project_codebook(project.codebook_path))


def test_sample_by_org_type_matches_a_hand_computed_pandas_crosstab(dataset):
    result = crosstab(dataset, "org_type", suppress_below=0)
    frame = dataset.frame
    groups = sorted(frame["org_type"].unique())
    assert result.groups == groups
    internal = result.internal.set_index(["question", "code"])
    for c in dataset.code_columns:
        coded = frame[frame[c.column].notna()]
        hand = pd.crosstab(coded["org_type"], coded[c.column].astype(int))
        row = internal.loc[(c.question, c.code)]
        for g in groups:
            base = int(hand.loc[g].sum()) if g in hand.index else 0
            count = int(hand.loc[g, 1]) if (g in hand.index and 1 in hand.columns) else 0
            assert row[f"{g}: n"] == count, (c.column, g)
            assert row[f"{g}: %"] == pytest.approx(100 * count / base), (c.column, g)
            assert internal.loc[(c.question, "(base)"), f"{g}: n"] == base
        assert row["all: n"] == int((coded[c.column] == 1).sum())
        low, high = __import__("statsmodels.stats.proportion", fromlist=["x"]).proportion_confint(
            row["all: n"], len(coded), alpha=0.05, method="wilson")
        assert (row["ci95_low %"], row["ci95_high %"]) == pytest.approx((100 * low, 100 * high))


def test_each_code_names_its_test_and_p_value(dataset):
    result = crosstab(dataset, "org_type", question="barriers", suppress_below=0)
    rows = result.internal[result.internal["code"] != "(base)"]
    assert len(rows) == len(dataset.columns_of("barriers"))
    base = result.internal.iloc[0]
    for _, row in rows.iterrows():
        counts = np.array([[row[f"{g}: n"], base[f"{g}: n"] - row[f"{g}: n"]] for g in result.groups])
        again = independence_test(counts)
        assert row["test"] == again.test
        assert row["test"] in {"chi-square", "Freeman-Halton exact", "not tested"}
        if row["test"] != "not tested":
            assert row["p_value"] == pytest.approx(again.p_value)
            assert 0 <= row["p_value"] <= 1
            assert (row["min_expected"] < 5) == (row["test"] == "Freeman-Halton exact")


def test_fisher_2x2_matches_scipy_and_freeman_halton_matches_enumeration():
    table = np.array([[1, 9], [6, 4]])
    result = independence_test(table)
    assert result.test == "Fisher exact"
    assert result.p_value == pytest.approx(stats.fisher_exact(table).pvalue)
    table = np.array([[1, 4], [3, 2], [4, 1]])
    rows, first, n = table.sum(axis=1), table[:, 0].sum(), table.sum()

    def prob(x):
        return np.prod([comb(r, k) for r, k in zip(rows, x)]) / comb(n, first)

    observed = prob(table[:, 0])
    tables = [x for x in itertools.product(*(range(r + 1) for r in rows)) if sum(x) == first]
    brute = sum(prob(x) for x in tables if prob(x) <= observed * (1 + 1e-7))
    assert freeman_halton_exact(table)[1] == pytest.approx(brute)
    assert independence_test(table).test == "Freeman-Halton exact"


def test_chi_square_when_expected_counts_are_large():
    table = np.array([[30, 70], [45, 55], [50, 50]])
    result = independence_test(table)
    chi2, p, _, _ = stats.chi2_contingency(table)
    assert (result.test, result.statistic, result.p_value) == ("chi-square", pytest.approx(chi2), pytest.approx(p))
    assert independence_test(np.array([[30, 70], [45, 55]])).test == "chi-square (Yates)"


def test_no_variation_is_not_tested():
    assert independence_test(np.array([[0, 5], [0, 7]])).test == "not tested"
    assert math.isnan(independence_test(np.array([[2, 5]])).p_value)


def test_huge_sparse_tables_use_a_seeded_monte_carlo():
    table = np.array([[40, 950], [30, 4000], [40, 3000], [20, 9000], [3, 30000], [0, 30]])
    first, second = independence_test(table, 7), independence_test(table, 7)
    assert first.test.startswith("Freeman-Halton Monte Carlo") and "seed 7" in first.test
    assert first.p_value == second.p_value


def test_suppression_hides_small_cells_and_their_complement():
    internal = pd.DataFrame([{"question": "q", "code": "c", "label": "C", "a: n": 3, "a: %": 30.0,
                              "b: n": 12, "b: %": 40.0, "d: n": 20, "d: %": 50.0, "all: n": 35,
                              "all: %": 43.75, "ci95_low %": 33.0, "ci95_high %": 55.0,
                              "test": "chi-square", "statistic": 1.0, "p_value": 0.5,
                              "min_expected": 4.0}])
    out = suppress(internal, ["a", "b", "d"], 5).iloc[0]
    assert out["a: n"] == "<5" and pd.isna(out["a: %"])
    assert out["b: n"] == "<5" and pd.isna(out["b: %"])  # else a = 35 - 12 - 20
    assert out["d: n"] == 20 and out["all: n"] == 35
    assert "min_expected" not in out.index
    assert suppress(internal, ["a", "b", "d"], 0).iloc[0]["a: n"] == 3
    base = internal.assign(code="(base)")
    out = suppress(base, ["a", "b", "d"], 5).iloc[0]
    assert (out["a: n"], out["b: n"], out["d: n"]) == ("<5", 12, 20)  # bases: primary only
    assert suppress(internal, ["a", "b", "d"], 50).iloc[0]["all: n"] == "<50"


def test_published_never_shows_a_count_below_the_threshold(dataset):
    result = crosstab(dataset, "org_type", suppress_below=5)
    published = result.published()
    for g in [*result.groups, "all"]:
        shown = [v for v in published[f"{g}: n"] if v != "<5"]
        assert all(int(v) >= 5 for v in shown), g
    assert (published.values == "<5").any()


def test_too_many_groups(dataset, monkeypatch):
    import themeloop.merge.crosstab as module

    monkeypatch.setattr(module, "MAX_GROUPS", 40)
    with pytest.raises(MergeError) as err:
        crosstab(dataset, "org_id")
    assert str(err.value) == ("--by: column 'org_id' has 41 distinct values; a crosstab needs a "
                              "grouping attribute with at most 40 (recode it into bands first)")


def test_errors(dataset):
    with pytest.raises(MergeError, match=r"^--by: no column 'org_tpye' in the survey \(did you mean 'org_type'\?\)$"):
        crosstab(dataset, "org_tpye")
    with pytest.raises(MergeError, match="^--question: unknown question 'barrier' "):
        crosstab(dataset, "org_type", question="barrier")
    with pytest.raises(MergeError, match="^--suppress-below must be 0 or more, got -1$"):
        crosstab(dataset, "org_type", suppress_below=-1)


@pytest.fixture
def project_copy(tmp_path):
    folder = tmp_path / "proj"
    shutil.copytree(SAMPLE, folder, ignore=shutil.ignore_patterns("out", ".themeloop"))
    table = pd.read_csv(TABLE, dtype=str, keep_default_na=False)
    (folder / "out").mkdir()
    table[table["coder"] == CODER].to_csv(folder / "out" / "agreed.csv", index=False)
    return folder


def test_cli_crosstab_writes_published_and_internal_files(cli, project_copy):
    result = cli("crosstab", "-p", project_copy, "--by", "org_type", "--question", "barriers")
    assert result.exit_code == 0, result.output
    assert "barriers by org_type (cells below 5 shown as <5)" in result.stdout
    assert "FH exact" in result.stdout and "FH exact = Freeman-Halton exact" in result.stdout
    out = project_copy / "out"
    published = pd.read_csv(out / "crosstab_org_type.csv", dtype=str, keep_default_na=False)
    internal = pd.read_csv(out / "crosstab_org_type__INTERNAL_unsuppressed.csv", dtype=str,
                           keep_default_na=False)
    assert (published.values == "<5").any() and not (internal.values == "<5").any()
    assert {"test", "p_value", "all: n", "ci95_low %"} <= set(published.columns)
    xlsx = pd.read_excel(out / "crosstab_org_type.xlsx", sheet_name=None)
    assert set(xlsx) == {"crosstab", "notes"}
    assert (out / "crosstab_org_type.manifest.json").is_file()


def test_cli_crosstab_suppression_off_and_from_config(cli, project_copy):
    assert cli("crosstab", "-p", project_copy, "--suppress-below", "0").exit_code == 0
    published = pd.read_csv(project_copy / "out" / "crosstab_org_type.csv", dtype=str)
    assert not (published.values == "<5").any()


def test_cli_crosstab_unknown_attribute(cli, project_copy):
    result = cli("crosstab", "-p", project_copy, "--by", "org_tpye")
    assert result.exit_code == 2
    assert result.stderr == "Error: --by: no column 'org_tpye' in the survey (did you mean 'org_type'?)\n"


def test_crosstab_csv_neutralises_group_names(tmp_path):
    from themeloop.codebook import Codebook
    from themeloop.merge.project import write_crosstab
    from themeloop.survey import Question, load_survey

    path = tmp_path / "s.csv"
    pd.DataFrame({"id": ["1", "2"], "g": ["=cmd()", "b"], "t": ["money", "time"]}).to_csv(path, index=False)
    survey = load_survey(path, id_column="id", questions=[Question("q", "t")], attributes=["g"])
    agreed = pd.DataFrame({"response_id": ["1:q", "2:q"], "question": "q", "coder": "x", "code": ["c", ""]})
    merged = build_merged(survey, agreed, Codebook(questions={"q": {"codes": [{"id": "c", "label": "=C"}]}}))
    paths = write_crosstab(crosstab(merged, "g", suppress_below=0), tmp_path / "out")
    text = paths["csv"].read_text(encoding="utf-8")
    assert "'=cmd(): n" in text and "'=C" in text
