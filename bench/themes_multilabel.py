"""Do multi-label themes agree better with human coders? Single- vs multi-label on the sample.

On the bundled survey (examples/innovation-survey: 41 organisations, 3
questions, two human coders who gave an answer as many codes as it makes
points), themes are proposed twice in the same run with the same seed and
embeddings: one theme per answer (``multi_label=False``, the old behaviour),
and multi-label from segments (the default). Each is compared with the two
coders by Krippendorff's alpha with the MASI distance (mean over the two
model-coder pairs, as ``agreement_model.json`` and the report compute it):

* ``raw``: theme ids as they are (a theme seeded from a codebook code has the
  code's id; an inductive theme never matches a human code);
* ``mapped``: each theme is renamed to the human code whose answers overlap it
  most (Jaccard, both coders pooled), the fair reading for inductive themes.

Two settings: ``seeded`` (the codebook's codes seed deductive themes, as in
``themeloop run``) and ``inductive`` (no seeds, as ad hoc ``themeloop
themes``). Stability is timed once, on the default (multi-label, seeded), with
``--stability-runs`` refits. Prints one JSON object as the last line.

    python bench/themes_multilabel.py [--stability-runs 10]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

ROOT = Path(__file__).resolve().parents[1]
PROJECT = ROOT / "examples" / "innovation-survey"
CODING = ROOT / "annotations" / "innovation-survey" / "coding_table.csv"


def model_coding(result):
    """The themes as a coding table (through assignments.csv, as the agreement stage reads it)."""
    import io

    from themeloop.coding import assignments_to_coding
    from themeloop.safe_csv import read_csv
    from themeloop.themes.io import assignments_csv

    return assignments_to_coding(read_csv(io.StringIO(assignments_csv(result)),
                                          dtype={"theme_id": str}))


def mapped(model, humans):
    """Rename each (question, theme) to the human code it overlaps most (Jaccard)."""
    out = model.copy()
    for (qid, code), rows in model[model["code"] != ""].groupby(["question", "code"]):
        mine = set(rows["response_id"])
        theirs = humans[humans["question"] == qid].groupby("code")["response_id"].agg(set)
        best = max(theirs.items(), key=lambda kv: (len(mine & kv[1]) / len(mine | kv[1]), kv[0]))
        out.loc[(out["question"] == qid) & (out["code"] == code), "code"] = best[0]
    return out.drop_duplicates().reset_index(drop=True)


def masi(model, humans) -> dict[str, float]:
    import pandas as pd

    from themeloop.agreement.model import model_vs_human

    table = pd.concat([model, humans], ignore_index=True)
    report = model_vs_human(table, bootstrap=0, seed=42)
    return {q: round(float(v["summary"]["model_human"]["krippendorff_alpha_masi"]), 4)
            for q, v in report["questions"].items()}


def human_human(humans) -> dict[str, float]:
    """The two coders' own MASI alpha per question (model_vs_human needs a model row)."""
    import pandas as pd

    from themeloop.agreement.model import model_vs_human

    fake = humans.groupby("question").head(1).assign(coder="x", source="model")

    report = model_vs_human(pd.concat([fake, humans], ignore_index=True), bootstrap=0, seed=42)
    return {q: round(float(v["summary"]["human_human"]["krippendorff_alpha_masi"]), 4)
            for q, v in report["questions"].items()}


def summary(result, humans) -> dict:
    model = model_coding(result)
    raw, remapped = masi(model, humans), masi(mapped(model, humans), humans)
    per_q = {}
    for qid, q in result.questions.items():
        per_q[qid] = {
            "n_themes": len(q.themes),
            "answers_with_2plus_themes": sum(1 for extra in q.secondary if extra),
            "theme_rows": len(q.themes) and sum(1 + len(e) for t, e in zip(q.theme_ids, q.secondary)
                                                if t != "unassigned"),
            "masi_raw": raw.get(qid), "masi_mapped": remapped.get(qid),
        }
    mean = lambda key: round(sum(v[key] for v in per_q.values()) / len(per_q), 4)  # noqa: E731
    return {"questions": per_q, "mean_masi_raw": mean("masi_raw"),
            "mean_masi_mapped": mean("masi_mapped")}


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--stability-runs", type=int, default=10)
    args = parser.parse_args(argv)

    from themeloop.coding import judged_rows, read_coding_table
    from themeloop.config import find_project
    from themeloop.embed import Embedder
    from themeloop.pipeline.context import RunContext
    from themeloop.themes import propose_themes
    from themeloop.themes.io import read_seed_codes

    project = find_project(PROJECT)
    ctx = RunContext.for_project(project, Path(os.environ.get("TMPDIR", "/tmp")) / "tl-ml-out")
    responses = ctx.responses
    humans = judged_rows(read_coding_table(CODING), ("human",))
    seeds = read_seed_codes(project.codebook_path)
    embedder = Embedder(cache_dir=project.models_dir / "cache")
    out: dict = {"bench": "themes_multilabel", "data": "examples/innovation-survey",
                 "n_answers": int(responses["substantive"].sum()),
                 "human_human_masi": human_human(humans), "load_avg_1m": round(os.getloadavg()[0], 2)}
    for setting, seed_codes in (("seeded", seeds), ("inductive", None)):
        for variant, multi in (("single_label", False), ("multi_label", True)):
            start = time.perf_counter()
            result = propose_themes(responses, embedder, seed=args.seed, seed_codes=seed_codes,
                                    multi_label=multi, stability_runs=0)
            secs = time.perf_counter() - start
            out[f"{setting}_{variant}"] = {**summary(result, humans), "seconds": round(secs, 1)}
            print(setting, variant, out[f"{setting}_{variant}"], file=sys.stderr)
    start = time.perf_counter()
    result = propose_themes(responses, embedder, seed=args.seed, seed_codes=seeds,
                            stability_runs=args.stability_runs)
    out["stability"] = {
        "runs": args.stability_runs, "seconds_with_stability": round(time.perf_counter() - start, 1),
        "per_theme": {qid: {t.id: t.stability for t in q.themes}
                      for qid, q in result.questions.items()},
    }
    for setting in ("seeded", "inductive"):
        before, after = out[f"{setting}_single_label"], out[f"{setting}_multi_label"]
        out[f"{setting}_masi_gain"] = {
            "raw": round(after["mean_masi_raw"] - before["mean_masi_raw"], 4),
            "mapped": round(after["mean_masi_mapped"] - before["mean_masi_mapped"], 4)}
    out["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    print(json.dumps(out))
    return out


if __name__ == "__main__":
    main()
