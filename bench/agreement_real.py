"""Agreement on real coder data: LeWiDi 2023 HS-Brexit (6 coders on all 1,120 tweets, 3 codes).

Turns the three binary judgements of each annotator (hate speech, aggressive,
offensive) into a coding table (one row per code applied, an empty code when
an annotator applied none; the 3 stray "No" strings count as 0), runs
``compute_agreement`` on it, and beside it, as a baseline in the same run,
calls statsmodels' ``fleiss_kappa`` and ``krippendorff.alpha`` directly on the
items x annotators matrix of each code. Prints one JSON object as its last line.

    python bench/agreement_real.py --data ../shared/data/lewidi2023_hs_brexit
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import pandas as pd

from themeloop.agreement import agreement_report

CODES = {"hate_speech": None, "aggressive": "aggressive language detection",
         "offensive": "offensive language detection"}
PUBLISHED = {"hate_speech": 0.347, "aggressive": 0.299}  # SOURCE.txt, computed by the data's curator


def load(folder: Path) -> tuple[pd.DataFrame, dict[str, np.ndarray], int]:
    rows, matrices, stray = [], {c: [] for c in CODES}, 0
    for split in ("train", "dev", "test"):
        data = json.loads((folder / f"HS-Brexit_{split}.json").read_text(encoding="utf-8"))
        for item_id, item in data.items():
            annotators = item["annotators"].split(",")
            judged: dict[str, list[str]] = {a: [] for a in annotators}
            for code, key in CODES.items():
                raw = item["annotations"] if key is None else item["other_info"]["other annotations"][key]
                values = raw.split(",")
                stray += sum(v not in ("0", "1") for v in values)
                flags = [v == "1" for v in values]  # the 3 stray "No" strings are 0
                matrices[code].append(flags)
                for annotator, flag in zip(annotators, flags):
                    if flag:
                        judged[annotator].append(code)
            for annotator, codes in judged.items():
                for code in codes or [""]:
                    rows.append((f"{split}-{item_id}", "hs_brexit", annotator, code))
    table = pd.DataFrame(rows, columns=["response_id", "question", "coder", "code"])
    return table, {c: np.array(m, dtype=float) for c, m in matrices.items()}, stray


def baseline(matrix: np.ndarray) -> dict[str, float]:
    import krippendorff
    from statsmodels.stats.inter_rater import aggregate_raters, fleiss_kappa

    counts, _ = aggregate_raters(matrix.astype(int))
    return {"fleiss_kappa": round(float(fleiss_kappa(counts)), 4),
            "krippendorff_alpha": round(float(krippendorff.alpha(
                reliability_data=matrix.T, level_of_measurement="nominal")), 4)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path("../shared/data/lewidi2023_hs_brexit"))
    parser.add_argument("--bootstrap", type=int, default=1000)
    args = parser.parse_args()

    table, matrices, stray = load(args.data)
    start = time.perf_counter()
    report = agreement_report(table, bootstrap=args.bootstrap, seed=42)
    first_call = time.perf_counter() - start  # includes importing statsmodels, krippendorff, ...
    start = time.perf_counter()
    report = agreement_report(table, bootstrap=args.bootstrap, seed=42)
    seconds = time.perf_counter() - start
    block = report.result["questions"]["hs_brexit"]
    per_code = {}
    for code in CODES:
        ours = block["per_code"][code]
        direct = baseline(matrices[code])
        per_code[code] = {
            "n_units": ours["n_units"], "prevalence": round(ours["prevalence"], 4),
            "fleiss_kappa": round(ours["fleiss_kappa"], 4),
            "krippendorff_alpha": round(ours["krippendorff_alpha"], 4),
            "alpha_ci95": [round(v, 4) for v in ours["alpha_ci95"]],
            "gwet_ac1": round(ours["gwet_ac1"], 4),
            "percent_agreement": round(ours["percent_agreement"], 4),
            "baseline_direct_library": direct,
            "published": PUBLISHED.get(code),
            "matches_baseline": abs(ours["fleiss_kappa"] - direct["fleiss_kappa"]) < 1e-4
            and abs(ours["krippendorff_alpha"] - direct["krippendorff_alpha"]) < 1e-4,
        }
        print(f"{code:12s} prevalence {ours['prevalence']:.3f}  Fleiss {ours['fleiss_kappa']:.3f}"
              f"  alpha {ours['krippendorff_alpha']:.3f}  AC1 {ours['gwet_ac1']:.3f}"
              f"  (direct: {direct})")
    for warning in report.notes["questions"]["hs_brexit"]["warnings"]:
        print("warning:", warning)
    print(json.dumps({
        "bench": "agreement_real", "data": "lewidi2023_hs_brexit", "items": int(block["n_units"]),
        "coders": len(block["coders"]), "coding_table_rows": len(table),
        "stray_values_cleaned": stray, "bootstrap": args.bootstrap,
        "seconds_compute_agreement": round(seconds, 3),
        "seconds_first_call_with_imports": round(first_call, 3),
        "overall": block["overall"], "per_code": per_code,
    }))


if __name__ == "__main__":
    main()
