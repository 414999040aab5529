"""How fast is agreement at scale? (target: 100,000 units x 3 coders x 20 codes in <= 15 s)

Generates a coding table: 100,000 answers, 3 coders, 20 codes with
prevalences from 1% to 40%; each coder sees the true codes with 10% of
judgements flipped per code, and skips 5% of answers (missing ratings).
Times ``read_coding_table`` on its CSV and the whole ``compute_agreement``:
DESIGN.md's coefficients for 20 codes, MASI alpha over code sets, the full
irrCAC family (percent agreement, Fleiss, Conger, AC1, AC2, Brennan-Prediger,
Krippendorff) per code with Gwet's analytic SEs, 95% CIs, p-values and
benchmark bands, and the per-coder diagnostics (pairwise matrix, consensus,
prevalence bias, drift).

The bootstrap interval of each code's alpha is off by default here
(``--bootstrap 0``): the analytic SE gives every coefficient an interval at
no cost. ``--bootstrap 1000`` times it too (the multinomial-over-patterns
bootstrap of the agreement stage, about 1 s for 20 codes).

The baseline in the same run is the obvious approach: per code, resample
units and call ``krippendorff.alpha`` on each resample; it is timed on one
code with 20 resamples and extrapolated to 20 codes x 1,000 resamples.
Prints one JSON object as its last line.

    python bench/agreement_scale.py [--units 100000] [--coders 3] [--codes 20] [--bootstrap 0]
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from themeloop.agreement import compute_agreement
from themeloop.coding import read_coding_table


def make_table(n_units: int, n_coders: int, n_codes: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    prevalence = np.linspace(0.01, 0.40, n_codes)
    truth = rng.random((n_units, n_codes)) < prevalence
    frames = []
    for c in range(n_coders):
        seen = truth ^ (rng.random(truth.shape) < 0.10 * prevalence.max())
        coded = rng.random(n_units) >= 0.05
        unit, code = np.nonzero(seen & coded[:, None])
        empty = np.flatnonzero(coded & ~seen.any(axis=1))
        units = np.r_[unit, empty]
        codes = np.r_[np.char.add("code", code.astype(str)).astype(object),
                      np.full(len(empty), "", dtype=object)]
        frames.append(pd.DataFrame({"response_id": np.char.add("R", units.astype(str)),
                                    "question": "q1", "coder": f"coder{c}@x.org", "code": codes}))
    return pd.concat(frames, ignore_index=True)


def naive_bootstrap_seconds(table: pd.DataFrame, n_boot: int = 20) -> float:
    import krippendorff

    code = table["code"].mode().iloc[0]
    wide = table.assign(flag=table["code"] == code).groupby(["coder", "response_id"])["flag"].any()
    matrix = wide.unstack().to_numpy(dtype=float)  # coders x units, NaN = not coded
    rng = np.random.default_rng(0)
    start = time.perf_counter()
    for _ in range(n_boot):
        sample = matrix[:, rng.integers(0, matrix.shape[1], matrix.shape[1])]
        krippendorff.alpha(reliability_data=sample, level_of_measurement="nominal")
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--units", type=int, default=100_000)
    parser.add_argument("--coders", type=int, default=3)
    parser.add_argument("--codes", type=int, default=20)
    parser.add_argument("--bootstrap", type=int, default=0)
    args = parser.parse_args()

    table = make_table(args.units, args.coders, args.codes)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "coding_table.csv"
        table.to_csv(path, index=False)
        start, cpu = time.perf_counter(), time.process_time()
        loaded = read_coding_table(path)
        read_s, read_cpu = time.perf_counter() - start, time.process_time() - cpu
    compute_agreement(make_table(2000, args.coders, args.codes), bootstrap=10)  # warm-up: imports
    load_before = os.getloadavg()[0]
    start, cpu = time.perf_counter(), time.process_time()
    result = compute_agreement(loaded, bootstrap=args.bootstrap, seed=42)
    compute_s, compute_cpu = time.perf_counter() - start, time.process_time() - cpu
    block = result["questions"]["q1"]
    naive_20 = naive_bootstrap_seconds(loaded)
    naive_full = naive_20 / 20 * 1000 * args.codes
    family = block["per_code"]["code19"]["coefficients"]
    with_se = sum(1 for stats in block["per_code"].values()
                  for entry in stats["coefficients"].values()
                  if isinstance(entry, dict) and entry.get("se") is not None)
    summary = {
        "bench": "agreement_scale", "units": args.units, "coders": args.coders,
        "codes": args.codes, "rows": len(loaded), "bootstrap": args.bootstrap,
        "seconds_read_csv": round(read_s, 2), "seconds_compute_agreement": round(compute_s, 2),
        "seconds_total": round(read_s + compute_s, 2), "target_seconds": 15,
        "meets_target": read_s + compute_s <= 15,
        "cpu_seconds_read_csv": round(read_cpu, 2),
        "cpu_seconds_compute_agreement": round(compute_cpu, 2),
        "load_average_1min": round(load_before, 2), "cpu_count": os.cpu_count(),
        "coefficients_per_code": [k for k, v in family.items() if isinstance(v, dict)],
        "coefficients_with_analytic_se": with_se,
        "baseline_naive_bootstrap_1000_seconds_extrapolated": round(naive_full, 1),
        "n_units_pairable": block["n_units"],
        "krippendorff_alpha_masi": block["overall"]["krippendorff_alpha_masi"],
        "mean_krippendorff_alpha": block["overall"]["mean_krippendorff_alpha"],
        "code19_fleiss_kappa": family["fleiss_kappa"]["estimate"],
        "code19_fleiss_kappa_se": family["fleiss_kappa"]["se"],
        "code19_gwet_ac1": family["gwet_ac1"]["estimate"],
        "code19_conger_kappa": family["conger_kappa"]["estimate"],
    }
    print(f"read {read_s:.2f} s, compute_agreement {compute_s:.2f} s "
          f"(naive bootstrap would take ~{naive_full:.0f} s)")
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
