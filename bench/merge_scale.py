"""How fast is merge? (target: 100,000 respondents x 3 questions x 30 codes in <= 30 s)

Generates a survey of N respondents with three free-text questions (about 4%
non-substantive answers, 1% never coded) and an agreed coding table with one
to three of 30 codes per coded answer, then times ``build_merged`` (all checks
included: ids, codes, invariants). The baseline, measured in the same run, is
the plain pandas way with no checks: ``pd.crosstab`` of the table, joined on
the id column. Also times the CSV and Parquet exports and a crosstab of every
code by a 5-level attribute. Prints one JSON object as its last line.

    python bench/merge_scale.py [--respondents 100000] [--codes 30]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from themeloop.codebook import Codebook
from themeloop.merge import build_merged
from themeloop.merge.crosstab import crosstab
from themeloop.merge.exports import write_csv, write_parquet
from themeloop.survey import Question, load_survey

QUESTIONS = ("barriers", "practice", "radical")


def make_inputs(folder: Path, n: int, n_codes: int, seed: int = 42):
    rng = np.random.default_rng(seed)
    ids = [f"R{i:06d}" for i in range(n)]
    frame = {"id": ids, "org_type": rng.choice(["a", "b", "c", "d", "e"], n)}
    words = np.array(["funding", "staff", "time", "risk", "rules", "culture", "data", "partners"])
    for q in QUESTIONS:
        texts = [" ".join(rng.choice(words, 6)) for _ in range(n)]
        for i in np.flatnonzero(rng.random(n) < 0.04):
            texts[i] = "N/A"
        frame[f"{q}_text"] = texts
    path = folder / "survey.csv"
    pd.DataFrame(frame).to_csv(path, index=False)
    codes = [f"code_{k:02d}" for k in range(n_codes)]
    parts = []
    for q in QUESTIONS:
        coded = np.flatnonzero(rng.random(n) >= 0.01)
        per = rng.integers(1, 4, len(coded))
        who = np.repeat(coded, per)
        parts.append(pd.DataFrame({
            "response_id": [f"{ids[i]}:{q}" for i in who], "question": q, "coder": "consensus",
            "code": np.array(codes)[rng.integers(0, n_codes, len(who))],
        }).drop_duplicates())
    agreed = pd.concat(parts, ignore_index=True)
    codebook = Codebook(version="1", questions={
        q: {"codes": [{"id": c, "label": c.replace("_", " ")} for c in codes]} for q in QUESTIONS})
    survey = load_survey(path, id_column="id", attributes=["org_type"],
                         questions=[Question(q, f"{q}_text") for q in QUESTIONS])
    return survey, agreed, codebook


def baseline(survey, agreed: pd.DataFrame) -> pd.DataFrame:
    """What one would write by hand: crosstab the table, join it on the id."""
    wide = pd.crosstab(agreed["response_id"], agreed["question"] + "__" + agreed["code"]).clip(upper=1)
    wide.index = wide.index.str.rsplit(":", n=1).str[0]
    wide = wide.groupby(level=0).max()
    return survey.frame.join(wide, on=survey.id_column)


def timed(fn):
    start = time.perf_counter()
    value = fn()
    return time.perf_counter() - start, value


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--respondents", type=int, default=100_000)
    parser.add_argument("--codes", type=int, default=30)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        make_s, (survey, agreed, codebook) = timed(lambda: make_inputs(folder, args.respondents, args.codes))
        base_s, _ = timed(lambda: baseline(survey, agreed))
        merge_s, dataset = timed(lambda: build_merged(survey, agreed, codebook))
        csv_s, _ = timed(lambda: write_csv(dataset, folder / "merged.csv"))
        parquet_s, _ = timed(lambda: write_parquet(dataset, folder / "merged.parquet"))
        crosstab_s, _ = timed(lambda: crosstab(dataset, "org_type"))
    print(json.dumps({
        "bench": "merge_scale", "respondents": args.respondents, "questions": len(QUESTIONS),
        "codes_per_question": args.codes, "table_rows": len(agreed),
        "merged_shape": list(dataset.frame.shape),
        "merge_s": round(merge_s, 3), "target_s": 30, "within_target": merge_s <= 30,
        "baseline_pandas_crosstab_s": round(base_s, 3),
        "merge_vs_baseline": round(merge_s / base_s, 2) if base_s else None,
        "export_csv_s": round(csv_s, 3), "export_parquet_s": round(parquet_s, 3),
        "crosstab_s": round(crosstab_s, 3), "generate_and_load_s": round(make_s, 3),
    }))


if __name__ == "__main__":
    main()
