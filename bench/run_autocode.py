"""The autocode stage inside ``themeloop run`` on the bundled survey: what a user gets.

Runs ``themeloop run`` on a copy of examples/innovation-survey (with its
annotations) and reads the stage's own ``agreement_model.json``: per
question the cross-fitted model-vs-coder MASI alpha (mean over the two
coders) with its bootstrap interval, beside coder-vs-coder. The baseline is
measured in the same run: the themes stage's one-theme-per-answer
``assignments.csv`` against the same coders (what ``agreement_model.json``
held before issue 13: 0.11 / 0.30 / 0.35). Issue 13's target is double that.
The stage's wall time is the run's own ``stages:`` line. Prints one JSON
object last.

    PYTHONPATH=src python bench/run_autocode.py
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run_demo import copy_sample

TARGET = {"barriers": 0.22, "practice": 0.60, "radical": 0.70}


def baseline(out: Path, coding: Path) -> dict[str, float | None]:
    """The themes' assignments against the coders, as the agreement stage compared them."""
    from themeloop.agreement import model_vs_human
    from themeloop.agreement.stage import with_assignments
    from themeloop.coding import read_coding_table

    table = with_assignments(read_coding_table(coding), out / "assignments.csv")
    result = model_vs_human(table, bootstrap=0)["questions"]
    return {q: v["summary"]["model_human"]["krippendorff_alpha_masi"] for q, v in result.items()}


def main() -> dict:
    from typer.testing import CliRunner

    from themeloop.cli.app import app

    t0 = time.time()
    with tempfile.TemporaryDirectory() as tmp:
        project = copy_sample(Path(tmp), cache=True)  # embed each text once across runs
        result = CliRunner().invoke(app, ["run", "--project", str(project)])
        if result.exit_code != 0:
            raise SystemExit(result.output)
        line = next(x for x in result.stdout.splitlines() if x.startswith("stages: "))
        seconds = {p.split()[0]: float(p.split()[1].rstrip("s")) for p in line[8:].split(", ")}
        out = project / "out"
        data = json.loads((out / "agreement_model.json").read_text(encoding="utf-8"))
        bias = json.loads((out / "model_bias.json").read_text(encoding="utf-8"))
        themes = baseline(out, project.parent.parent / "annotations" / "innovation-survey"
                          / "coding_table.csv")
    questions = {}
    for qid, q in data["questions"].items():
        mh = q["model_human"]
        questions[qid] = {
            "mode": q["mode"], "n_coded": q["n_coded"],
            "human_human_masi_alpha": q["human_human"]["masi_alpha"],
            "themes_baseline_masi_alpha": themes.get(qid),
            "model_human_masi_alpha": mh["masi_alpha"], "masi_alpha_ci95": mh["masi_alpha_ci95"],
            "sample_f1": mh["sample_f1"], "by_coder": {c: v["masi_alpha"] for c, v in
                                                       mh["by_coder"].items()},
            "target": TARGET.get(qid), "target_met": (mh["masi_alpha"] or -1) >= TARGET.get(qid, 9),
            "human_only": len(q["human_only"]), "n_codes": len(mh["per_code"]),
            "learning_curve": [(p["n"], p["masi_alpha"]) for p in q["learning_curve"]],
            "bias_tests": len(bias["questions"][qid]["tests"]),
            "bias_warnings": len(bias["questions"][qid]["warnings"]),
        }
        print(json.dumps({qid: questions[qid]}), file=sys.stderr, flush=True)
    return {"bench": "run_autocode", "survey": "examples/innovation-survey",
            "model_id": data["model_id"], "questions": questions,
            "target_met_everywhere": all(v["target_met"] for v in questions.values()),
            "stage_seconds": seconds.get("autocode"), "run_seconds": round(sum(seconds.values()), 1),
            "seconds": round(time.time() - t0, 1)}


if __name__ == "__main__":
    print(json.dumps(main()))
