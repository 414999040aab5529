"""Per-coder diagnostics: pairwise matrix, consensus, prevalence bias, drift."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from themeloop.agreement import agreement_report


def _three_coders(n: int = 120, seed: int = 0) -> pd.DataFrame:
    """a and b code the truth; c over-applies 'cost' and drifts on 'staff' late in time."""
    rng = np.random.default_rng(seed)
    cost = rng.random(n) < 0.3
    staff = rng.random(n) < 0.3
    rows = []
    for u in range(n):
        for coder in ("a@x.org", "b@x.org", "c@x.org"):
            has_cost, has_staff = cost[u], staff[u]
            if coder == "c@x.org":
                has_cost = has_cost or rng.random() < 0.4
                if u >= n // 2:
                    has_staff = rng.random() < 0.5  # later answers: c codes staff at random
            stamp = pd.Timestamp("2024-01-01", tz="UTC") + pd.Timedelta(minutes=u)
            codes = [c for c, on in (("cost", has_cost), ("staff", has_staff)) if on] or [""]
            rows += [(f"R{u}", "q1", coder, c, stamp.strftime("%Y-%m-%dT%H:%M:%SZ"))
                     for c in codes]
    return pd.DataFrame(rows, columns=["response_id", "question", "coder", "code", "timestamp"])


@pytest.fixture(scope="module")
def report():
    return agreement_report(_three_coders(), bootstrap=0)


def test_pairwise_matrix_is_symmetric_with_known_pairs(report):
    pair = report.result["questions"]["q1"]["diagnostics"]["pairwise"]
    assert pair["coders"] == ["a@x.org", "b@x.org", "c@x.org"]
    kappa = np.array(pair["cohen_kappa"], dtype=float)
    assert np.allclose(kappa, kappa.T) and np.allclose(np.diag(kappa), 1.0)
    assert kappa[0, 1] == 1.0  # a and b code identically
    assert kappa[0, 2] < 0.7 and kappa[0, 2] == kappa[1, 2]
    assert pair["n_units"][0][1] == 120


def test_pairwise_kappa_matches_sklearn_per_code(report):
    from sklearn.metrics import cohen_kappa_score

    table = _three_coders()
    wide = {c: set(map(tuple, g[["response_id", "code"]].to_numpy()))
            for c, g in table.groupby("coder")}
    units = [f"R{u}" for u in range(120)]
    kappas = []
    for code in ("cost", "staff"):
        a = [(u, code) in wide["a@x.org"] for u in units]
        c = [(u, code) in wide["c@x.org"] for u in units]
        kappas.append(cohen_kappa_score(a, c))
    pair = report.result["questions"]["q1"]["diagnostics"]["pairwise"]
    assert pair["cohen_kappa"][0][2] == pytest.approx(np.mean(kappas), abs=1e-6)


def test_consensus_and_prevalence_name_the_deviating_coder(report):
    diag = report.result["questions"]["q1"]["diagnostics"]
    consensus = diag["consensus"]
    assert consensus["a@x.org"]["cohen_kappa"] > consensus["c@x.org"]["cohen_kappa"]
    cost = diag["prevalence"]["c@x.org"]["per_code"]["cost"]
    assert cost["flag"] and cost["difference"] > 0.2
    assert not diag["prevalence"]["a@x.org"]["per_code"]["staff"]["flag"]
    findings = report.notes["questions"]["q1"]["deviations"]
    assert any(f.startswith("c@x.org applies 'cost' more often than the other coders") for f in
               findings)


def test_drift_by_batch_in_coding_order(report):
    drift = report.result["questions"]["q1"]["diagnostics"]["drift"]
    batches = drift["batches"]
    assert [b["batch"] for b in batches] == [1, 2, 3, 4, 5]
    assert sum(b["n_units"] for b in batches) == 120
    assert batches[0]["from"] == "2024-01-01T00:00:00Z"
    assert batches[-1]["krippendorff_alpha"] < batches[0]["krippendorff_alpha"]
    c_rows = drift["per_coder"]["c@x.org"]
    assert c_rows[-1]["agreement_with_others"] < c_rows[0]["agreement_with_others"]
    assert all(r["agreement_with_others"] == 1.0 for r in drift["per_coder"]["a@x.org"][:2])


def test_drift_is_none_without_timestamps():
    table = _three_coders().drop(columns="timestamp")
    diag = agreement_report(table, bootstrap=0).result["questions"]["q1"]["diagnostics"]
    assert diag["drift"] is None and diag["pairwise"]["coders"]


def test_drift_batches_setting(report):
    table = _three_coders()
    diag = agreement_report(table, bootstrap=0, drift_batches=3).result["questions"]["q1"][
        "diagnostics"]
    assert len(diag["drift"]["batches"]) == 3


def test_sample_coding_table_has_timestamps_and_drift(repo_root):
    from themeloop.coding import read_coding_table

    table = read_coding_table(repo_root / "annotations" / "innovation-survey" /
                              "coding_table.csv")
    assert table["timestamp"].str.match(r"\d{4}-\d\d-\d\dT").all()
    report = agreement_report(table, bootstrap=0)
    for qid, block in report.result["questions"].items():
        drift = block["diagnostics"]["drift"]
        assert len(drift["batches"]) == 5, qid
        assert set(drift["per_coder"]) == set(block["coders"])
        assert report.notes["questions"][qid]["deviations"]  # names a coder and a code


def test_report_section_shows_coders(repo_root):
    from themeloop.coding import read_coding_table
    from themeloop.report.reliability import agreement_section

    table = read_coding_table(repo_root / "annotations" / "innovation-survey" /
                              "coding_table.csv")
    report = agreement_report(table, bootstrap=0)
    block = report.result["questions"]["barriers"]
    section = agreement_section(block, label=lambda c: c.upper(), title="t",
                                notes=report.notes["questions"]["barriers"])
    d = section.diagnostics
    assert d.coders == block["coders"] and len(d.pairwise) == 2
    assert [r.coder for r in d.consensus] == block["coders"]
    assert len(d.drift) == 5 and d.drift[0].period.startswith("2021-02-")
    assert d.codes[0] == d.codes[0].upper()
    assert any("\u201c" in f for f in d.findings)  # code labels, quoted
    row = section.rows[0]
    assert row.band.endswith("on Landis-Koch") or "Landis-Koch;" in row.band
    assert "on Landis-Koch" in row.reading
