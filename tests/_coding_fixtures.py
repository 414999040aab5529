"""Turn the published agreement examples in tests/data/irr_oracles into coding tables."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

ORACLES = Path(__file__).parent / "data" / "irr_oracles"


def expected() -> dict:
    return json.loads((ORACLES / "expected_values.json").read_text())


def krippendorff_2011() -> pd.DataFrame:
    """4 observers x 12 units, values 1..5, empty = the observer did not code the unit."""
    wide = pd.read_csv(ORACLES / "krippendorff2011_4obs_12units.csv")
    long = wide.melt(id_vars="unit", var_name="coder", value_name="value").dropna()
    return pd.DataFrame({"response_id": long["unit"], "question": "rating",
                         "coder": long["coder"], "code": long["value"].astype(int).astype(str)})


def fleiss_1971() -> pd.DataFrame:
    """30 patients x 6 raters, diagnosis 1..5."""
    wide = pd.read_csv(ORACLES / "fleiss1971_diagnoses_30x6_raw.csv")
    long = wide.melt(id_vars="subject", var_name="coder", value_name="value")
    return pd.DataFrame({"response_id": "p" + long["subject"].astype(str),
                         "question": "diagnosis", "coder": long["coder"],
                         "code": "d" + long["value"].astype(str)})


def sas_cohen() -> pd.DataFrame:
    """The SAS PROC FREQ 3x3 table expanded to one unit per counted pair."""
    table = pd.read_csv(ORACLES / "cohen_sas_3x3_table.csv", index_col=0).to_numpy()
    rows, unit = [], 0
    for i in range(3):
        for j in range(3):
            for _ in range(int(table[i, j])):
                unit += 1
                rows.append((f"u{unit:02d}", "r1", f"c{i + 1}"))
                rows.append((f"u{unit:02d}", "r2", f"c{j + 1}"))
    return pd.DataFrame(rows, columns=["response_id", "coder", "code"])  # no question column
